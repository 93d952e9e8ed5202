"""The database outbox: messages are queued in the transaction that decided to send them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from models import OutboxMessage

QUEUED = "outbox_queued"


def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    chat_id: str,
    reply: Reply,
    now: datetime,
    kind: str = "reply",
    case_id: int | None = None,
    staff_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Queue one message; it is sent only if the surrounding transaction commits."""
    message = OutboxMessage(
        channel=channel,
        chat_id=chat_id,
        payload=reply.to_json(),
        kind=kind,
        case_id=case_id,
        staff_id=staff_id,
        dedupe_key=dedupe_key,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    # So that the transaction's owner can hand what it queued to delivery (bot/inbox.py).
    session.info.setdefault(QUEUED, []).append(message)
    return message


def queued_in(session: AsyncSession) -> list[OutboxMessage]:
    """The rows enqueue() added in this session that are still in it (not rolled back)."""
    return [m for m in session.info.get(QUEUED, []) if m in session]
