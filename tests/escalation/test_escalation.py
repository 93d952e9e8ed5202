"""The escalation ladder, rule by rule, with working hours, holidays, darurat and catch-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.cases.deadlines import refresh_deadline
from bot.cases.lifecycle import Actor, transition
from bot.core.app import App
from bot.core.clock import FixedClock
from bot.escalation.ladder import sweep
from models import Case, CaseEvent, CaseStatus, OutboxMessage, Staff
from tests.support.casework_fixtures import World, build_world, get_case, report

WIB = ZoneInfo("Asia/Jakarta")


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


async def outbox_to(app: App, chat_id: str) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def outbox_count(app: App) -> int:
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def events(app: App, case_id: int, kind: str) -> list[CaseEvent]:
    async with app.db.transaction() as session:
        rows = await session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
            .order_by(CaseEvent.id)
        )
        return list(rows.all())


async def set_backup(app: App, staff_id: int, backup_id: int) -> None:
    async with app.db.transaction() as session:
        staff = await session.get(Staff, staff_id)
        assert staff is not None
        staff.backup_id = backup_id


async def test_not_accepted_climbs_to_backup_then_coordinator_then_dinas(
    app: App, clock: FixedClock
) -> None:
    world = await build_world(app)
    await set_backup(app, world.kader_a, world.kader_b)
    case_id = await report(app)  # Monday 09:00 WIB
    case = await get_case(app, case_id)
    assert case.assignee_id == world.kader_a
    assert case.due_kind == "accept" and case.due_at == wib(2026, 11, 23, 13)

    # A minute early: nothing.
    assert (await sweep(app, wib(2026, 11, 23, 12, 59))).acted == 0

    first = await sweep(app, wib(2026, 11, 23, 13))
    assert first.reassigned == 1
    case = await get_case(app, case_id)
    assert case.assignee_id == world.kader_b  # the backup first
    assert case.escalation_level == 1
    assert case.due_kind == "accept" and case.due_at == wib(2026, 11, 24, 9)
    assert any(r.kind == "assignment" for r in await outbox_to(app, world.chats[world.kader_b]))
    # The same instant again: nothing new.
    before = await outbox_count(app)
    assert (await sweep(app, wib(2026, 11, 23, 13))).acted == 0
    assert await outbox_count(app) == before

    second = await sweep(app, wib(2026, 11, 24, 9))
    assert second.to_coordinator == 1
    case = await get_case(app, case_id)
    assert case.assignee_id == world.coordinator
    assert case.escalation_level == 2
    # No more acceptance deadlines: next is the resolve deadline, 7 working days after the report.
    assert case.due_kind == "resolve" and case.due_at == wib(2026, 12, 2, 9)
    assert await outbox_to(app, world.chats[world.coordinator])

    assert (await sweep(app, wib(2026, 12, 2, 8, 59))).acted == 0
    third = await sweep(app, wib(2026, 12, 2, 9))
    assert third.to_dinas == 1
    case = await get_case(app, case_id)
    assert case.escalation_level == 3
    dinas_rows = [
        r for r in await outbox_to(app, world.chats[world.dinas]) if r.kind == "escalation"
    ]
    assert len(dinas_rows) == 1
    assert case.reference in dinas_rows[0].payload["text"]
    rules = [e.data["rule"] for e in await events(app, case_id, "escalated")]
    assert rules == ["accept_timeout", "accept_timeout", "resolve_timeout"]
    # Later sweeps: the case is with the coordinator, nothing else is due for it.
    assert (await sweep(app, wib(2026, 12, 20, 9))).to_dinas == 0


async def test_friday_evening_before_a_long_weekend(app: App, clock: FixedClock) -> None:
    world = await build_world(app)
    clock.set(wib(2026, 5, 29, 19))  # Friday; Sunday Waisak, Monday Hari Lahir Pancasila
    case_id = await report(app)
    case = await get_case(app, case_id)
    assert case.due_at == wib(2026, 6, 2, 12)  # Tuesday: 08:00 + 4 working hours
    assert (await sweep(app, wib(2026, 6, 1, 15))).acted == 0  # the holiday does not count
    assert (await sweep(app, wib(2026, 6, 2, 12))).reassigned == 1
    case = await get_case(app, case_id)
    assert case.assignee_id != world.kader_a


async def test_darurat_counts_wall_clock_minutes(app: App, clock: FixedClock) -> None:
    await build_world(app)
    clock.set(wib(2026, 11, 28, 23))  # Saturday night
    case_id = await report(app, priority="darurat")
    case = await get_case(app, case_id)
    assert case.due_at == wib(2026, 11, 28, 23, 30)
    result = await sweep(app, wib(2026, 11, 28, 23, 30))
    assert result.reassigned == 1
    case = await get_case(app, case_id)
    assert case.due_at == wib(2026, 11, 29, 0, 0)  # the next cadre has 30 minutes too
    # Accepted, then not resolved within 2 days: the Dinas.
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)  # type: ignore[assignment]
        assert case is not None
        transition(session, case, CaseStatus.DITERIMA, Actor(kind="staff"), wib(2026, 11, 29, 0))
        refresh_deadline(case, wib(2026, 11, 29, 0), app.settings)
        assert case.due_kind == "resolve" and case.due_at == wib(2026, 11, 30, 23)
    assert (await sweep(app, wib(2026, 11, 30, 23))).to_dinas == 1


async def accept(app: App, case_id: int, at: datetime, status: CaseStatus) -> None:
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        transition(session, case, status, Actor(kind="staff", staff_id=case.assignee_id), at)
        refresh_deadline(case, at, app.settings)


async def test_no_update_reminds_the_assignee_every_three_working_days(
    app: App, clock: FixedClock
) -> None:
    world = await build_world(app)
    case_id = await report(app)
    await accept(app, case_id, wib(2026, 11, 23, 10), CaseStatus.DITERIMA)
    case = await get_case(app, case_id)
    assert case.due_kind == "update" and case.due_at == wib(2026, 11, 26, 10)

    result = await sweep(app, wib(2026, 11, 26, 10))
    assert result.update_reminders == 1
    reminders = [
        r for r in await outbox_to(app, world.chats[world.kader_a]) if r.kind == "reminder"
    ]
    assert len(reminders) == 1 and case.reference in reminders[0].payload["text"]
    assert (await sweep(app, wib(2026, 11, 26, 10, 5))).acted == 0
    case = await get_case(app, case_id)
    # The next reminder three working days after this one, unless resolve comes first.
    assert case.due_kind == "update" and case.due_at == wib(2026, 12, 1, 10)
    assert (await sweep(app, wib(2026, 12, 1, 10))).update_reminders == 1
    # Resolve (7 working days after the report) comes next, and the reminder is not repeated.
    case = await get_case(app, case_id)
    assert case.due_kind == "resolve" and case.due_at == wib(2026, 12, 2, 9)
    result = await sweep(app, wib(2026, 12, 2, 9))
    assert result.to_dinas == 1 and result.update_reminders == 0
    case = await get_case(app, case_id)
    assert case.due_kind == "update" and case.due_at == wib(2026, 12, 4, 10)


async def test_referral_reminds_the_dinas(app: App, clock: FixedClock) -> None:
    world = await build_world(app)
    case_id = await report(app)
    await accept(app, case_id, wib(2026, 11, 23, 10), CaseStatus.DITERIMA)
    await accept(app, case_id, wib(2026, 11, 23, 11), CaseStatus.DIRUJUK)
    case = await get_case(app, case_id)
    assert case.due_kind == "referral" and case.due_at == wib(2026, 11, 26, 11)
    assert (await sweep(app, wib(2026, 11, 26, 11))).referral_reminders == 1
    assert (await sweep(app, wib(2026, 11, 26, 11))).referral_reminders == 0
    rows = [r for r in await outbox_to(app, world.chats[world.dinas]) if r.kind == "reminder"]
    assert len(rows) == 1
    case = await get_case(app, case_id)
    assert case.due_at == wib(2026, 12, 1, 11)


async def test_two_weeks_of_downtime_are_caught_up_once(app: App, clock: FixedClock) -> None:
    world = await build_world(app)
    case_id = await report(app)
    later = clock.now() + timedelta(days=14)
    result = await sweep(app, later)
    assert result.reassigned == 1 and result.to_dinas == 1
    case = await get_case(app, case_id)
    assert case.escalation_level == 3 and case.due_at is not None and case.due_at > later
    count = await outbox_count(app)
    again = await sweep(app, later)
    assert again.acted == 0 and await outbox_count(app) == count
    assert len([r for r in await outbox_to(app, world.chats[world.dinas])]) >= 1


async def test_a_stale_deadline_is_replanned_without_messages(app: App, clock: FixedClock) -> None:
    await build_world(app)
    case_id = await report(app)
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        # Accepted by a service that forgot refresh_deadline: the accept deadline is stale.
        transition(session, case, CaseStatus.DITERIMA, Actor(kind="staff"), wib(2026, 11, 23, 10))
    count = await outbox_count(app)
    result = await sweep(app, wib(2026, 11, 23, 13))
    assert result.acted == 0 and result.replanned == 1
    assert await outbox_count(app) == count
    case = await get_case(app, case_id)
    assert case.due_kind == "update" and case.due_at == wib(2026, 11, 26, 10)


async def test_a_failing_case_does_not_block_the_others(
    app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_world(app)
    bad = await report(app)
    good = await report(app)
    from bot.escalation import batch_plan as escalation_batch

    original = escalation_batch._accept_missed

    def flaky(case, batch, out):  # type: ignore[no-untyped-def]
        if case.id == bad:
            raise RuntimeError("boom")
        original(case, batch, out)

    monkeypatch.setattr(escalation_batch, "_accept_missed", flaky)
    result = await sweep(app, wib(2026, 11, 23, 13))
    assert result.errors == 1 and result.reassigned == 1
    assert (await get_case(app, good)).escalation_level == 1
    failed = await get_case(app, bad)
    assert failed.escalation_level == 0
    assert failed.due_at == wib(2026, 11, 23, 13, 5)
    assert await events(app, bad, "escalated") == []


async def test_a_failed_bulk_write_falls_back_to_one_case_at_a_time(
    app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_world(app)
    bad = await report(app)
    good = await report(app)
    first_assignee = (await get_case(app, good)).assignee_id
    from bot.cases.routing import route_to_next as original
    from bot.escalation import batch as escalation_batch
    from bot.escalation import per_case

    async def broken_write(*args: object) -> None:
        raise RuntimeError("bulk write failed")

    async def flaky(session, case, now, settings, reason):  # type: ignore[no-untyped-def]
        if case.id == bad:
            raise RuntimeError("boom")
        return await original(session, case, now, settings, reason)

    monkeypatch.setattr(escalation_batch, "_write", broken_write)
    monkeypatch.setattr(per_case, "route_to_next", flaky)
    result = await sweep(app, wib(2026, 11, 23, 13))
    # The per-case path still isolates its own failures, one savepoint per case.
    assert result.errors == 1 and result.reassigned == 1
    case = await get_case(app, good)
    assert case.escalation_level == 1 and case.assignee_id != first_assignee
    assert [e.data["rule"] for e in await events(app, good, "escalated")] == ["accept_timeout"]
    assert len(await events(app, good, "reassigned")) == 1
    failed = await get_case(app, bad)
    assert failed.escalation_level == 0
    assert failed.due_at == wib(2026, 11, 23, 13, 5)


async def test_world_fixture_shape(app: App) -> None:
    world: World = await build_world(app)
    assert world.dinas in world.chats


async def test_working_hours_follow_the_deployment_zone(app: App, clock: FixedClock) -> None:
    # Makassar (WITA, UTC+8): reported Monday 15:00 WITA, one working hour left that day.
    app.settings.timezone = "Asia/Makassar"
    await build_world(app)
    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    case_id = await report(app)
    case = await get_case(app, case_id)
    # 1 h on Monday (to 16:00) + 3 h on Tuesday from 08:00 = Tuesday 11:00 WITA = 03:00 UTC.
    assert case.due_at == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert (await sweep(app, datetime(2026, 11, 24, 2, 59, tzinfo=UTC))).acted == 0
    assert (await sweep(app, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))).reassigned == 1
