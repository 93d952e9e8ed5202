"""The database outbox: messages are queued in the transaction that decided to send them.

A row is created and due at the producer's `now`, except inside `queue_at(clock)`: then at that
clock's time. `patbm jobs run escalation --at T` evaluates deadlines as of T but queues its
messages at the real time, so an operator's catch-up run delivers at once instead of at T.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.messages import Reply
from models import OutboxMessage

QUEUED = "outbox_queued"

# A context variable rather than one more argument through every producer (sweeps, digests,
# notifications): only a job run as of another time sets it, around the whole job.
_QUEUE_CLOCK: ContextVar[Clock | None] = ContextVar("patbm_queue_clock", default=None)


@contextmanager
def queue_at(clock: Clock) -> Iterator[None]:
    """Rows queued inside are created and due at `clock`'s time, whatever `now` they get."""
    token = _QUEUE_CLOCK.set(clock)
    try:
        yield
    finally:
        _QUEUE_CLOCK.reset(token)


def queue_time(now: datetime) -> datetime:
    """When a row queued by a producer working as of `now` is created and due."""
    clock = _QUEUE_CLOCK.get()
    return now if clock is None else clock.now()


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
    now = queue_time(now)
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
