"""Several instances sweep the same due cases at once: every escalation happens exactly once."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from bot.core.app import App
from bot.escalation.ladder import sweep
from models import Case, CaseEvent, CaseStatus, OutboxMessage
from tests.support import dbutil
from tests.support.casework_fixtures import build_world, new_case
from tests.support.outbox_support import another_app

INSTANCES = 3


async def test_concurrent_sweeps_escalate_each_case_once(app: App) -> None:
    world = await build_world(app)
    count = 500 if dbutil.is_postgres() else 120
    now = app.clock.now()
    reported = now - timedelta(days=14)
    async with app.db.transaction() as session:
        for _ in range(count):
            case = new_case(reported)
            # Accepted an hour ago, never resolved: only the resolve deadline is due.
            case.status = CaseStatus.DITERIMA
            case.assignee_id = world.kader_a
            case.assigned_at = reported
            case.accepted_at = now - timedelta(hours=1)
            case.updated_at = now - timedelta(hours=1)
            case.due_kind = "resolve"
            case.due_at = now - timedelta(minutes=1)
            session.add(case)

    apps = [another_app(app) for _ in range(INSTANCES)]
    try:
        results = await asyncio.gather(*(sweep(a, now, batch_size=50) for a in apps))
    finally:
        for a in apps:
            await a.db.dispose()

    assert sum(r.to_dinas for r in results) == count
    assert all(r.errors == 0 for r in results)
    async with app.db.transaction() as session:
        events = (
            await session.scalars(select(CaseEvent).where(CaseEvent.kind == "escalated"))
        ).all()
        per_case = Counter(e.case_id for e in events if e.data.get("rule") == "resolve_timeout")
        assert len(per_case) == count and set(per_case.values()) == {1}
        sent = (
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "escalation",
                    OutboxMessage.chat_id == world.chats[world.dinas],
                )
            )
        ).all()
        # Notices to one person are grouped per batch: every case is in exactly one message.
        covered = 0
        for message in sent:
            grouped = re.match(r"Eskalasi: (\d+) kasus", message.payload["text"])
            covered += int(grouped.group(1)) if grouped else 1
        assert covered == count
        assert len(sent) < count
        still_due = await session.scalar(
            select(func.count()).select_from(Case).where(Case.due_at <= now)
        )
        assert still_due == 0
    if dbutil.is_postgres():
        assert sum(1 for r in results if r.to_dinas) >= 2  # the work really was shared
    # And once more, all at once: nothing.
    again = [another_app(app) for _ in range(INSTANCES)]
    try:
        results = await asyncio.gather(*(sweep(a, now) for a in again))
    finally:
        for a in again:
            await a.db.dispose()
    assert sum(r.acted for r in results) == 0
