"""Who may do what to a case, decided from the database on every action (never from button data).

A person may act when they are the case's current assignee and the action allows the assignee,
or when their role is allowed the action and their area contains the case's kelurahan (both read
from the action table, bot/cases/action_table.py).
A refusal changes nothing but writes an `access_denied` event, so attempts leave a trace.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.action_table import ACTIONS, Action
from bot.cases.lifecycle import Actor, CaseError, record_event
from models import Case, Staff

log = logging.getLogger(__name__)


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
    rule = ACTIONS[action]
    if rule.assignee and is_assignee(staff, case):
        return True
    return staff.role in rule.roles and area_contains(staff.area_code, case.kelurahan_code)


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
