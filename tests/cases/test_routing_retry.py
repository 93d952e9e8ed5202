"""A new case nobody can be given to is routed again by the sweep, and the Dinas hears of it once."""

from __future__ import annotations

from datetime import timedelta

from bot.core.app import App
from bot.core.clock import FixedClock
from bot.escalation.ladder import sweep
from bot.escalation.notices import escalate_to_dinas
from models import Case, CaseStatus, Staff
from tests.support.casework_fixtures import (
    KEL_OTHER_KEC,
    World,
    build_world,
    events,
    get_case,
    outbox,
    report,
    texts_to,
)


async def _set(app: App, staff_id: int, **values: object) -> None:
    async with app.db.transaction() as session:
        staff = await session.get(Staff, staff_id)
        assert staff is not None
        for key, value in values.items():
            setattr(staff, key, value)


async def _unroutable_case(app: App, world: World) -> int:
    """Pasir Putih has no cadre; with its coordinator and the Dinas inactive, nobody is left."""
    await _set(app, world.other_coordinator, active=False)
    await _set(app, world.dinas, active=False)
    case_id = await report(app, kelurahan=KEL_OTHER_KEC)
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.BARU and case.assignee_id is None
    assert len(await events(app, case_id, "unroutable")) == 1
    return case_id


async def test_the_retry_assigns_once_someone_is_there(app: App, clock: FixedClock) -> None:
    world = await build_world(app)
    case_id = await _unroutable_case(app, world)
    retry = timedelta(minutes=app.settings.routing_retry_minutes)
    assert (await get_case(app, case_id)).due_at == clock.now() + retry
    clock.advance(retry - timedelta(minutes=1))
    assert (await sweep(app, clock.now())).case_ids == []
    await _set(app, world.other_coordinator, active=True)  # a coordinator is back
    clock.advance(minutes=1)
    result = await sweep(app, clock.now())
    assert result.routed == 1 and result.acted == 1 and result.to_dinas == 0
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.DITUGASKAN and case.assignee_id == world.other_coordinator
    assert case.due_kind == "accept" and case.due_at is not None and case.due_at > clock.now()
    assert case.escalation_level == 0
    (assigned,) = await events(app, case_id, "assigned")
    assert assigned.data["trigger"] == "routing_retry"
    assert assigned.data["reason"] == "no_kader_on_duty"
    (text,) = await texts_to(app, world.chats[world.other_coordinator])
    assert case.reference in text
    assert await events(app, case_id, "escalated") == []


async def test_still_nobody_escalates_once_then_retries_quietly(
    app: App, clock: FixedClock
) -> None:
    world = await build_world(app)
    case_id = await _unroutable_case(app, world)
    retry = timedelta(minutes=app.settings.routing_retry_minutes)
    before = len(await outbox(app))
    clock.advance(retry)
    result = await sweep(app, clock.now())
    assert result.to_dinas == 1 and result.routed == 0 and result.errors == 0
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.BARU and case.assignee_id is None
    assert case.escalation_level == 3
    assert case.due_kind == "route" and case.due_at == clock.now() + retry
    (escalated,) = await events(app, case_id, "escalated")
    assert escalated.data == {"rule": "unroutable", "level": 3, "staff_id": None}
    for _ in range(3):  # later retries: no second escalation, no message
        clock.advance(retry)
        result = await sweep(app, clock.now())
        assert result.case_ids == [case_id] and result.acted == 0
        assert (await get_case(app, case_id)).due_at == clock.now() + retry
    assert len(await events(app, case_id, "escalated")) == 1
    assert len(await events(app, case_id, "unroutable")) == 1
    assert len(await outbox(app)) == before
    # A Dinas officer is back: the next retry gives the case to them, as routing does.
    await _set(app, world.dinas, active=True)
    clock.advance(retry)
    assert (await sweep(app, clock.now())).routed == 1
    case = await get_case(app, case_id)
    assert case.assignee_id == world.dinas and case.status == CaseStatus.DITUGASKAN
    assert case.due_kind == "accept"


async def test_the_dinas_notice_for_a_case_nobody_has(app: App, clock: FixedClock) -> None:
    world = await build_world(app)
    case_id = await report(app, kelurahan=KEL_OTHER_KEC, description="RAHASIA-CERITA-77")
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        await escalate_to_dinas(session, case, clock.now(), app.settings, 3, rule="unroutable")
    texts = await texts_to(app, world.chats[world.dinas])
    notice = [t for t in texts if "belum dapat diteruskan" in t]
    assert len(notice) == 1 and (await get_case(app, case_id)).reference in notice[0]
    assert "Pasir Putih" in notice[0] and "RAHASIA" not in notice[0]
