"""Messages held while a platform's messaging window is closed: the outbox side of it.

Some platforms (WhatsApp: 24 hours after the person's last message, `ChatIdentity.last_inbound_at`)
accept free-form messages only while a window is open. When it is closed, the channel's sender
decides what the platform needs (a template that asks a staff member to open the chat) and keeps
the message itself here, as an outbox row with status `held`:
- `hold` copies the reply being delivered into a held row (with its case, kind and staff member,
  so retention and a failed assignment moving on see it);
- `has_held` tells the sender that one template already went out for this chat;
- `release`, called when the person writes (which opens the window), puts the chat's held rows
  back to `pending`; rows held longer than `HELD_MAX_AGE` are failed instead: stale.
`recipient` reads what the sender needs to decide: staff or not, the window, the language.

The reply flags: `extra[FORCE_TEMPLATE]` (set by the delivery worker after an `OutsideWindow`,
or when a sent message later fails outside the window, bot/messaging/receipts.py) asks the
sender to go as the template at once; a producer may name the template in the other
`TEMPLATE_KEYS`. A held copy drops them all: when released it goes as the message itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.db import Database
from bot.messaging.messages import Reply
from models import ChatIdentity, OutboxMessage, Staff

HELD = "held"
# Held longer than this, a message is stale (the case has moved on): not released, failed.
HELD_MAX_AGE = timedelta(days=3)
# The kind of a held row when the row being delivered is not found (finished elsewhere); the
# name from when only WhatsApp held rows, kept so that rows already stored read the same.
HELD_KIND = "wa_held"
# Send as the template now (the delivery worker's flag after an OutsideWindow; receipts' too).
FORCE_TEMPLATE = "template_fallback"
TEMPLATE_KEYS = {FORCE_TEMPLATE, "template", "template_params", "template_language"}


@dataclass(frozen=True)
class Recipient:
    is_staff: bool
    last_inbound_at: datetime | None
    language: str | None


async def recipient(db: Database, channel: str, chat_id: str) -> Recipient:
    """Who a chat is: an active staff member or not, when they last wrote, their language."""
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(ChatIdentity, Staff)
                .outerjoin(Staff, (Staff.id == ChatIdentity.staff_id) & Staff.active.is_(True))
                .where(ChatIdentity.channel == channel, ChatIdentity.chat_id == chat_id)
                .order_by(ChatIdentity.id.desc())
                .limit(1)
            )
        ).first()
    if row is None:
        return Recipient(is_staff=False, last_inbound_at=None, language=None)
    identity, staff = row
    language = identity.language or (staff.language if staff is not None else None)
    return Recipient(staff is not None, identity.last_inbound_at, language)


def _held(channel: str, chat_id: str) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.channel == channel,
        OutboxMessage.chat_id == chat_id,
        OutboxMessage.status == HELD,
    )


async def has_held(db: Database, channel: str, chat_id: str) -> bool:
    """Whether messages are already held for this chat (its template has gone out)."""
    async with db.transaction() as session:
        found = await session.scalar(
            select(OutboxMessage.id).where(*_held(channel, chat_id)).limit(1)
        )
    return found is not None


async def hold(db: Database, channel: str, chat_id: str, reply: Reply, now: datetime) -> None:
    """Keep `reply` as a held row of this chat, to go when the window opens (`release`)."""
    extra = {k: v for k, v in reply.extra.items() if k not in TEMPLATE_KEYS}
    payload = Reply.from_json({**reply.to_json(), "extra": extra}).to_json()
    if "evidence_id" in extra:
        # An evidence file is kept by reference only; its bytes are read again when sent.
        payload["media"] = None
    async with db.transaction() as session:
        # The row being delivered: the worker has one row of a chat in flight, leased. Its
        # case and kind go with the copy (retention, and a failed assignment moving on).
        original = await session.scalar(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.status == "pending",
                OutboxMessage.locked_until > now,
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        )
        session.add(
            OutboxMessage(
                channel=channel,
                chat_id=chat_id,
                payload=payload,
                kind=original.kind if original is not None else HELD_KIND,
                case_id=original.case_id if original is not None else None,
                staff_id=original.staff_id if original is not None else None,
                status=HELD,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )


async def release(session: AsyncSession, channel: str, chat_id: str, now: datetime) -> int:
    """The person wrote: what was held for them goes out now (stale rows fail). How many go."""
    held = _held(channel, chat_id)
    await session.execute(
        update(OutboxMessage)
        .where(*held, OutboxMessage.created_at < now - HELD_MAX_AGE)
        .values(status="failed", last_error="held too long outside the window")
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(*held)
        .values(status="pending", next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
