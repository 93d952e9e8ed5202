"""What the inbox does with updates it must not handle normally: poison and floods.

- A *poison* update (handling it raised an error that retrying cannot fix, bot/messaging/failures.py) is
  marked `rejected` on its first try, with the error's class name as the reason (never the
  payload), and the sender is told kindly, in their language, when we know their chat (they
  wrote to us before: their chat identity), once a minute at most. The chat's next update is
  then free at once.
- A *flood*: a chat that had `inbound_chat_per_minute` updates handled in the last minute gets
  its further updates marked `throttled` (kept in the inbox, not handled); the first throttled
  update of a minute is answered "Mohon tunggu sebentar…", the rest not at all. A person typing
  never comes near the limit; a script sending a hundred messages a second costs a few replies.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.app import App
from bot.core.i18n import N_, Translator, normalise_language
from bot.core.settings import Settings
from bot.messaging.messages import Inbound, Reply
from bot.messaging.outbox import enqueue
from models import ChatIdentity, Conversation, InboxUpdate, OutboxMessage

log = logging.getLogger(__name__)

Dispatch = Callable[[App, AsyncSession, Inbound], Awaitable[Sequence[OutboxMessage]]]

FLOOD_WINDOW = timedelta(minutes=1)

REJECTED_TEXT = N_(
    "Maaf, pesan itu tidak bisa kami proses. Silakan kirim lagi dengan cara lain, "
    "misalnya sebagai teks biasa."
)
THROTTLED_TEXT = N_(
    "Mohon tunggu sebentar: pesan Anda datang terlalu cepat. "
    "Pesan berikutnya akan kami tanggapi setelah satu menit."
)

# Rows that count as handled for the flood limit (a rejected row was looked at too).
_HANDLED = ("done", "rejected")


async def dispatch_within_limit(
    app: App, session: AsyncSession, chat_key: str, inbound: Inbound, dispatch: Dispatch
) -> tuple[str, int]:
    """Dispatch the update unless its chat is over the limit: (the row's status, replies)."""
    now = app.clock.now()
    over, told = await flood_state(session, chat_key, now, app.settings)
    if not over:
        return "done", len(await dispatch(app, session, inbound))
    if told:
        return "throttled", 0
    await tell_throttled(session, inbound, now, app.settings)
    return "throttled", 1


async def reject(app: App, row_id: int, channel: str, chat_key: str, reason: str) -> None:
    """Set a poison row aside (if it is still pending) and tell its sender, in one transaction."""
    log.warning("inbox row %s rejected: %s", row_id, reason)
    now = app.clock.now()
    async with app.db.transaction() as session:
        rejected = await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id == row_id, InboxUpdate.status == "pending")
            .values(
                status="rejected",
                handled_at=now,
                locked_until=None,
                lease_owner=None,
                last_error=reason[:200],
            )
        )
        if rejected.rowcount != 1:  # type: ignore[attr-defined]
            return  # finished elsewhere meanwhile
        if not await _rejected_lately(session, row_id, chat_key, now):
            await tell_rejected(session, channel, chat_key, now, app.settings)


async def _rejected_lately(
    session: AsyncSession, row_id: int, chat_key: str, now: datetime
) -> bool:
    """Another update of the chat was rejected this minute: it was told already (a burst of
    broken updates gets one notice, not one each)."""
    found = await session.scalar(
        select(InboxUpdate.id)
        .where(
            InboxUpdate.chat_key == chat_key,
            InboxUpdate.status == "rejected",
            InboxUpdate.handled_at >= now - FLOOD_WINDOW,
            InboxUpdate.id != row_id,
        )
        .limit(1)
    )
    return found is not None


async def flood_state(
    session: AsyncSession, chat_key: str, now: datetime, settings: Settings
) -> tuple[bool, bool]:
    """(over the limit, already told this minute) for the chat of `chat_key`."""
    since = now - FLOOD_WINDOW
    handled, throttled = (
        await session.execute(
            select(
                func.count(case((InboxUpdate.status.in_(_HANDLED), 1))),
                func.count(case((InboxUpdate.status == "throttled", 1))),
            ).where(InboxUpdate.chat_key == chat_key, InboxUpdate.handled_at >= since)
        )
    ).one()
    return int(handled) >= settings.inbound_chat_per_minute, int(throttled) > 0


async def tell_throttled(
    session: AsyncSession, inbound: Inbound, now: datetime, settings: Settings
) -> OutboxMessage:
    language = await _language(session, inbound.channel, inbound.user_id)
    if language is None:
        language = normalise_language(inbound.language_hint or settings.default_language)
    text = Translator(language)(THROTTLED_TEXT)
    return enqueue(
        session, channel=inbound.channel, chat_id=inbound.chat_id, reply=Reply(text), now=now
    )


async def tell_rejected(
    session: AsyncSession, channel: str, chat_key: str, now: datetime, settings: Settings
) -> OutboxMessage | None:
    """The kind notice for a rejected update, if its sender is someone we know the chat of.

    Channel-neutral: a chat key is `<prefix>:<sender id>` (bot/channels/*_parse.py `chat_key`),
    and the sender's chat identity gives the chat to answer in; an update we could not even
    attribute to a sender (or from someone who never wrote before) gets no answer.
    """
    _, _, user_id = chat_key.partition(":")
    if not user_id:
        return None
    identity = await session.scalar(
        select(ChatIdentity).where(
            ChatIdentity.channel == channel, ChatIdentity.external_id == user_id
        )
    )
    if identity is None or not identity.chat_id:
        return None
    language = await _language(session, channel, user_id) or identity.language
    text = Translator(language or settings.default_language)(REJECTED_TEXT)
    return enqueue(session, channel=channel, chat_id=identity.chat_id, reply=Reply(text), now=now)


async def _language(session: AsyncSession, channel: str, user_id: str) -> str | None:
    language = await session.scalar(
        select(Conversation.language).where(
            Conversation.channel == channel, Conversation.user_id == user_id
        )
    )
    return normalise_language(language) if language else None
