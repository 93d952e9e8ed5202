"""Which stored updates an inbox processor takes now, and what a failed one waits for.

Only the oldest pending row of each chat (`chat_key`) is claimable, and only when its lease is
free (ran out, or its owner's heartbeat is stale: bot/messaging/instances.py), so one chat's updates run
in order and never two at once; `FOR UPDATE SKIP LOCKED` on PostgreSQL lets instances claim side
by side. A claim counts the attempt.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.app import App
from bot.messaging.instances import lease_free
from models import InboxUpdate

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: 2, 4, 8 ... seconds, at most five minutes."""
    return timedelta(seconds=min(300, 2 ** max(1, attempts)))


async def claim(
    session: AsyncSession, now: datetime, *, limit: int, lease: timedelta = LEASE
) -> list[InboxUpdate]:
    """Lease up to `limit` rows: per chat only its oldest pending row, and only if it is free."""
    return [row for row, _ in await claim_heads(session, now, limit=limit, lease=lease)]


async def claim_heads(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    lease: timedelta = LEASE,
    owner: str | None = None,
    stale_before: datetime | None = None,
) -> list[tuple[InboxUpdate, bool]]:
    """claim(), and with each row whether its chat has more pending rows behind it."""
    heads = (
        select(func.min(InboxUpdate.id).label("id"), func.count().label("pending"))
        .where(InboxUpdate.status == "pending")
        .group_by(InboxUpdate.chat_key)
        .subquery()
    )
    query = (
        select(InboxUpdate, heads.c.pending)
        .join(heads, InboxUpdate.id == heads.c.id)
        .where(
            lease_free(InboxUpdate.locked_until, InboxUpdate.lease_owner, now, stale_before)
            if stale_before is not None
            else (InboxUpdate.locked_until.is_(None)) | (InboxUpdate.locked_until <= now)
        )
        .order_by(InboxUpdate.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=InboxUpdate)
    rows = [(row, int(pending) > 1) for row, pending in (await session.execute(query)).all()]
    for row, _ in rows:
        row.attempts += 1
        row.locked_until = now + lease
        row.lease_owner = owner
    return rows


async def mark_handled(
    session: AsyncSession, row_id: int, attempts: int, outcome: str, now: datetime
) -> bool:
    """Mark the row handled if it is still ours: pending, and not claimed again since (a lease
    that ran out mid-handling). False: the caller rolls back, the other claim's handling counts."""
    done = await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.id == row_id,
            InboxUpdate.status == "pending",
            InboxUpdate.attempts == attempts,
        )
        .values(status=outcome, handled_at=now, locked_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


async def retry_later(app: App, row_id: int, attempts: int, reason: str) -> None:
    async with app.db.transaction() as session:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id == row_id, InboxUpdate.status == "pending")
            .values(
                # A backoff, not a lease: held by nobody, so no take-over cuts it short.
                locked_until=app.clock.now() + backoff(attempts),
                lease_owner=None,
                last_error=reason[:200],
            )
        )


async def give_up(app: App, row_id: int, reason: str) -> None:
    log.error("inbox row %s failed for good: %s", row_id, reason)
    async with app.db.transaction() as session:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id == row_id, InboxUpdate.status == "pending")
            .values(status="failed", locked_until=None, last_error=reason[:200])
        )
