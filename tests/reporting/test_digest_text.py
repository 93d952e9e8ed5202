"""Digest texts are exactly those of their plain definition (tests/support/digest_oracle.py).

bot/reporting/digest.py counts with GROUP BY and lists with LIMIT; the oracle loads every open case. A
seeded mix of cases covers what the texts depend on: every open status and closed ones, more
than MAX_LISTED cases in a list, cases past their deadline by due_at or by escalation level,
cases without an assignee, equal creation times (the id breaks the tie), a cadre holding more
than MAX_LISTED cases, and an English-speaking coordinator.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.admin.staff import add_staff
from bot.cases.deadlines import LEVEL_DINAS
from bot.core.app import App
from bot.core.clock import FixedClock
from bot.reporting.digest import MAX_LISTED, digest_text_for, run_digests
from bot.reporting.digest_chart import chart_data
from models import CaseStatus, OutboxMessage, Staff
from tests.support import digest_oracle
from tests.support.casework_fixtures import KEL1, KEL2, KEL_OTHER_KEC, World, build_world, new_case

NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 07:00 WIB
STATUSES = list(CaseStatus)
CATEGORY_LISTS = [
    ["fisik"],
    ["seksual", "psikis"],
    ["psikis", "seksual"],
    [],
    ["eksploitasi_ekonomi"],
]


async def seed_many(app: App) -> World:
    world = await build_world(app)
    rng = random.Random(20261123)
    assignees = [None, world.kader_a, world.kader_b, world.kader_c, world.coordinator]
    async with app.db.transaction() as session:
        await add_staff(session, "Gita Admin", "081200000009", "admin", "15.71", NOW)
        await session.flush()
        for n in range(140):
            case = new_case(NOW, kelurahan=rng.choice([KEL1, KEL1, KEL2, KEL_OTHER_KEC]))
            case.reference = f"JMB-T{n:04d}"
            case.pin_hash = "x"
            case.status = rng.choice(STATUSES)
            # Whole hours, so that several cases share a creation time.
            case.created_at = NOW - timedelta(hours=rng.choice([1, 5, 23, 25, 30, 24 * 9, 24 * 40]))
            case.assignee_id = rng.choice(assignees)
            case.escalation_level = rng.choice([0, 0, 1, 2, LEVEL_DINAS, 4])
            case.due_at = rng.choice([None, NOW - timedelta(hours=2), NOW, NOW + timedelta(days=1)])
            case.categories = rng.choice(CATEGORY_LISTS)
            session.add(case)
        # One cadre with more cases than a reminder lists.
        for n in range(MAX_LISTED + 3):
            case = new_case(NOW - timedelta(days=n % 4), kelurahan=KEL2)
            case.reference, case.pin_hash = f"JMB-C{n:04d}", "x"
            case.status, case.assignee_id = CaseStatus.DITANGANI, world.kader_c
            session.add(case)
        coordinator = await session.get(Staff, world.coordinator)
        assert coordinator is not None
        coordinator.language = "en"
    return world


async def test_every_digest_text_matches_its_definition(app: App, clock: FixedClock) -> None:
    clock.set(NOW)
    await seed_many(app)
    async with app.db.transaction() as session:
        staff = list((await session.scalars(select(Staff).order_by(Staff.id))).all())
        expected = {
            s.id: await digest_oracle.text_for(session, s, NOW, app.settings) for s in staff
        }
        for person in staff:
            assert await digest_text_for(session, person, NOW, app.settings) == expected[person.id]
    texts = "\n".join(expected.values())
    # The mix really covers the long lists and both kinds of list.
    assert "lainnya" in texts or "more" in texts
    assert "Lewat batas waktu" in texts and "belum ada petugas" in texts

    await run_digests(app, NOW)
    async with app.db.transaction() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind.in_(["digest", "reminder"]))
            )
        ).all()
        # notify_staff appends the chat identity's id to the key.
        queued = {(row.dedupe_key or "").rsplit(":", 1)[0]: row.payload["text"] for row in rows}
    day = "2026-11-23"
    for person in staff:
        key = f"digest:{person.id}:{day}"
        if person.role == "admin":
            assert key not in queued
        elif "Tidak ada kasus terbuka" in expected[person.id]:
            assert key not in queued  # cadres without open cases get no reminder
        else:
            assert queued[key] == expected[person.id], person.role


async def test_chart_counts_match_their_definition(app: App, clock: FixedClock) -> None:
    clock.set(NOW)
    await seed_many(app)
    async with app.db.transaction() as session:
        expected = await digest_oracle.chart_data(session, NOW)
        assert await chart_data(session, NOW) == expected
    per_kecamatan, per_category = expected
    assert sum(n for _, n in per_kecamatan) > 50 and len(per_category) == 4
    assert "eksploitasi ekonomi" in dict(per_category)
