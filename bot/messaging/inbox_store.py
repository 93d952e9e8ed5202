"""Writing updates into the inbox (bot/messaging/inbox.py): one, a batch, or a batch with leases taken.

A channel stores an update and commits before it confirms it to the platform; duplicates (the
platform sent it again) are skipped by the unique key (channel, update_key).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import InboxUpdate

Payload = dict[str, Any]
# (update_key, chat_key, payload)
Item = tuple[str, str, Payload]


async def store(
    session: AsyncSession,
    *,
    channel: str,
    update_key: str,
    chat_key: str,
    payload: Payload,
    now: datetime,
) -> bool:
    """Insert one update unless it is already there; True when it is new."""
    return await store_many(session, channel, [(update_key, chat_key, payload)], now) == 1


async def store_many(
    session: AsyncSession, channel: str, updates: Sequence[Item], now: datetime
) -> int:
    """Insert a batch in ONE statement, skipping those already there; the number that were new."""
    new, _ = await store_and_lease(session, channel, updates, now, limit=0, lease=timedelta(0))
    return new


async def store_and_lease(
    session: AsyncSession,
    channel: str,
    updates: Sequence[Item],
    now: datetime,
    *,
    limit: int,
    lease: timedelta,
    owner: str | None = None,
) -> tuple[int, list[tuple[InboxUpdate, bool]]]:
    """store_many(), and the first update of up to `limit` chats with nothing pending is
    inserted already claimed (a lease, one attempt), as `claim()` would have taken it next.

    The storing process then handles those at once, without a claim transaction between the
    store and the handling. Returns the number of new rows and the leased ones (detached, with
    whether their chat has more rows in this batch). The lease is a claim's: if the process dies
    before handling, it runs out and the row is claimed like any other.
    """
    if not updates:
        return 0, []
    free: set[str] = set()
    if limit > 0:
        chats = {chat_key for _, chat_key, _ in updates}
        busy = await session.scalars(
            select(InboxUpdate.chat_key)
            .where(InboxUpdate.status == "pending", InboxUpdate.chat_key.in_(chats))
            .distinct()
        )
        free = chats - set(busy.all())
    values = []
    for update_key, chat_key, payload in updates:
        leased = chat_key in free and limit > 0
        if leased:
            free.discard(chat_key)  # only a chat's first update
            limit -= 1
        values.append(
            {
                "channel": channel,
                "update_key": update_key,
                "chat_key": chat_key,
                "payload": payload,
                "status": "pending",
                "attempts": 1 if leased else 0,
                "locked_until": now + lease if leased else None,
                "lease_owner": owner if leased else None,
                "received_at": now,
            }
        )
    dialect = session.bind.dialect.name if session.bind is not None else ""
    table: Any = InboxUpdate.__table__
    if dialect == "postgresql":
        statement: Any = pg_insert(table)
    elif dialect == "sqlite":
        statement = sqlite_insert(table)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    # One statement with the rows as parameters (executemany; SQLAlchemy sends it as one
    # multi-row INSERT, "insertmanyvalues"), not `.values(rows)`: a statement built with its
    # rows in it is compiled again for every batch (SQLAlchemy cannot cache it).
    statement = statement.on_conflict_do_nothing(index_elements=["channel", "update_key"])
    statement = statement.returning(
        table.c.id, table.c.update_key, table.c.chat_key, table.c.attempts
    )
    connection = await session.connection()
    inserted = [tuple(row) for row in (await connection.execute(statement, values)).all()]
    per_chat = Counter(chat_key for _, _, chat_key, _ in inserted)
    payloads = {update_key: payload for update_key, _, payload in updates}
    leased_rows = [
        (
            InboxUpdate(
                id=row_id,
                channel=channel,
                update_key=update_key,
                chat_key=chat_key,
                payload=payloads[update_key],
                status="pending",
                attempts=attempts,
                locked_until=now + lease,
                lease_owner=owner,
                received_at=now,
            ),
            per_chat[chat_key] > 1,
        )
        for row_id, update_key, chat_key, attempts in inserted
        if attempts > 0
    ]
    return len(inserted), leased_rows
