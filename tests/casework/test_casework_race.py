"""The database decides: an accept racing a reassignment never lets both win."""

from __future__ import annotations

import pytest
from sqlalchemy.orm.exc import StaleDataError

from bot.cases.authz import AccessDenied
from bot.cases.routing import route_to_next
from bot.casework import actions as casework
from bot.core.app import App
from models import Case, CaseStatus, Staff
from tests.support import dbutil
from tests.support.casework_fixtures import KEL2, build_world, events, get_case, report


@pytest.mark.skipif(not dbutil.is_postgres(), reason="SQLite serialises writers (BEGIN IMMEDIATE)")
async def test_accept_loses_to_a_committed_reassignment(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app, kelurahan=KEL2)
    now = app.clock.now()
    async with app.db.sessions() as slow:
        await slow.begin()
        case = await slow.get(Case, case_id)
        cadre = await slow.get(Staff, world.kader_c)
        assert case is not None and cadre is not None
        async with app.db.transaction() as fast:
            fast_case = await fast.get(Case, case_id)
            assert fast_case is not None
            await route_to_next(fast, fast_case, now, app.settings, "accept_timeout")
        await casework.accept(slow, case, cadre, now, app.settings, "telegram")
        with pytest.raises(StaleDataError):
            await slow.commit()
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.DITUGASKAN and case.assignee_id == world.coordinator
    assert await events(app, case_id, "accepted") == []


async def test_the_retried_accept_is_refused_once_reassigned(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app, kelurahan=KEL2)
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        await route_to_next(session, case, app.clock.now(), app.settings, "accept_timeout")
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        cadre = await session.get(Staff, world.kader_c)
        assert case is not None and cadre is not None
        with pytest.raises(AccessDenied):
            await casework.accept(session, case, cadre, app.clock.now(), app.settings, "telegram")
    assert (await get_case(app, case_id)).status == CaseStatus.DITUGASKAN
    assert len(await events(app, case_id, "access_denied")) == 1
