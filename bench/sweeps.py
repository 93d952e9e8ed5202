"""Benchmark 4: escalation sweep and digests over 10k / 100k / 1M cases (1 % due), PostgreSQL.

Per size, a fresh throw-away database (schema from the models): Kota Jambi's areas, a kader
per kelurahan, a coordinator per kecamatan and one Dinas officer (all linked to a Telegram
chat, so notifications are really queued), then the cases by COPY:
- 1 % due now: half `ditugaskan` past their acceptance deadline, half `diterima` with no
  update for days (a reminder is due);
- 5 % open with a deadline in the future;
- the rest closed (`ditutup`, no deadline), as most of a city's history is.
Then `ANALYZE` (what autovacuum does after a bulk load) and, timed:
- `select_due_ms`: the sweep's own claim query (bot/escalation/batch.py `sweep_batch`, a batch
  of rows, FOR UPDATE SKIP LOCKED), with its `EXPLAIN ANALYZE` kept in the JSON;
- `sweep_s`: `bot.escalation.ladder.sweep(app, now)`, acting on every due case;
- `digest_s`: `bot.reporting.digest.run_digests(app, now)`.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Results, Row, create_pg_database, drop_pg_database

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB
CATEGORIES = ("fisik", "psikis", "seksual", "penelantaran", "perundungan")
AGES = ("0-5", "6-12", "13-17")


async def _people(session: Any) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Areas and staff; returns (kelurahan code -> kader id, [(kelurahan, kecamatan)])."""
    from sqlalchemy import func, select

    from bot.admin.staff import add_staff
    from bot.cases.areas import import_areas
    from models import Area, ChatIdentity

    await import_areas(session, "15.71")
    codes = list(
        (await session.scalars(select(Area.code).where(func.length(Area.code) == 13))).all()
    )
    kecamatan = sorted({c.rsplit(".", 1)[0] for c in codes})
    kader: dict[str, int] = {}
    people: list[tuple[str, str, str]] = [(c, "kader", c) for c in sorted(codes)]
    people += [(k, "koordinator_kecamatan", k) for k in kecamatan]
    people.append(("15.71", "dinas", "15.71"))
    for index, (label, role, area) in enumerate(people):
        staff = await add_staff(
            session, f"Petugas {label}", f"+62813{index + 1:08d}", role, area, NOW
        )
        await session.flush()
        session.add(
            ChatIdentity(
                channel="telegram",
                external_id=str(600_000 + index),
                chat_id=str(600_000 + index),
                staff_id=staff.id,
                created_at=NOW,
            )
        )
        if role == "kader":
            kader[area] = staff.id
    return kader, [(c, c.rsplit(".", 1)[0]) for c in sorted(codes)]


def _case_rows(
    total: int, due: int, kader: dict[str, int], places: list[tuple[str, str]]
) -> list[tuple[Any, ...]]:
    rng = random.Random(total)
    future = total * 5 // 100
    rows = []
    for i in range(total):
        kel, kec = places[i % len(places)]
        created = NOW - timedelta(days=rng.randint(10, 700), minutes=rng.randint(0, 1440))
        status, due_kind, due_at, assignee, accepted = "ditutup", None, None, kader[kel], None
        if i < due:
            if i % 2 == 0:
                status, due_kind = "ditugaskan", "accept"
                created = NOW - timedelta(hours=rng.randint(6, 30))
            else:
                status, due_kind = "diterima", "update"
                created = NOW - timedelta(days=rng.randint(6, 9))
                accepted = created + timedelta(hours=2)
            due_at = NOW - timedelta(minutes=rng.randint(1, 600))
        elif i < due + future:
            status, due_kind = "diterima", "update"
            created = NOW - timedelta(days=1)
            accepted = created + timedelta(hours=1)
            due_at = NOW + timedelta(days=rng.randint(1, 3))
        updated = accepted or created
        rows.append(
            (
                f"JMB-{i:07d}",
                "x" * 60,
                f"bench-{total}-{i}",
                status,
                "biasa",
                json.dumps([rng.choice(CATEGORIES)]),
                rng.choice(AGES),
                rng.choice(("p", "l")),
                kec,
                kel,
                True,
                False,
                "telegram",
                "id",
                assignee,
                0,
                due_kind,
                due_at,
                created,
                updated,
                created + timedelta(minutes=5),
                accepted,
                created + timedelta(days=5) if status == "ditutup" else None,
                1,
            )
        )
    return rows


COLUMNS = (
    "reference",
    "pin_hash",
    "submission_key",
    "status",
    "priority",
    "categories",
    "victim_age_group",
    "victim_sex",
    "kecamatan_code",
    "kelurahan_code",
    "anonymous",
    "contact_consent",
    "channel",
    "language",
    "assignee_id",
    "escalation_level",
    "due_kind",
    "due_at",
    "created_at",
    "updated_at",
    "assigned_at",
    "accepted_at",
    "closed_at",
    "version",
)


