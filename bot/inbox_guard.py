"""What the inbox does with updates it must not handle normally: poison and floods.

- A *poison* update (handling it raised an error that retrying cannot fix, bot/failures.py) is
  marked `rejected` on its first try, with the error's class name as the reason (never the
  payload), and the sender is told kindly, in their language, when we know their chat (they
  wrote to us before: their chat identity). The chat's next update is then free at once.
- A *flood*: a chat that had `inbound_chat_per_minute` updates handled in the last minute gets
  its further updates marked `throttled` (kept in the inbox, not handled); the first throttled
  update of a minute is answered "Mohon tunggu sebentar…", the rest not at all. A person typing
  never comes near the limit; a script sending a hundred messages a second costs a few replies.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator, normalise_language
from bot.messages import Inbound, Reply
from bot.outbox import enqueue
from bot.settings import Settings
from models import ChatIdentity, Conversation, InboxUpdate, OutboxMessage

FLOOD_WINDOW = timedelta(minutes=1)

REJECTED_TEXT = (
    "Maaf, pesan itu tidak bisa kami proses. Silakan kirim lagi dengan cara lain, "
    "misalnya sebagai teks biasa."
)
THROTTLED_TEXT = (
    "Mohon tunggu sebentar: pesan Anda datang terlalu cepat. "
    "Pesan berikutnya akan kami tanggapi setelah satu menit."
)

# Rows that count as handled for the flood limit (a rejected row was looked at too).
_HANDLED = ("done", "rejected")


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
