"""Authorisation from the database: refused attempts change nothing and are recorded."""

from __future__ import annotations

import pytest

from bot.cases.action_table import Action
from bot.cases.authz import may
from bot.cases.buttons import VERB_ACTIONS, CaseVerb
from bot.core.app import App
from models import Case, CaseStatus, Staff
from tests.support.casework_fixtures import (
    KEL2,
    KEL_OTHER_KEC,
    all_text,
    build_world,
    events,
    get_case,
    outbox,
    report,
)
from tests.support.chat import Chat

REFUSED = "hanya untuk petugas PATBM yang berwenang"


async def _snapshot(app: App, case_id: int) -> tuple[object, ...]:
    case = await get_case(app, case_id)
    return (case.status, case.assignee_id, case.version, case.due_at, case.outcome)


@pytest.mark.parametrize("verb", ["acc", "dec", "show", "note", "hdl", "done", "re", "cls"])
async def test_resident_pressing_a_copied_cadre_button_is_refused(app: App, verb: str) -> None:
    await build_world(app)
    case_id = await report(app)
    before = await _snapshot(app, case_id)
    rows_before = len(await outbox(app))
    resident = Chat(app, "7777")
    replies = await resident.press(f"k:{verb}:{case_id}")
    assert REFUSED in all_text(replies)
    assert "dipukul" not in all_text(replies)
    assert await _snapshot(app, case_id) == before
    (denied,) = await events(app, case_id, "access_denied")
    assert denied.actor_kind == "resident" and denied.data == {
        "action": VERB_ACTIONS[CaseVerb(verb)]
    }
    assert len(await outbox(app)) == rows_before + len(replies)
    # A typed follow-up does nothing either: no flow was started.
    assert await resident.flow() is None


async def test_resident_gets_the_same_answer_for_a_case_that_does_not_exist(app: App) -> None:
    await build_world(app)
    case_id = await report(app)
    resident = Chat(app, "7777")
    real = all_text(await resident.press(f"k:show:{case_id}"))
    missing = all_text(await resident.press(f"k:show:{case_id + 1000}"))
    assert real == missing and REFUSED in real


async def test_cadre_of_another_kelurahan_is_refused(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app)  # Simpang IV Sipin: kader_a or kader_b
    before = await _snapshot(app, case_id)
    other = Chat(app, world.chats[world.kader_c])  # Buluran Kenali
    for verb in ("acc", "show", "note", "done", "re"):
        assert REFUSED in all_text(await other.press(f"k:{verb}:{case_id}"))
    assert await _snapshot(app, case_id) == before
    denied = await events(app, case_id, "access_denied")
    assert [d.data["action"] for d in denied] == ["accept", "view", "note", "resolve", "reassign"]
    assert {d.actor_staff_id for d in denied} == {world.kader_c}
    assert await events(app, case_id, "viewed") == []


async def test_unassigned_cadre_of_the_same_kelurahan_cannot_take_it(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app)
    assignee = (await get_case(app, case_id)).assignee_id
    other_id = world.kader_b if assignee == world.kader_a else world.kader_a
    replies = await Chat(app, world.chats[other_id]).press(f"k:acc:{case_id}")
    assert REFUSED in all_text(replies)
    assert (await get_case(app, case_id)).status == CaseStatus.DITUGASKAN
    assert len(await events(app, case_id, "access_denied")) == 1


async def test_coordinator_outside_the_kecamatan_is_refused(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app, kelurahan=KEL2)
    before = await _snapshot(app, case_id)
    outsider = Chat(app, world.chats[world.other_coordinator])
    for verb in ("show", "re", "note"):
        assert REFUSED in all_text(await outsider.press(f"k:{verb}:{case_id}"))
    assert REFUSED in all_text(await outsider.press(f"k:rt:{case_id}:{world.other_coordinator}"))
    assert await _snapshot(app, case_id) == before
    denied = await events(app, case_id, "access_denied")
    assert len(denied) == 4 and {d.actor_staff_id for d in denied} == {world.other_coordinator}
    # ... while the coordinator of the kecamatan may look.
    inside = await Chat(app, world.chats[world.coordinator]).press(f"k:show:{case_id}")
    assert "dipukul" in all_text(inside)


async def test_deactivated_assignee_loses_access(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app, kelurahan=KEL2)
    async with app.db.transaction() as session:
        staff = await session.get(Staff, world.kader_c)
        assert staff is not None
        staff.active = False
    chat = Chat(app, world.chats[world.kader_c])
    assert REFUSED in all_text(await chat.press(f"k:acc:{case_id}"))
    assert (await get_case(app, case_id)).status == CaseStatus.DITUGASKAN


async def test_rules_table(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app, kelurahan=KEL_OTHER_KEC)
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        dinas = await session.get(Staff, world.dinas)
        inside = await session.get(Staff, world.other_coordinator)
        outside = await session.get(Staff, world.coordinator)
        assert case and dinas and inside and outside
        assert may(dinas, case, Action.CLOSE) and may(dinas, case, Action.REASSIGN)
        assert not may(inside, case, Action.CLOSE)
        assert may(inside, case, Action.REASSIGN) and not may(outside, case, Action.VIEW)
        assert not may(None, case, Action.VIEW)
