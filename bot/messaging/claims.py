"""Which outbox rows a delivery worker may take now: the due heads of their chats' queues.

The order rule. A chat's messages go out in order among the rows that are due: a due row is
claimable only if no older pending row of its chat is due, or due within
`outbox_order_hold_seconds` (120 s: about the longest `retry_after` Telegram gives in practice,
and the first few backoffs). So a row waiting out a 429 or a short backoff still holds back the
newer rows of its chat, and the chat's order survives short failures; a row due later than that
(scheduled for later, or a long backoff after repeated failures) holds back nothing: the newer
rows go out now, and it goes out at its own time. One row per chat is in flight at a time (a
row in flight is due, so it holds back the rest).

The claim is O(due rows): see due_heads. A lease is free when it ran out or its owner's
heartbeat is stale (bot/messaging/instances.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.core.app import App
from bot.core.clock import as_utc
from bot.messaging.instances import lease_free, stale_before
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
    # The earliest next_attempt_at still ahead (None: nothing scheduled, or the claim was full
    # and will run again at once); the worker sleeps no longer than until then.
    earliest: datetime | None
    # Ids of claimed heads whose chat has more due rows queued behind them.
    followed: set[int]


def _pending(alias: type[OutboxMessage]) -> ColumnElement[bool]:
    # Literal, so that ix_outbox_pending_chat serves the probe (models/messaging.py PENDING_SQL).
    return alias.status == literal_column("'pending'")


def holds_back(row: type[OutboxMessage], hold_until: datetime) -> ColumnElement[bool]:
    """An older pending row of `row`'s chat that is due, or due by `hold_until`, exists."""
    older = aliased(OutboxMessage, name="older")
    return exists().where(
        older.channel == row.channel,
        older.chat_id == row.chat_id,
        _pending(older),
        older.id < row.id,
        older.next_attempt_at <= hold_until,
    )


def claim_query(
    now: datetime,
    channels: list[str],
    limit: int,
    skip_locked: bool,
    *,
    hold: timedelta,
    stale_before: datetime,
) -> Select[OutboxMessage, bool]:
    """The claim's one statement (due_heads); a function of its own so the bench and the tests
    can EXPLAIN it."""
    o = OutboxMessage
    behind = aliased(OutboxMessage, name="behind")
    followed = (
        exists()
        .where(
            behind.channel == o.channel,
            behind.chat_id == o.chat_id,
            _pending(behind),
            behind.id > o.id,
            behind.next_attempt_at <= now,
        )
        .label("followed")
    )
    query = (
        select(o, followed)
        .where(
            o.status == "pending",
            o.next_attempt_at <= now,
            o.channel.in_(channels),
            lease_free(o.locked_until, o.lease_owner, now, stale_before),
            ~holds_back(o, now + hold),
        )
        .order_by(o.next_attempt_at)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=o)
    return query


async def due_heads(
    session: AsyncSession,
    now: datetime,
    channels: list[str],
    limit: int,
    skip_locked: bool,
    *,
    hold: timedelta,
    stale_before: datetime,
) -> Heads:
    """Up to `limit` due rows that no older row of their chat holds back, locked for this
    transaction, the oldest due first.

    O(due rows): the due rows come from ix_outbox_status_next_attempt in due order, and each is
    checked against the older pending rows of its own chat only (ix_outbox_pending_chat), so
    the rows scheduled for later cost nothing however many there are. (It used to group every
    pending row by chat on each claim.)
    """
    o = OutboxMessage
    query = claim_query(now, channels, limit, skip_locked, hold=hold, stale_before=stale_before)
    found = (await session.execute(query)).all()
    earliest = None
    if len(found) < limit:
        earliest = await session.scalar(
            select(func.min(o.next_attempt_at)).where(
                o.status == "pending", o.next_attempt_at > now, o.channel.in_(channels)
            )
        )
    return Heads([row for row, _ in found], earliest, {row.id for row, more in found if more})


async def lease_new_heads(
    session: AsyncSession,
    rows: Sequence[OutboxMessage],
    now: datetime,
    channels: set[str],
    lease: timedelta,
    *,
    hold: timedelta,
    owner: str | None = None,
) -> list[ClaimedRow]:
    """In the transaction that queued `rows`: lease those that head their chat's queue.

    Sent by the delivery worker right after that transaction commits, a reply goes out without
    a claim transaction (and its wait for the writer) between the commit and the send. The
    lease and the attempt are those a claim would take, so the guarantees are a claim's: after
    a crash before the send the lease is taken over and the row is claimed again. A chat with
    an older pending row that holds it back (the claim's rule) is left to the claim, which
    keeps each chat's order.
    """
    fresh = [r for r in rows if r.channel in channels and as_utc(r.next_attempt_at) <= now]
    if not fresh:
        return []
    o = OutboxMessage
    with session.no_autoflush:
        earlier = await session.execute(
            select(o.channel, o.chat_id)
            .where(
                tuple_(o.channel, o.chat_id).in_({(r.channel, r.chat_id) for r in fresh}),
                _pending(o),
                o.next_attempt_at <= now + hold,
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
        row.lease_owner = owner
        row.attempts = (row.attempts or 0) + 1
    await session.flush()  # the ids
    return [ClaimedRow.of(row, followed=chat in followed) for chat, row in heads.items()]


async def claim_due(
    app: App, channels: list[str], limit: int, owner: str | None, *, hold: timedelta
) -> tuple[list[ClaimedRow], datetime | None]:
    """Lease up to `limit` due heads for `owner`, counting the attempt; and the earliest instant
    a pending row of these channels falls due (for the caller's sleep)."""
    now = app.clock.now()
    lease = timedelta(seconds=app.settings.outbox_lease_seconds)
    # Not durable (see Database.transaction): lost with a crashed database server, the lease is
    # as if it had run out, and the attempt is not counted; the outcome's commit, which is
    # durable, makes both durable with it.
    async with app.db.transaction(durable=False) as session:
        heads = await due_heads(
            session,
            now,
            channels,
            limit,
            app.db.is_postgres,
            hold=hold,
            stale_before=stale_before(app.settings, now),
        )
        claimed = []
        for row in heads.rows:
            row.locked_until = now + lease
            row.lease_owner = owner
            row.attempts += 1
            claimed.append(ClaimedRow.of(row, followed=row.id in heads.followed))
    return claimed, heads.earliest
