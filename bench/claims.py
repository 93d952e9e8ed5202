"""Benchmark 5: the outbox claim's cost follows the due rows, not the backlog.

Per backend (SQLite file, then PostgreSQL), two fresh databases (schema from the models):
- `100 pending`: 100 rows, all due, in 100 chats;
- `100k pending, 100 due`: the same 100 due rows, each the newest row of its chat behind 20
  older rows scheduled days ahead (so the order rule's probe has something to look at), and
  ~98k more rows scheduled for later in 10k other chats (as `jobs run --at` used to queue them,
  or long backoffs).
Then ANALYZE (PostgreSQL) and, timed: the claim as the worker runs it
(bot/messaging/claims.py `due_heads`: the claim statement and the "earliest retry" query, limit
200, FOR UPDATE SKIP LOCKED on PostgreSQL), in a transaction rolled back each time, median of
21 runs after one to warm up. `ratio` = big / small; target ≤ 2. For comparison, the claim it
replaced (a GROUP BY over every pending row, then the due heads loaded) is timed on the same
data (`old_*_ms`), and on PostgreSQL the claim statement's EXPLAIN ANALYZE is kept in the JSON.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Results, Row, create_pg_database, drop_pg_database

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
RUNS = 21
DUE = 100
OLDER_PER_DUE_CHAT = 20
LIMIT = 200


def _rows(total: int) -> list[dict[str, Any]]:
    """`total` pending rows of which DUE are due, due rows newest in their chats."""
    rows: list[dict[str, Any]] = []

    def row(chat: str, due_at: datetime) -> dict[str, Any]:
        return {
            "channel": "telegram",
            "chat_id": chat,
            "payload": {"text": "x"},
            "kind": "reply",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": due_at,
            "created_at": NOW,
        }

    later = NOW + timedelta(days=15)
    if total > DUE:
        for n in range(DUE):
            rows.extend(row(f"{700_000 + n}", later) for _ in range(OLDER_PER_DUE_CHAT))
        rest = total - DUE - len(rows)
        rows.extend(
            row(f"{800_000 + n % 10_000}", later + timedelta(seconds=n)) for n in range(rest)
        )
    rows.extend(row(f"{700_000 + n}", NOW - timedelta(seconds=1)) for n in range(DUE))
    return rows


async def _old_claim(session: Any) -> int:
    """The claim before 0003_delivery: the oldest pending row of every chat (a GROUP BY over
    every pending row), then those heads that are due, loaded and locked."""
    from sqlalchemy import func, or_, select

    from models import OutboxMessage

    o = OutboxMessage
    per_chat = (
        await session.execute(
            select(func.min(o.id), func.min(o.next_attempt_at), func.count())
            .where(o.status == "pending", o.channel.in_(["telegram"]))
            .group_by(o.channel, o.chat_id)
        )
    ).all()
    heads = sorted(head for head, _, _ in per_chat)
    claimed = 0
    for start in range(0, len(heads), 500):
        query = (
            select(o)
            .where(
                o.id.in_(heads[start : start + 500]),
                o.status == "pending",
                o.next_attempt_at <= NOW,
                or_(o.locked_until.is_(None), o.locked_until <= NOW),
            )
            .order_by(o.id)
            .limit(LIMIT - claimed)
        )
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed += len((await session.scalars(query)).all())
        if claimed >= LIMIT:
            break
    return claimed


async def _measure(url: str, total: int) -> dict[str, Any]:
    from sqlalchemy import insert, text
    from sqlalchemy.dialects import postgresql

    from bot.core.db import Database
    from bot.messaging.claims import claim_query, due_heads
    from models import Base, OutboxMessage

    db = Database(url)
    hold = timedelta(seconds=120)
    stale = NOW - timedelta(seconds=6)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        rows = _rows(total)
        async with db.transaction() as session:
            for start in range(0, len(rows), 5000):
                await session.execute(insert(OutboxMessage), rows[start : start + 5000])
        async with db.engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
        plan: list[str] = []
        if db.is_postgres:
            query = claim_query(NOW, ["telegram"], LIMIT, True, hold=hold, stale_before=stale)
            compiled = str(
                query.compile(
                    dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
                    compile_kwargs={"literal_binds": True},
                )
            )
            async with db.engine.connect() as conn:
                found = await conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + compiled))
                plan = [str(r[0]) for r in found]
                await conn.rollback()
        new, old, claimed = [], [], 0
        for run in range(RUNS + 1):
            async with db.engine.connect() as conn:
                from sqlalchemy.ext.asyncio import AsyncSession

                session = AsyncSession(bind=conn, expire_on_commit=False)
                t0 = time.perf_counter()
                heads = await due_heads(
                    session, NOW, ["telegram"], LIMIT, db.is_postgres, hold=hold, stale_before=stale
                )
                if run:  # the first run warms the caches
                    new.append((time.perf_counter() - t0) * 1000)
                claimed = len(heads.rows)
                await session.rollback()
                t0 = time.perf_counter()
                await _old_claim(session)
                if run:
                    old.append((time.perf_counter() - t0) * 1000)
                await session.rollback()
                await session.close()
        return {
            "pending": len(rows),
            "claimed": claimed,
            "claim_ms": round(statistics.median(new), 3),
            "old_claim_ms": round(statistics.median(old), 3),
            "explain": plan,
        }
    finally:
        await db.dispose()


async def _backend(backend: str, tmp: str, big: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for label, total in (("small", DUE), ("big", big)):
        if backend == "postgresql":
            name, url = await create_pg_database(prefix="patbm_bench_claim")
            try:
                out[label] = await _measure(url, total)
            finally:
                await drop_pg_database(name)
        else:
            out[label] = await _measure(f"sqlite+aiosqlite:///{tmp}/claim-{label}.db", total)
    return out


def run_claims(results: Results, *, backends: list[str], big: int = 100_000) -> None:
    import tempfile

    from bench.common import new_key
    from bot.core.crypto import KeyRing, set_keyring

    set_keyring(KeyRing([new_key()]))
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            figures = asyncio.run(_backend(backend, tmp, big))
        small, large = figures["small"], figures["big"]
        ratio = large["claim_ms"] / small["claim_ms"] if small["claim_ms"] else None
        plan = "\n".join(large["explain"])
        # The due rows come from the index; nothing reads or groups the whole backlog.
        uses_index = not plan or (
            "ix_outbox_status_next_attempt" in plan
            and "Seq Scan on outbox" not in plan
            and "Aggregate" not in plan
        )
        results.add(
            Row(
                "claims",
                f"{backend} {large['pending']} pending ({DUE} due) vs {small['pending']}",
                {
                    "small_ms": small["claim_ms"],
                    "big_ms": large["claim_ms"],
                    "ratio": round(ratio, 2) if ratio is not None else None,
                    "claimed": large["claimed"],
                    "old_small_ms": small["old_claim_ms"],
                    "old_big_ms": large["old_claim_ms"],
                    "plan_uses_index": uses_index,
                    "explain": large["explain"],
                },
                target="big ≤ 2 × small",
                met=ratio is not None and ratio <= 2 and large["claimed"] == DUE and uses_index,
            )
        )
