"""The deadlines of an open case: which one it is, when it falls due, how it moves on.

Each open case carries its next deadline (`due_at`, `due_kind`); `plan_deadline` says which
one it is, from the case's state and the settings (the kinds: see bot/escalation/ladder.py).
Services that change a case call `refresh_deadline(case, now, settings)` afterwards; routing
asks `accept_deadline` when it assigns. Pure rules over a case: no queries, no messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.cases.worktime import WorkCalendar, add_wall_clock_minutes
from bot.core.settings import Settings
from models import Case, CasePriority, CaseStatus
from models.case import OPEN_STATUSES

S = CaseStatus
LEVEL_NEXT_CADRE = 1
LEVEL_COORDINATOR = 2
LEVEL_DINAS = 3
# A case whose handling failed is tried again this much later, not in a tight loop.
RETRY_AFTER = timedelta(minutes=5)
ACCEPT_STATUSES = (S.BARU, S.DITUGASKAN)
UPDATE_STATUSES = (S.DITERIMA, S.DITANGANI)


@dataclass(frozen=True)
class Deadline:
    at: datetime
    kind: str  # accept, update, resolve, referral


class Plannable(Protocol):
    """What deadlines are planned from: a `models.Case` or the sweep's record of one."""

    @property
    def status(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def escalation_level(self) -> int: ...
    @property
    def due_kind(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def assigned_at(self) -> datetime | None: ...
    @property
    def accepted_at(self) -> datetime | None: ...
    @property
    def accept_misses(self) -> int: ...
    @property
    def reminded_at(self) -> datetime | None: ...
    @property
    def assignee_id(self) -> int | None: ...


def awaits_routing(case: Plannable) -> bool:
    """A new case nobody has: the sweep retries its routing instead of an acceptance deadline."""
    return case.status == S.BARU and case.assignee_id is None


def plan_deadline(
    case: Plannable,
    settings: Settings,
    *,
    update_from: datetime | None = None,
    referral_from: datetime | None = None,
    accept_misses: int | None = None,
    calendar: WorkCalendar | None = None,
) -> Deadline | None:
    """The next deadline of `case` as it stands; None for a closed case.

    `accept_misses`: acceptance deadlines missed so far (the sweep passes the case's count);
    without it the escalation level stands in for it.
    """
    if case.status not in OPEN_STATUSES:
        return None
    if accept_misses is None:
        accept_misses = min(case.escalation_level, LEVEL_COORDINATOR)
    calendar = calendar or WorkCalendar.from_settings(settings)
    darurat = case.priority == CasePriority.DARURAT
    candidates: list[Deadline] = []
    if awaits_routing(case):
        since = _latest(case.created_at, case.reminded_at)
        candidates.append(
            Deadline(add_wall_clock_minutes(since, settings.routing_retry_minutes), "route")
        )
    elif case.status in ACCEPT_STATUSES and accept_misses < 2:
        since = case.assigned_at or case.created_at
        at = (
            add_wall_clock_minutes(since, settings.darurat_accept_minutes)
            if darurat
            else calendar.add_working_hours(since, settings.accept_working_hours)
        )
        candidates.append(Deadline(at, "accept"))
    if case.status in UPDATE_STATUSES:
        since = update_from or max(d for d in (case.updated_at, case.accepted_at) if d is not None)
        candidates.append(
            Deadline(calendar.add_working_days(since, settings.remind_update_days), "update")
        )
    if case.status == S.DIRUJUK:
        since = referral_from or case.updated_at
        candidates.append(
            Deadline(calendar.add_working_days(since, settings.remind_referral_days), "referral")
        )
    elif case.escalation_level < LEVEL_DINAS:
        at = (
            case.created_at + timedelta(days=settings.escalate_resolve_darurat_days)
            if darurat
            else calendar.add_working_days(case.created_at, settings.escalate_resolve_days)
        )
        candidates.append(Deadline(at, "resolve"))
    return min(candidates, key=lambda d: d.at) if candidates else None


def refresh_deadline(
    case: Case,
    now: datetime,
    settings: Settings,
    *,
    update_from: datetime | None = None,
    referral_from: datetime | None = None,
    accept_misses: int | None = None,
) -> Deadline | None:
    """Store the case's next deadline; call after any change of status, assignee or level."""
    deadline = plan_deadline(
        case,
        settings,
        update_from=update_from,
        referral_from=referral_from,
        accept_misses=accept_misses,
    )
    case.due_at = deadline.at if deadline else None
    case.due_kind = deadline.kind if deadline else None
    return deadline


def accept_deadline(case: Case, now: datetime, settings: Settings) -> datetime:
    """When an assignment made `now` must be accepted by (working hours; darurat: minutes)."""
    if case.priority == CasePriority.DARURAT:
        return add_wall_clock_minutes(now, settings.darurat_accept_minutes)
    return WorkCalendar.from_settings(settings).add_working_hours(
        now, settings.accept_working_hours
    )


def accept_misses_of(case: Plannable) -> int:
    """Missed acceptance deadlines, counted only while acceptance is pending."""
    return case.accept_misses if case.status in ACCEPT_STATUSES else 0


def fits(case: Plannable) -> bool:
    """Whether the stored deadline still belongs to the case's status and level."""
    kind = case.due_kind
    if kind == "route":
        return awaits_routing(case)
    if kind == "accept":
        return (
            case.status in ACCEPT_STATUSES
            and accept_misses_of(case) < 2
            and not awaits_routing(case)
        )
    if kind == "update":
        return case.status in UPDATE_STATUSES
    if kind == "referral":
        return case.status == S.DIRUJUK
    if kind == "resolve":
        return case.status != S.DIRUJUK and case.escalation_level < LEVEL_DINAS
    return False


def next_deadline(
    case: Plannable, settings: Settings, calendar: WorkCalendar | None = None
) -> Deadline | None:
    """The next deadline, counting reminders already sent so none is repeated early."""
    update_from = referral_from = None
    if case.status in UPDATE_STATUSES:
        update_from = _latest(case.updated_at, case.accepted_at, case.reminded_at)
    elif case.status == S.DIRUJUK:
        referral_from = _latest(case.updated_at, case.reminded_at)
    return plan_deadline(
        case,
        settings,
        update_from=update_from,
        referral_from=referral_from,
        accept_misses=accept_misses_of(case),
        calendar=calendar,
    )


def _latest(*moments: datetime | None) -> datetime:
    return max(d for d in moments if d is not None)
