"""Sending on WhatsApp: the Graph API call, its errors, and the 24-hour window.

We post the message JSON with httpx ourselves rather than through pywa: the renderer
(whatsapp_render) already builds the exact, limit-checked API JSON, pywa would only re-wrap it,
and pywa overwrites its client's base URL with graph.facebook.com, which the
`PATBM_WHATSAPP_API_URL` setting (a proxy, the fake in tests) must replace.

The window. WhatsApp accepts free-form messages only within 24 hours of the user's last message
(`ChatIdentity.last_inbound_at`). Outside it, or when the API answers 131047:
- a staff member gets the approved template (`PATBM_WHATSAPP_TEMPLATE_NOTIFY`, one parameter:
  the case reference), and the message itself is kept as an outbox row with status `held`
  (bot/messaging/held.py: the outbox side; this module only decides what goes to WhatsApp); the
  webhook releases held rows (back to `pending`) as soon as that person writes, which opens the
  window (rows held longer than three days are failed instead: stale). While rows are held,
  further messages are held without another template;
- anyone else (a reporter) is never messaged unprompted and never templated: the send ends in
  `PermanentFailure("outside_window_not_staff")`, so the delivery worker marks the row failed
  with a `delivery_failed` case event.

With bot.messaging.delivery: a row whose payload has `extra["template_fallback"]` (set by the
worker after an `OutsideWindow`, or by the webhook when a sent message later fails with 131047)
goes as the template at once. A producer may name another approved template and its body
parameters in `extra["template"]`, `extra["template_params"]` (and `extra["template_language"]`);
otherwise the default template gets the case reference (`extra["reference"]`, or the first
reference found in the text).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import httpx

from bot.cases.references import ALPHABET
from bot.channels.whatsapp.render import Message, render, template_message
from bot.core.app import App
from bot.core.i18n import Translator
from bot.messaging import held
from bot.messaging.held import FORCE_TEMPLATE, Recipient
from bot.messaging.messages import Reply
from bot.messaging.sending import OutsideWindow, PermanentFailure, RetryLater, SendError, SendResult

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)

_REFERENCE = re.compile(r"\b[A-Z]{2,5}-[" + ALPHABET + r"]{4}-[" + ALPHABET + r"]{2}\b")
_MEDIA_TYPES = {"photo": "image", "voice": "audio", "audio": "audio", "video": "video"}

OUTSIDE_WINDOW_CODES = {131047}
RETRY_CODES = {1, 2, 4, 17, 80007, 130429, 131000, 131016, 131048, 131056, 133004}
# The token or the app's permissions: an operator must act; keep the messages meanwhile.
AUTH_CODES = {10, 190, 200}
PERMANENT_CODES = {100, 131008, 131009, 131021, 131026, 131030, 131045, 131051, 131052}


def classify(status_code: int, body: Any, retry_after: str | None = None) -> SendError:
    """The SendError for a Graph API error answer."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
    after = float(retry_after) if retry_after and retry_after.isdigit() else None
    if code in OUTSIDE_WINDOW_CODES:
        return OutsideWindow(reason=f"whatsapp {code}")
    if code in RETRY_CODES or status_code == 429 or status_code >= 500:
        return RetryLater(after_seconds=after, reason=f"whatsapp {code or status_code}")
    if code in AUTH_CODES or status_code in (401, 403):
        return RetryLater(after_seconds=300, reason=f"whatsapp auth {code or status_code}")
    return PermanentFailure(reason=f"whatsapp {code or status_code}")


def recipient_fields(chat_id: str) -> dict[str, str]:
    """A phone number goes in `to`; a business-scoped user id (e.g. ID.123...) in `recipient`."""
    if chat_id.lstrip("+").isdigit():
        return {"to": chat_id.lstrip("+")}
    return {"recipient": chat_id}