async def _copy_cases(asyncpg_url: str, rows: list[tuple[Any, ...]]) -> None:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_url)
    try:
        # Timestamps: the models store naive UTC or aware, depending on the column type.
        kinds = {
            r["column_name"]: r["data_type"]
            for r in await conn.fetch(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'cases'"
            )
        }
        if kinds.get("created_at", "").startswith("timestamp without"):
            rows = [
                tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row)
                for row in rows
            ]
        for start in range(0, len(rows), 100_000):
            await conn.copy_records_to_table(
                "cases", records=rows[start : start + 100_000], columns=list(COLUMNS)
            )
        await conn.execute("ANALYZE cases")
    finally:
        await conn.close()


def _claim_query() -> Any:
    """The sweep's claim (bot/escalation/batch.py `sweep_batch`), at its batch size."""
    from sqlalchemy import select, text

    from bot.escalation.batch_data import CASES, CLAIMED
    from bot.escalation.ladder import BATCH_SIZE
    from models.case import OPEN_CASE_SQL

    return (
        select(*CLAIMED)
        .where(text(OPEN_CASE_SQL), CASES.c.due_at <= NOW)
        .order_by(CASES.c.due_at, CASES.c.id)
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
    )


async def _measure(total: int, due: int, key: str) -> dict[str, Any]:
    from pydantic import SecretStr
    from sqlalchemy import func, select, text
    from sqlalchemy.dialects import postgresql

    from bot.core.app import App
    from bot.core.clock import FixedClock
    from bot.core.crypto import KeyRing, set_keyring
    from bot.core.db import Database
    from bot.core.settings import Settings
    from bot.escalation.ladder import sweep
    from bot.reporting.digest import run_digests
    from models import Base, OutboxMessage

    name, url = await create_pg_database("patbm_bench_sweep")
    set_keyring(KeyRing([key]))
    settings = Settings(database_url=url, encryption_key=SecretStr(key))
    app = App(settings=settings, db=Database(url), clock=FixedClock(NOW))
    try:
        async with app.db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with app.db.transaction() as session:
            kader, places = await _people(session)
        started = time.perf_counter()
        await _copy_cases(
            url.replace("postgresql+asyncpg://", "postgresql://"),
            _case_rows(total, due, kader, places),
        )
        load_s = time.perf_counter() - started

        query = _claim_query()
        async with app.db.engine.connect() as conn:
            compiled = str(
                query.compile(
                    dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
                    compile_kwargs={"literal_binds": True},
                )
            )
            plan_rows = await conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + compiled))
            plan = [str(r[0]) for r in plan_rows]
            await conn.rollback()
        timings = []
        for _ in range(5):
            async with app.db.transaction() as session:
                t0 = time.perf_counter()
                await session.execute(query)
                timings.append(time.perf_counter() - t0)
                await session.rollback()
        select_ms = sorted(timings)[len(timings) // 2] * 1000

        started = time.perf_counter()
        swept = await sweep(app, NOW)
        sweep_s = time.perf_counter() - started
        started = time.perf_counter()
        digests = await run_digests(app, NOW)
        digest_s = time.perf_counter() - started
        async with app.db.transaction() as session:
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        # The partial index gives the deadline order: no Sort node above it.
        uses_index = any("ix_cases_open_due" in line for line in plan) and not any(
            line.strip().startswith("Sort") or "-> Sort" in line for line in plan
        )
        return {
            "cases": total,
            "due": due,
            "load_s": round(load_s, 1),
            "select_due_ms": round(select_ms, 2),
            "sweep_s": round(sweep_s, 2),
            "sweep_ms_per_due": round(sweep_s * 1000 / max(1, due), 2),
            "acted": swept.acted,
            "sweep_errors": swept.errors,
            "digest_s": round(digest_s, 2),
            "digests": digests.digests,
            "reminders": digests.reminders,
            "outbox_rows": queued,
            "plan_uses_index": uses_index,
            "explain": plan,
        }
    finally:
        await app.close()
        await drop_pg_database(name)


def run_sweeps(results: Results, *, sizes: list[tuple[int, int]], key: str) -> None:
    """`sizes`: (cases, of which due) pairs."""
    for total, due in sizes:
        figures = asyncio.run(_measure(total, due, key))
        uses_index = bool(figures["plan_uses_index"])
        if total >= 1_000_000 and due >= 10_000:
            target = "1M cases, 10k due: sweep < 1 s; index used"
            met = uses_index and float(figures["sweep_s"]) < 1.0
        else:
            target = "EXPLAIN: ix_cases_open_due, no sort"
            met = uses_index
        results.add(
            Row(
                "sweeps",
                f"{total} cases ({due} due)",
                figures,
                target=target,
                met=met,
                note="PostgreSQL; escalation.sweep + digest.run_digests",
            )
        )
