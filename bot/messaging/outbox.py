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

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.messaging.messages import REASK, Reply
from models import OutboxMessage

QUEUED = "outbox_queued"
# The kind of a queued re-ask (Reply.extra[REASK]): only the newest one of a chat is kept.
REASK_KIND = "reask"

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
    # So that the transaction's owner can hand what it queued to delivery (bot/messaging/inbox.py).
    session.info.setdefault(QUEUED, []).append(message)
    return message


def queued_in(session: AsyncSession) -> list[OutboxMessage]:
    """The rows enqueue() added in this session that are still in it (not rolled back)."""
    return [m for m in session.info.get(QUEUED, []) if m in session]


async def enqueue_reply(
    session: AsyncSession, *, channel: str, chat_id: str, reply: Reply, now: datetime
) -> OutboxMessage:
    """enqueue() a turn's reply; a re-ask first drops the chat's re-asks not yet sent.

    A re-ask repeats the question of the moment, so an older one still queued says nothing the
    new one does not (and the chat's messages go out about one a second: a hundred unclear
    answers in a burst had queued a hundred re-asks, minutes of them). Only rows nobody holds
    are dropped: one leased is being sent, and sends on.
    """
    if not reply.extra.get(REASK):
        return enqueue(session, channel=channel, chat_id=chat_id, reply=reply, now=now)
    await session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.kind == REASK_KIND,
            OutboxMessage.status == "pending",
            OutboxMessage.locked_until.is_(None) | (OutboxMessage.locked_until <= now),
        )
        .execution_options(synchronize_session=False)
    )
    return enqueue(session, channel=channel, chat_id=chat_id, reply=reply, now=now, kind=REASK_KIND)
