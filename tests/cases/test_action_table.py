"""The action table agrees with the transition table, and every service writes what it says."""

from __future__ import annotations

import pytest

from bot.cases.action_table import ACTIONS, Action
from bot.cases.authz import may
from bot.cases.lifecycle import TRANSITIONS
from bot.cases.routing import ASSIGN_EVENT_KINDS, REASSIGNED
from models import Case, Staff, StaffRole


@pytest.mark.parametrize("action", list(Action))
def test_every_target_is_reachable_from_every_status_the_action_allows(action: Action) -> None:
    rule = ACTIONS[action]
    if rule.target is None:
        return
    for status in rule.statuses:
        assert rule.target in TRANSITIONS[status], (action, status)


def test_the_escalation_ladder_and_a_manual_reassignment_write_one_event_kind() -> None:
    assert ACTIONS[Action.REASSIGN].event == REASSIGNED
    assert REASSIGNED in ASSIGN_EVENT_KINDS


def _staff(role: StaffRole, area: str, staff_id: int = 1) -> Staff:
    return Staff(id=staff_id, role=role, area_code=area, active=True, name="x", phone="0")


def _case(assignee_id: int | None = None) -> Case:
    return Case(kelurahan_code="31.71.01.1001", assignee_id=assignee_id)


@pytest.mark.parametrize("action", list(Action))
def test_may_follows_the_table_for_assignee_and_roles(action: Action) -> None:
    rule = ACTIONS[action]
    assert may(_staff(StaffRole.KADER, "31.71.01.1001"), _case(assignee_id=1), action) is (
        rule.assignee
    )
    for role in (StaffRole.KADER, StaffRole.KOORDINATOR, StaffRole.DINAS, StaffRole.ADMIN):
        inside = _staff(role, "31.71", staff_id=2)
        outside = _staff(role, "32.01", staff_id=3)
        assert may(inside, _case(assignee_id=1), action) is (role in rule.roles), (action, role)
        assert may(outside, _case(assignee_id=1), action) is False
