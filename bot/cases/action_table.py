"""The staff actions, as one table: when each is allowed, what it records, where it moves the case,
and who may take it.

Casework (bot/casework/) takes every action through `apply_action`, authorisation
(bot/cases/authz.py) reads who may, and the staff views (handlers/staff/) offer a button only
where `status_allows` says pressing it would be accepted. A target status is checked once more
against TRANSITIONS (bot/cases/lifecycle.py) when it is applied; tests/cases/test_action_table.py
keeps the two tables in agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.lifecycle import Actor, record_event, transition
from models import Case, CaseEvent, CaseStatus, StaffRole
from models.case import OPEN_STATUSES


class Action(StrEnum):
    VIEW = "view"
    ACCEPT = "accept"
    DECLINE = "decline"
    NOTE = "note"
    HANDLE = "handle"
    RESOLVE = "resolve"
    REFER = "refer"
    ASK = "ask"
    REASSIGN = "reassign"
    CLOSE = "close"
    REOPEN = "reopen"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class ActionRule:
    statuses: frozenset[CaseStatus]  # the statuses in which the action may be taken
    event: str  # the kind of the case event it writes
    target: CaseStatus | None  # the status it moves the case to; None leaves the status
    assignee: bool  # the case's current assignee may take it
    roles: frozenset[StaffRole]  # roles that may take it on any case inside their own area


S = CaseStatus
R = StaffRole
_ALL = frozenset(CaseStatus)
_OPEN = frozenset(OPEN_STATUSES)
_NOBODY: frozenset[StaffRole] = frozenset()
_OVERSIGHT = frozenset({R.KOORDINATOR, R.DINAS})

ACTIONS: dict[Action, ActionRule] = {
    Action.VIEW: ActionRule(_ALL, "viewed", None, True, _OVERSIGHT),
    Action.ACCEPT: ActionRule(frozenset({S.DITUGASKAN}), "accepted", S.DITERIMA, True, _NOBODY),
    # Declining moves the case on to the next person (bot/cases/routing.py route_to_next).
    Action.DECLINE: ActionRule(frozenset({S.DITUGASKAN}), "declined", None, True, _NOBODY),
    Action.NOTE: ActionRule(_OPEN | {S.SELESAI}, "note", None, True, _OVERSIGHT),
    Action.HANDLE: ActionRule(
        frozenset({S.DITERIMA}), "status_changed", S.DITANGANI, True, _NOBODY
    ),
    Action.RESOLVE: ActionRule(
        frozenset({S.DITERIMA, S.DITANGANI, S.DIRUJUK}), "resolved", S.SELESAI, True, _NOBODY
    ),
    Action.REFER: ActionRule(
        frozenset({S.DITERIMA, S.DITANGANI}),
        "referred",
        S.DIRUJUK,
        True,
        frozenset({R.KOORDINATOR}),
    ),
    # Asking the reporter waits until a cadre has taken the case (and the relay is open).
    Action.ASK: ActionRule(_ALL - {S.DITUGASKAN}, "relay_question", None, True, _NOBODY),
    # Written by the routing with the new assignee (bot/cases/routing.py reassign).
    Action.REASSIGN: ActionRule(_OPEN, "reassigned", S.DITUGASKAN, False, _OVERSIGHT),
    Action.CLOSE: ActionRule(
        frozenset({S.SELESAI, S.DIRUJUK}), "closed", S.DITUTUP, False, frozenset({R.DINAS})
    ),
    Action.REOPEN: ActionRule(
        frozenset({S.SELESAI, S.DITUTUP}), "reopened", S.DITANGANI, False, frozenset({R.DINAS})
    ),
    # Confirming a possible duplicate cancels the new case; dismissing it only writes its event.
    Action.DUPLICATE: ActionRule(_OPEN, "duplicate_confirmed", S.DIBATALKAN, True, _OVERSIGHT),
}


def status_allows(action: Action, case: Case) -> bool:
    return CaseStatus(case.status) in ACTIONS[action].statuses


def apply_action(
    session: AsyncSession,
    case: Case,
    action: Action,
    actor: Actor,
    now: datetime,
    *,
    data: dict[str, Any] | None = None,
    note: str | None = None,
) -> CaseEvent:
    """Write the action's event and, if it has a target, the status change, in the caller's
    transaction (the caller has checked who acts and that the status allows it)."""
    rule = ACTIONS[action]
    if rule.target is None:
        return record_event(session, case, rule.event, actor, now, data=data, note=note)
    return transition(session, case, rule.target, actor, now, kind=rule.event, data=data, note=note)
