"""Moving an unaccepted case on: backup, another cadre not yet tried, coordinator, Dinas."""

from __future__ import annotations

from datetime import timedelta

from bot.admin.staff import add_staff
from bot.cases.routing import next_candidate, route_to_coordinator, route_to_next
from bot.core.app import App
from models import Case, Staff
from tests.support.casework_fixtures import KEL1, build_world, events, get_case, link, report


async def test_chain_backup_then_untried_cadre_then_coordinator_then_dinas(app: App) -> None:
    world = await build_world(app)
    now = app.clock.now()
    async with app.db.transaction() as session:
        kader_d = await add_staff(session, "Dewi Kader", "081200000009", "kader", KEL1, now)
        await link(session, kader_d, "1009", now)
        kader_a = await session.get(Staff, world.kader_a)
        kader_b = await session.get(Staff, world.kader_b)
        assert kader_a is not None and kader_b is not None
        kader_a.backup_id = kader_b.id
        # kader_a is the natural first choice; kader_b is busier than kader_d.
        kader_b.last_assigned_at = now - timedelta(hours=1)
        kader_d.last_assigned_at = now - timedelta(hours=1)
        kader_d_id = kader_d.id
    case_id = await report(app)
    assert (await get_case(app, case_id)).assignee_id == world.kader_a
    other = await report(app, kelurahan=KEL1, categories=["seksual"], age="0-5")
    assert (await get_case(app, other)).assignee_id == world.kader_b  # now busier than kader_d

    order = []
    for _ in range(5):
        async with app.db.transaction() as session:
            case = await session.get(Case, case_id)
            assert case is not None
            staff = await route_to_next(session, case, app.clock.now(), app.settings, "declined")
            order.append(staff.id if staff else None)
    assert order[0] == world.kader_b  # the backup, although busier or not
    assert order[1] == kader_d_id
    assert order[2:] == [world.coordinator, world.dinas, None]
    reasons = [e.data["reason"] for e in await events(app, case_id, "reassigned")]
    assert reasons == ["backup", "next_kader", "coordinator", "dinas"]
    assert all(e.data["trigger"] == "declined" for e in await events(app, case_id, "reassigned"))
    assert len(await events(app, case_id, "unroutable")) == 1
    case = await get_case(app, case_id)
    assert case.assignee_id == world.dinas and case.due_at is None


async def test_off_duty_backup_is_skipped(app: App) -> None:
    world = await build_world(app)
    async with app.db.transaction() as session:
        kader_a = await session.get(Staff, world.kader_a)
        assert kader_a is not None
        kader_a.on_duty = False
    case_id = await report(app)
    async with app.db.transaction() as session:
        kader_a = await session.get(Staff, world.kader_a)
        kader_b = await session.get(Staff, world.kader_b)
        assert kader_a is not None and kader_b is not None
        kader_b.backup_id = kader_a.id
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None and case.assignee_id == world.kader_b
        candidate = await next_candidate(session, case)
        assert candidate is not None
        assert (candidate.staff.id, candidate.reason) == (world.coordinator, "coordinator")


async def test_route_to_coordinator_skips_remaining_cadres(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app)
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        staff = await route_to_coordinator(
            session, case, app.clock.now(), app.settings, "accept_timeout_again"
        )
        assert staff is not None and staff.id == world.coordinator
    case = await get_case(app, case_id)
    assert case.assignee_id == world.coordinator and case.due_kind == "accept"
