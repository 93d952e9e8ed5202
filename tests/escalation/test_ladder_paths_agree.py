"""The batch sweep and the per-case sweep make the same decisions for the same world.

One world, swept twice from the same start: once by the batch path (planned in memory, written
in bulk) and once by the per-case path (forced: the bulk write fails, so every case goes one by
one, as it would in production). Each case must get the same events, the same deadline and
status, and each person the same notices (the batch groups several notices to one person into
one message; here every person gets one).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.app import App
from bot.escalation import batch
from bot.escalation.ladder import sweep
from models import Case, CaseEvent, CaseStatus, OutboxMessage, Staff
from models.base import Base
from tests.escalation.test_escalation import set_backup
from tests.support import dbutil
from tests.support.casework_fixtures import KEL1, KEL2, build_world, new_case, report


async def _fresh(app: App) -> None:
    if app.db.is_postgres:
        await dbutil.truncate_all(app.db.engine)
        return
    async with app.db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "areas":  # the same areas serve both sweeps
                await conn.execute(table.delete())
        # Emptied tables number their rows from 1 again (no AUTOINCREMENT), as PostgreSQL's
        # TRUNCATE ... RESTART IDENTITY does: both sweeps see the same ids.


async def _seed(app: App) -> None:
    """Four cases, each owing a different rung of the ladder at the sweep's moment."""
    world = await build_world(app)
    await set_backup(app, world.kader_a, world.kader_b)
    now = app.clock.now()
    await report(app)  # not accepted in time: to the backup
    async with app.db.transaction() as session:
        owing = [
            # accepted, no update for days: a reminder to its cadre
            (CaseStatus.DITERIMA, world.kader_c, "update", KEL2),
            # referred, no change: the Dinas is reminded
            (CaseStatus.DIRUJUK, world.coordinator, "referral", KEL1),
            # in hand for too long: the Dinas is told (resolve deadline)
            (CaseStatus.DITANGANI, world.kader_b, "resolve", KEL1),
        ]
        for status, assignee, kind, kelurahan in owing:
            case = new_case(now - timedelta(days=9), kelurahan=kelurahan)
            case.status = status
            case.assignee_id = assignee
            case.assigned_at = case.accepted_at = now - timedelta(days=9)
            case.updated_at = now - timedelta(days=8)
            case.due_kind = kind
            case.due_at = now - timedelta(minutes=1)
            session.add(case)


async def _outcome(app: App) -> dict[str, Any]:
    """What the sweep left, in words that do not depend on random references."""
    async with app.db.transaction() as session:
        cases = (await session.scalars(select(Case).order_by(Case.id))).all()
        names = {s.id: s.name for s in (await session.scalars(select(Staff))).all()}
        refs = {c.reference: f"case{c.id}" for c in cases}
        events = (await session.scalars(select(CaseEvent).order_by(CaseEvent.id))).all()
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()

    def words(text: str) -> str:
        return re.sub("|".join(map(re.escape, refs)), lambda m: refs[m.group(0)], text)

    return {
        "cases": [
            (
                c.id,
                c.status,
                names.get(c.assignee_id or 0),
                c.escalation_level,
                c.due_kind,
                c.due_at,
            )
            for c in cases
        ],
        "events": sorted(
            (
                e.case_id,
                e.kind,
                e.from_status,
                e.to_status,
                names.get(e.actor_staff_id or 0),
                repr(sorted((e.data or {}).items())),
            )
            for e in events
        ),
        "notices": sorted((r.chat_id, r.kind, words(r.payload.get("text", ""))) for r in rows),
    }


async def test_batch_and_per_case_paths_agree(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app.clock.now() + timedelta(hours=5)  # past the first case's acceptance deadline

    await _fresh(app)
    await _seed(app)
    in_batch = await sweep(app, at)
    by_batch = await _outcome(app)

    async def failing_bulk_write(*args: object) -> None:
        raise RuntimeError("bulk write refused (the test forces the per-case path)")

    monkeypatch.setattr(batch, "_write", failing_bulk_write)
    await _fresh(app)
    await _seed(app)
    one_by_one = await sweep(app, at)
    by_case = await _outcome(app)

    assert in_batch.acted == one_by_one.acted
    assert sorted(in_batch.case_ids) == sorted(one_by_one.case_ids)
    assert by_batch["cases"] == by_case["cases"]
    assert by_batch["events"] == by_case["events"]
    assert by_batch["notices"] == by_case["notices"]
