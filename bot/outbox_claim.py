"""Which outbox rows a delivery worker may take now: the due heads of their chats' queues."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc
from models import OutboxMessage


@dataclass(frozen=True)
class ClaimedRow:
    """A leased row, as the sender needs it (detached from any session)."""

    id: int
    channel: str
    chat_id: str
    payload: dict[str, Any]
    kind: str
    attempts: int
    # Its chat had more rows queued behind it at the claim: claim again once it is done.
    followed: bool = False

    @classmethod
    def of(cls, row: OutboxMessage, *, followed: bool) -> ClaimedRow:
        return cls(row.id, row.channel, row.chat_id, row.payload, row.kind, row.attempts, followed)


@dataclass
class Heads:
    rows: list[OutboxMessage]
    # The earliest next_attempt_at of any pending row (None: nothing pending); the worker
    # sleeps no longer than until then. Read with the heads, so it costs no extra query.
    earliest: datetime | None
    # Ids of claimed heads whose chat has more pending rows queued behind them.
    followed: set[int]


async def due_heads(
    session: AsyncSession, now: datetime, channels: list[str], limit: int, skip_locked: bool
) -> Heads:
    """Due rows that are the oldest pending row of their chat, locked for this transaction.

    Two plain queries rather than one correlated one: the planner cannot misjudge them when a
    burst of rows arrives before the table's statistics catch up (a nested loop over
    thousands of rows took seconds per claim).
    """
    o = OutboxMessage
    per_chat = (
        await session.execute(
            select(func.min(o.id), func.min(o.next_attempt_at), func.count())
            .where(o.status == "pending", o.channel.in_(channels))
            .group_by(o.channel, o.chat_id)
        )
    ).all()
    heads = sorted(head for head, _, _ in per_chat)
    earliest = min((due for _, due, _ in per_chat), default=None)
    followed = {head for head, _, count in per_chat if count > 1}
    claimed: list[OutboxMessage] = []
    for start in range(0, len(heads), 500):
        query = (
            select(o)
            .where(
                o.id.in_(heads[start : start + 500]),
                o.status == "pending",
                o.next_attempt_at <= now,
                or_(o.locked_until.is_(None), o.locked_until <= now),
            )
            .order_by(o.id)
            .limit(limit - len(claimed))
        )
        if skip_locked:
            query = query.with_for_update(skip_locked=True)
        claimed.extend((await session.scalars(query)).all())
        if len(claimed) >= limit:
            break
    return Heads(claimed, earliest, {row.id for row in claimed if row.id in followed})


async def lease_new_heads(
    session: AsyncSession,
    rows: Sequence[OutboxMessage],
    now: datetime,
    channels: set[str],
    lease: timedelta,
) -> list[ClaimedRow]:
    """In the transaction that queued `rows`: lease those that head their chat's queue.

    Sent by the delivery worker right after that transaction commits, a reply goes out without
    a claim transaction (and its wait for the writer) between the commit and the send. The
    lease and the attempt are those a claim would take, so the guarantees are a claim's: after
    a crash before the send the lease runs out and the row is claimed again. A chat with an
    earlier pending row is left to the claim, which keeps each chat's order.
    """
    fresh = [r for r in rows if r.channel in channels and as_utc(r.next_attempt_at) <= now]
    if not fresh:
        return []
    o = OutboxMessage
    with session.no_autoflush:
        earlier = await session.execute(
            select(o.channel, o.chat_id)
            .where(
                o.status == "pending",
                o.chat_id.in_({r.chat_id for r in fresh}),
                o.id.not_in([r.id for r in rows if r.id is not None]),
            )
            .distinct()
        )
    busy = {(channel, chat_id) for channel, chat_id in earlier}
    heads: dict[tuple[str, str], OutboxMessage] = {}
    followed: set[tuple[str, str]] = set()
    for row in fresh:
        chat = (row.channel, row.chat_id)
        if chat in heads:
            followed.add(chat)
        elif chat not in busy:
            heads[chat] = row
    for row in heads.values():
        row.locked_until = now + lease
        row.attempts = (row.attempts or 0) + 1
    await session.flush()  # the ids
    return [ClaimedRow.of(row, followed=chat in followed) for chat, row in heads.items()]
