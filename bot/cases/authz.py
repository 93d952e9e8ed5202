"""Who may do what to a case, decided from the database on every action (never from button data).

A person may act when they are the case's current assignee and the action allows the assignee,
or when their role is allowed the action and their area contains the case's kelurahan.
A refusal changes nothing but writes an `access_denied` event, so attempts leave a trace.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.lifecycle import Actor, CaseError, record_event
from models import Case, CaseStatus, Staff, StaffRole
from models.case import OPEN_STATUSES

log = logging.getLogger(__name__)


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


R = StaffRole
_ASSIGNEE_MAY = frozenset(
    {
        Action.VIEW,
        Action.ACCEPT,
        Action.DECLINE,
        Action.NOTE,
        Action.HANDLE,
        Action.RESOLVE,
        Action.REFER,
        Action.ASK,
        Action.DUPLICATE,
    }
)
# What a role may do to any case inside its own area, without being the assignee.
_ROLE_MAY: dict[str, frozenset[Action]] = {
    R.KADER: frozenset(),
    R.KOORDINATOR: frozenset(
        {Action.VIEW, Action.NOTE, Action.REFER, Action.REASSIGN, Action.DUPLICATE}
    ),
    R.DINAS: frozenset(
        {
            Action.VIEW,
            Action.NOTE,
            Action.REASSIGN,
            Action.CLOSE,
            Action.REOPEN,
            Action.DUPLICATE,
        }
    ),
    R.ADMIN: frozenset(),
}


S = CaseStatus
# In which statuses each action may be taken, in one place: casework refuses an action in any
# other status, and the staff views offer a button only where pressing it would be accepted.
# (Status changes themselves are checked once more against bot/cases/lifecycle.py TRANSITIONS.)
_OPEN = frozenset(OPEN_STATUSES)
ACTION_STATUSES: dict[Action, frozenset[CaseStatus]] = {
    Action.VIEW: frozenset(CaseStatus),
    Action.ACCEPT: frozenset({S.DITUGASKAN}),
    Action.DECLINE: frozenset({S.DITUGASKAN}),
    Action.NOTE: _OPEN | {S.SELESAI},
    Action.HANDLE: frozenset({S.DITERIMA}),
    Action.RESOLVE: frozenset({S.DITERIMA, S.DITANGANI, S.DIRUJUK}),
    Action.REFER: frozenset({S.DITERIMA, S.DITANGANI}),
    # Asking the reporter waits until a cadre has taken the case (and the relay is open).
    Action.ASK: frozenset(CaseStatus) - {S.DITUGASKAN},
    Action.REASSIGN: _OPEN,
    Action.CLOSE: frozenset({S.SELESAI, S.DIRUJUK}),
    Action.REOPEN: frozenset({S.SELESAI, S.DITUTUP}),
    Action.DUPLICATE: _OPEN,
}


def status_allows(action: Action, case: Case) -> bool:
    return CaseStatus(case.status) in ACTION_STATUSES[action]


@dataclass
class AccessDenied(CaseError):
    reference: str
    action: str

    def __str__(self) -> str:
        return f"{self.reference}: {self.action} refused"


def area_contains(area_code: str, code: str) -> bool:
    return code == area_code or code.startswith(area_code + ".")


def is_assignee(staff: Staff | None, case: Case) -> bool:
    return staff is not None and staff.active and case.assignee_id == staff.id


def may(staff: Staff | None, case: Case, action: Action) -> bool:
    if staff is None or not staff.active:
        return False
    if is_assignee(staff, case) and action in _ASSIGNEE_MAY:
        return True
    allowed = _ROLE_MAY.get(staff.role, frozenset())
    return action in allowed and area_contains(staff.area_code, case.kelurahan_code)


def actor_for(staff: Staff | None, channel: str | None) -> Actor:
    if staff is None:
        return Actor(kind="resident", channel=channel)
    return Actor(kind="staff", staff_id=staff.id, channel=channel)


def deny(
    session: AsyncSession,
    case: Case,
    actor: Actor,
    action: Action | str,
    now: datetime,
) -> AccessDenied:
    """Record the refused attempt and return the error for the caller to raise."""
    record_event(session, case, "access_denied", actor, now, data={"action": str(action)})
    log.info(
        "case %s: %s refused for %s %s", case.reference, action, actor.kind, actor.staff_id or ""
    )
    return AccessDenied(case.reference, str(action))


def require(
    session: AsyncSession,
    staff: Staff | None,
    case: Case,
    action: Action,
    now: datetime,
    channel: str | None,
) -> Actor:
    """The actor for the event log, or AccessDenied (with the attempt recorded)."""
    actor = actor_for(staff, channel)
    if not may(staff, case, action):
        raise deny(session, case, actor, action, now)
    return actor
