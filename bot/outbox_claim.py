"""Which outbox rows a delivery worker may take now: the due heads of their chats' queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OutboxMessage


@dataclass
class Heads:
    rows: list[OutboxMessage]
    # The earliest next_attempt_at of any pending row (None: nothing pending); the worker
    # sleeps no longer than until then. Read with the heads, so it costs no extra query.
    earliest: datetime | None


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
            select(func.min(o.id), func.min(o.next_attempt_at))
            .where(o.status == "pending", o.channel.in_(channels))
            .group_by(o.channel, o.chat_id)
        )
    ).all()
    heads = sorted(head for head, _ in per_chat)
    earliest = min((due for _, due in per_chat), default=None)
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
    return Heads(claimed, earliest)
