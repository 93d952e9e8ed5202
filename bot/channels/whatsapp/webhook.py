"""The WhatsApp webhook: `GET /webhooks/whatsapp` (verification) and `POST` (updates).

GET: Meta's verification: `hub.mode=subscribe` and `hub.verify_token` equal (constant time) to
`PATBM_WHATSAPP_VERIFY_TOKEN` → the `hub.challenge` echoed; 403 otherwise.

POST, in this order:
1. the `X-Hub-Signature-256` header (`sha256=` + hex HMAC-SHA256 of the RAW body with the app
   secret) is checked in constant time BEFORE the body is parsed: missing → 401, wrong → 403,
   nothing stored;
2. in ONE transaction: each message is stored in the inbox (unique on its wamid, so a retried
   webhook is handled once), the sender's window is refreshed (`last_inbound_at`), staff rows
   held outside the window are released (bot/messaging/held.py), a registered staff number is
   linked (bot/admin/phone_link.py), and a press on our own "next page" row is answered here
   (the next page queued, the inbox row marked done: it never reaches the conversation
   handlers, and it is the channel's own paging of lists longer than WhatsApp shows); status
   callbacks update the outbox rows by `platform_message_id` (bot/messaging/receipts.py:
   delivered → `delivered_at`; failed with 131047 → the row is queued again to go as the staff
   template; failed otherwise → failed, and its case is told through the `DeliveryHooks` that
   bot.runtime.http passes in);
   a malformed part (whatsapp_schema) is set aside in `rejected_inbound`, the rest stored;
3. after the commit: 200 (and the inbox processor is woken). A database error answers 500, so
   Meta retries (the unique wamid makes it harmless). Over 1 MB: 413; not JSON or nested too
   deep: 400 (bot.channels.inbound_limits). Statuses for messages we do not know are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.admin.phone_link import identity_for, link_by_sender_phone
from bot.channels.inbound_limits import InvalidInput, decode_json, read_body, refusal
from bot.channels.whatsapp import parse as wp
from bot.channels.whatsapp.render import PAGE_KEY
from bot.channels.whatsapp.send import OUTSIDE_WINDOW_CODES
from bot.core.app import App
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.messaging import held, receipts
from bot.messaging.held import TEMPLATE_KEYS
from bot.messaging.inbox_store import store
from bot.messaging.messages import Inbound, Reply
from bot.messaging.outbox import enqueue
from bot.messaging.outcomes import DeliveryHooks
from bot.messaging.rejected_inbound import set_aside
from models import InboxUpdate, OutboxMessage

log = logging.getLogger(__name__)

PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature_for(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, given: str) -> bool:
    return hmac.compare_digest(signature_for(secret, body).encode(), given.strip().encode())


async def verify(request: Request) -> Response:
    app: App = request.app.state.patbm
    expected = app.settings.whatsapp_verify_token
    params = request.query_params
    given = params.get("hub.verify_token")
    if (
        expected is None
        or given is None
        or params.get("hub.mode") != "subscribe"
        or not hmac.compare_digest(given.encode(), expected.get_secret_value().encode())
    ):
        log.warning("whatsapp webhook verification refused")
        return Response(status_code=403)
    return PlainTextResponse(params.get("hub.challenge", ""))


async def receive(request: Request, hooks: DeliveryHooks) -> Response:
    app: App = request.app.state.patbm
    secret = app.settings.whatsapp_app_secret
    given = request.headers.get(SIGNATURE_HEADER)
    if secret is None or not given:
        log.warning("whatsapp webhook without signature refused")
        return Response(status_code=401)
    try:
        body = await read_body(request)
    except InvalidInput as exc:
        return refusal(wp.CHANNEL, exc)
    if not signature_ok(secret.get_secret_value(), body, given):
        log.warning("whatsapp webhook with a wrong signature refused")
        return Response(status_code=403)
    try:
        payload: Any = decode_json(body)
        if not isinstance(payload, dict):
            raise InvalidInput("not an object")
    except InvalidInput as exc:
        return refusal(wp.CHANNEL, exc)
    batch = wp.parse_webhook(payload, phone_number_id=app.settings.whatsapp_phone_number_id)
    try:
        stored, queued = await handle_batch(app, batch, hooks)
    except Exception as exc:
        log.error("whatsapp webhook not stored: %s", type(exc).__name__)
        log.debug("whatsapp webhook traceback", exc_info=exc)
        return Response(status_code=500)
    # Committed: WhatsApp may now forget the update.
    if stored:
        request.app.state.inbox_stored()
    if queued:
        # Pages, link confirmations and released rows go out now, not at the next poll.
        request.app.state.outbox_queued()
    return Response(status_code=200)


async def handle_batch(app: App, batch: wp.WebhookBatch, hooks: DeliveryHooks) -> tuple[int, int]:
    """Store the messages and apply the statuses in one transaction: (stored, queued) counts."""
    now = app.clock.now()
    stored = queued = 0
    async with app.db.transaction() as session:
        for item in batch.messages:
            new, replies = await _message(session, item, now)
            stored += int(new)
            queued += replies
        for status in batch.statuses:
            queued += await _status(session, status, now, app.settings, hooks)
        set_aside(session, wp.CHANNEL, batch.rejected, now)
    return stored, queued


async def _message(session: AsyncSession, item: wp.Item, now: datetime) -> tuple[bool, int]:
    key = wp.update_key(item)
    new = await store(
        session,
        channel=wp.CHANNEL,
        update_key=key,
        chat_key=wp.chat_key(item),
        payload=item,
        now=now,
    )
    if not new:
        return False, 0
    inbound = wp.parse_item(item)
    if inbound is None:
        return True, 0
    # The person wrote: what was held for them while the window was closed goes out now.
    queued = await held.release(session, wp.CHANNEL, inbound.chat_id, now)
    identity = await identity_for(session, inbound)
    linked_before = identity is not None and identity.staff_id is not None
    identity = await link_by_sender_phone(session, inbound, identity, now)
    if identity is not None:
        # The window opens now, whether or not the inbox processor has got to the message.
        identity.last_inbound_at = now
        queued += int(identity.staff_id is not None and not linked_before)
    page = wp.page_request(inbound)
    if page is not None:
        language = identity.language if identity is not None else None
        queued += await _next_page(session, inbound, page, language, now)
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.channel == wp.CHANNEL, InboxUpdate.update_key == key)
            .values(status="done", handled_at=now)
        )
        return False, queued
    return True, queued


async def _next_page(
    session: AsyncSession, inbound: Inbound, page: int, language: str | None, now: datetime
) -> int:
    shown = None
    if inbound.prompt_message_id:
        shown = await session.scalar(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == wp.CHANNEL,
                OutboxMessage.chat_id == inbound.chat_id,
                OutboxMessage.platform_message_id == inbound.prompt_message_id,
            )
            .limit(1)
        )
    if shown is None:
        t = Translator(language)
        reply = Reply(
            text=t(
                "Maaf, daftar pilihan itu sudah tidak tersedia. Silakan ketik jawaban Anda, "
                "atau kirim /batal untuk mulai lagi."
            )
        )
        enqueue(session, channel=wp.CHANNEL, chat_id=inbound.chat_id, reply=reply, now=now)
        return 1
    earlier = Reply.from_json(shown.payload)
    extra = {k: v for k, v in earlier.extra.items() if k not in TEMPLATE_KEYS}
    extra[PAGE_KEY] = page
    reply = Reply.from_json({**earlier.to_json(), "extra": extra, "edit_message_id": None})
    enqueue(
        session,
        channel=wp.CHANNEL,
        chat_id=inbound.chat_id,
        reply=reply,
        now=now,
        kind="wa_page",
        case_id=shown.case_id,
        staff_id=shown.staff_id,
    )
    return 1


async def _status(
    session: AsyncSession,
    status: wp.StatusUpdate,
    now: datetime,
    settings: Settings,
    hooks: DeliveryHooks,
) -> int:
    """A status callback, in our terms (bot/messaging/receipts.py decides what it does)."""
    if status.status in ("delivered", "read"):
        await receipts.delivered(session, wp.CHANNEL, status.message_id, status.at or now)
        return 0
    if status.status != "failed":
        return 0
    return await receipts.failed_later(
        session,
        wp.CHANNEL,
        status.message_id,
        reason=f"whatsapp {status.error_code} (delivery)",
        outside_window=status.error_code in OUTSIDE_WINDOW_CODES,
        now=now,
        settings=settings,
        hooks=hooks,
    )


def http_routes(app: App, hooks: DeliveryHooks) -> list[BaseRoute]:
    """Mounted by bot.runtime.http when the WhatsApp channel is configured; `hooks` say what a
    message that fails after it was sent means for its case (bot/runtime/wiring.py)."""
    if not app.settings.whatsapp_enabled:
        return []

    async def post(request: Request) -> Response:
        return await receive(request, hooks)

    return [
        Route(PATH, verify, methods=["GET"]),
        Route(PATH, post, methods=["POST"]),
    ]