class GraphAPI:
    """POST /{version}/{phone_number_id}/messages on the configured Graph API base URL."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        version: str,
        phone_number_id: str,
        token: str,
    ) -> None:
        self.http = http
        root = f"{base_url.rstrip('/')}/{version.strip('/')}/{phone_number_id}"
        self.url = f"{root}/messages"
        self.media_url = f"{root}/media"
        self._headers = {"Authorization": f"Bearer {token}"}

    async def send(self, chat_id: str, message: Message) -> str | None:
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            **recipient_fields(chat_id),
            **message,
        }
        body = await self._post(self.url, json=payload)
        messages = body.get("messages")
        if messages and isinstance(messages[0], dict) and messages[0].get("id"):
            return str(messages[0]["id"])
        return None

    async def upload(self, content: bytes, mime_type: str, filename: str) -> str:
        """Upload bytes we made (the weekly chart); the media id to send them with."""
        body = await self._post(
            self.media_url,
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, content, mime_type)},
        )
        if not body.get("id"):
            raise RetryLater(reason="whatsapp media upload without id")
        return str(body["id"])

    async def _post(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self.http.post(url, headers=self._headers, **kwargs)
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            raise RetryLater(reason=f"whatsapp {type(exc).__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            raise classify(response.status_code, body, response.headers.get("retry-after"))
        return body if isinstance(body, dict) else {}


def find_reference(reply: Reply) -> str | None:
    given = reply.extra.get("reference")
    if isinstance(given, str) and given:
        return given
    match = _REFERENCE.search(reply.text)
    return match.group(0) if match else None


class WhatsAppSender:
    """The outbox's Sender for WhatsApp (see bot.messaging.sending.Sender)."""

    channel = "whatsapp"

    def __init__(self, app: App, graph: GraphAPI, *, window: timedelta = WINDOW) -> None:
        self.app = app
        self.graph = graph
        self.window = window

    async def aclose(self) -> None:
        """Close the HTTP client (`patbm run` at shutdown)."""
        await self.graph.http.aclose()

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        recipient = await held.recipient(self.app.db, self.channel, chat_id)
        now = self.app.clock.now()
        in_window = (
            recipient.last_inbound_at is not None and now - recipient.last_inbound_at < self.window
        )
        if not in_window or reply.extra.get(FORCE_TEMPLATE):
            return await self._outside_window(chat_id, reply, recipient)
        t = Translator(recipient.language)
        wamid: str | None = None
        media = await self._media(reply)
        # A picture without words or choices goes alone, not followed by an empty text.
        bare = media and not reply.text.strip() and not reply.options
        try:
            for message in media + ([] if bare else render(reply, t)):
                wamid = await self.graph.send(chat_id, message)
        except OutsideWindow:
            return await self._outside_window(chat_id, reply, recipient)
        return SendResult(platform_message_id=wamid)

    async def _media(self, reply: Reply) -> list[Message]:
        """Bytes we made go up first; a platform file id from another channel means nothing here."""
        media = reply.media
        content = media.content() if media is not None else None
        if media is None or content is None:
            return []
        mime = media.mime_type or "application/octet-stream"
        media_id = await self.graph.upload(content, mime, media.file_id)
        kind = _MEDIA_TYPES.get(media.kind, "document")
        body: dict[str, str] = {"id": media_id}
        if kind == "document":
            # Shown to the reader as the file's name (the month's export XLSX).
            body["filename"] = media.file_id
        return [{"type": kind, kind: body}]

    async def _outside_window(self, chat_id: str, reply: Reply, recipient: Recipient) -> SendResult:
        if not recipient.is_staff:
            log.info("whatsapp: window closed for a non-staff chat, not sent")
            raise PermanentFailure(reason="outside_window_not_staff")
        message = self._template(reply)
        if message is None:
            raise PermanentFailure(reason="outside_window_no_template")
        wamid: str | None = None
        if not await held.has_held(self.app.db, self.channel, chat_id):
            # A failure here propagates (RetryLater...) before anything is held: tried again whole.
            wamid = await self.graph.send(chat_id, message)
        await held.hold(self.app.db, self.channel, chat_id, reply, self.app.clock.now())
        return SendResult(platform_message_id=wamid)

    def _template(self, reply: Reply) -> Message | None:
        settings = self.app.settings
        name = reply.extra.get("template") or settings.whatsapp_template_notify
        if not isinstance(name, str) or not name:
            return None
        language = reply.extra.get("template_language") or settings.whatsapp_template_language
        params = reply.extra.get("template_params")
        if not isinstance(params, list) or not params:
            params = [find_reference(reply) or "-"]
        return template_message(name, str(language), [str(p) for p in params])
