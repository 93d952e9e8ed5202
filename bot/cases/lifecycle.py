"""The case core: the table of allowed transitions and the one function that applies them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseEvent, CaseStatus

S = CaseStatus

# Every allowed status change, in one place. Anything not listed is refused.
# ditugaskan -> ditugaskan is a reassignment (decline, escalation, a coordinator's choice).
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.BARU: frozenset({S.DITUGASKAN, S.DIRUJUK, S.DIBATALKAN}),
    S.DITUGASKAN: frozenset({S.DITUGASKAN, S.DITERIMA, S.DIRUJUK, S.DIBATALKAN}),
    S.DITERIMA: frozenset({S.DITUGASKAN, S.DITANGANI, S.SELESAI, S.DIRUJUK, S.DIBATALKAN}),
    S.DITANGANI: frozenset({S.DITUGASKAN, S.SELESAI, S.DIRUJUK, S.DIBATALKAN}),
    S.DIRUJUK: frozenset({S.DITUGASKAN, S.DITANGANI, S.SELESAI, S.DITUTUP, S.DIBATALKAN}),
    S.SELESAI: frozenset({S.DITUTUP, S.DITANGANI}),  # closed by the Dinas, or reopened
    S.DITUTUP: frozenset({S.DITANGANI}),  # the Dinas may reopen
    S.DIBATALKAN: frozenset(),
}


class CaseError(Exception):
    """A refused operation on a case; the message is for logs, never shown with case details."""


@dataclass
class TransitionNotAllowed(CaseError):
    reference: str
    from_status: str
    to_status: str

    def __str__(self) -> str:
        return f"{self.reference}: {self.from_status} -> {self.to_status} is not allowed"


@dataclass
class CaseNotFound(CaseError):
    case_id: int

    def __str__(self) -> str:
        return f"case {self.case_id} not found"


@dataclass
class WrongState(CaseError):
    """The case is no longer where the button assumed (already accepted, closed, ...)."""

    reference: str
    status: str

    def __str__(self) -> str:
        return f"{self.reference}: not possible in status {self.status}"


@dataclass
class InvalidTarget(CaseError):
    reference: str

    def __str__(self) -> str:
        return f"{self.reference}: not a valid person to reassign to"


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff member, the reporter, the system (scheduler), or an admin at the CLI."""

    kind: str  # staff, reporter, system, admin
    staff_id: int | None = None
    channel: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(kind="system")


def allowed(from_status: str, to_status: str) -> bool:
    return CaseStatus(to_status) in TRANSITIONS[CaseStatus(from_status)]


def record_event(
    session: AsyncSession,
    case: Case,
    kind: str,
    actor: Actor,
    now: datetime,
    *,
    data: dict[str, Any] | None = None,
    note: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        at=now,
        kind=kind,
        actor_kind=actor.kind,
        actor_staff_id=actor.staff_id,
        channel=actor.channel,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        note=note,
    )
    session.add(event)
    return event


_TIMESTAMP_FOR = {
    S.DITERIMA: "accepted_at",
    S.SELESAI: "resolved_at",
    S.DITUTUP: "closed_at",
}


class StatusHolder(Protocol):
    """What a status change touches: a loaded Case, or the sweep's plain record of one."""

    reference: str
    status: str
    updated_at: datetime
    reminded_at: datetime | None
    due_at: datetime | None
    due_kind: str | None


def change_status(case: StatusHolder, to_status: CaseStatus, now: datetime) -> str:
    """Move `case` to `to_status` if TRANSITIONS allows it; the status it came from.

    The one place the rule is applied: `transition` below, and the sweep's batch
    (bot/escalation/batch_plan.py), which writes the events of a thousand cases in bulk.
    """
    if not allowed(case.status, to_status):
        raise TransitionNotAllowed(case.reference, case.status, to_status)
    from_status = case.status
    case.status = to_status
    case.updated_at = now
    # Reminders are counted from the last one of the current status; a new status starts afresh.
    case.reminded_at = None
    stamp = _TIMESTAMP_FOR.get(to_status)
    if stamp is not None:
        setattr(case, stamp, now)
    if to_status in (S.DITUTUP, S.DIBATALKAN, S.SELESAI):
        case.due_at = None
        case.due_kind = None
    return from_status


def transition(
    session: AsyncSession,
    case: Case,
    to_status: CaseStatus,
    actor: Actor,
    now: datetime,
    *,
    kind: str = "status_changed",
    data: dict[str, Any] | None = None,
    note: str | None = None,
) -> CaseEvent:
    """Apply one status change and write its event, in the caller's transaction.

    The caller queues the outbox rows in the same session, so the change, its audit
    event and its messages commit together or not at all.
    """
    from_status = change_status(case, to_status, now)
    return record_event(
        session,
        case,
        kind,
        actor,
        now,
        data=data,
        note=note,
        from_status=from_status,
        to_status=to_status,
    )
