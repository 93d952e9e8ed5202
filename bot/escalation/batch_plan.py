"""How one case of a sweep batch moves on, planned in memory (bot/escalation/batch.py writes it).

Every case gets the same events, deadlines and routing as on the per-case path, through the
same rule functions (bot/cases/deadlines.py, bot/cases/routing_rules.py); a case the batch
cannot plan raises NeedsCasePath and is handed to the per-case path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any

from bot.cases import routing_rules as rules
from bot.cases.deadlines import LEVEL_DINAS, fits, next_deadline
from bot.cases.lifecycle import change_status
from bot.cases.routing import REASSIGNED
from bot.cases.texts import assignment_reply
from bot.core.i18n import Translator
from bot.escalation import steps
from bot.escalation.batch_data import (
    Batch,
    DueCase,
    NeedsCasePath,
    StaffRecord,
)
from bot.escalation.notice_groups import Notice
from bot.escalation.notices import (
    dinas_escalation_reply,
    referral_reminder_reply,
    update_reminder_reply,
)
from bot.messaging.messages import Reply
from models import (
    CasePriority,
    CaseStatus,
)

log = logging.getLogger(__name__)
# Translators are immutable; a batch would otherwise build one per notice.
_translator = cache(Translator)


@dataclass
class Planned:
    case: DueCase
    events: list[dict[str, Any]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    counter: str | None = None  # the SweepResult field it adds to
    replanned: bool = False
    acted: str | None = None  # the deadline kind acted on
    assigned: StaffRecord | None = None


def plan(original: DueCase, batch: Batch) -> Planned:
    """What the per-case path would do to this case, as rows to write; nothing is changed yet."""
    case = original.clone()
    out = Planned(case)
    if not fits(case):
        out.replanned = True
        if not _replan(case, batch) or (case.due_at is not None and case.due_at > batch.now):
            return out
    kind = case.due_kind
    if kind == "route":
        raise NeedsCasePath("routing retry")  # rare; the routing service does it
    out.acted = kind
    if kind == "accept":
        _accept_missed(case, batch, out)
    elif kind == "update":
        _event(out, steps.update_reminder(case, batch.now))
        staff = batch.staff.get(case.assignee_id) if case.assignee_id else None
        if staff is not None:
            key = steps.remind_key(case.id, batch.now, staff.id)
            _notice(out, batch, staff, update_reminder_reply, "reminder", "update", key)
    elif kind == "referral":
        _event(out, steps.referral_reminder(case, batch.now))
        for staff in batch.dinas():
            key = steps.referral_key(case.id, batch.now, staff.id)
            _notice(out, batch, staff, referral_reminder_reply, "reminder", "referral", key)
    elif kind == "resolve":
        _event(out, steps.dinas_escalation(case, LEVEL_DINAS))
        darurat = case.priority == CasePriority.DARURAT
        for staff in batch.dinas():
            _notice(
                out,
                batch,
                staff,
                dinas_escalation_reply,
                "escalation",
                "resolve",
                steps.dinas_key(case.id, staff.id),
                urgent=darurat,
                darurat=darurat,
                days_open=max(0, (batch.now - case.created_at).days),
            )
    if kind in steps.COUNTERS:
        out.counter = steps.COUNTERS[kind]
    _replan(case, batch)
    return out


def _notice(
    out: Planned,
    batch: Batch,
    staff: StaffRecord,
    build: Callable[..., Reply],
    kind: str,
    group: str,
    dedupe_key: str,
    *,
    urgent: bool = False,
    **extra: Any,
) -> None:
    """A notice of `out.case` to `staff`; its own message (`build` with the case's reference,
    kelurahan and `extra`) is built only if it stays the recipient's only one of its group."""
    case = out.case
    kelurahan = batch.kelurahan(case)
    reply = partial(
        build,
        _translator(staff.language),
        case.id,
        case.reference,
        kelurahan,
        settings=batch.settings,
        **extra,
    )
    out.notices.append(
        batch.reachable_notice(
            staff,
            case,
            kind=kind,
            group=group,
            reply=reply,
            dedupe_key=dedupe_key,
            line=(case.reference, kelurahan, urgent),
        )
    )


def _accept_missed(case: DueCase, batch: Batch, out: Planned) -> None:
    missed = steps.accept_missed(case)
    _event(out, missed.event)
    out.counter = missed.counter
    coordinators = batch.coordinators(case.kecamatan_code)
    if missed.first_miss:
        current = batch.staff.get(case.assignee_id) if case.assignee_id else None
        tried = set(batch.tried.get(case.id, ()))
        if case.assignee_id is not None:
            tried.add(case.assignee_id)
        choice = rules.choose_next(
            assignee_id=case.assignee_id,
            current=current,
            backup=batch.staff.get(current.backup_id) if current and current.backup_id else None,
            tried=tried,
            kaders_on_duty=batch.kaders_on_duty(case.kelurahan_code),
            coordinators=coordinators,
            dinas=batch.dinas(),
            counts=batch.counts,
            reachable=batch.reachable,
        )
    else:
        choice = rules.choose_coordinator(
            assignee_id=case.assignee_id, coordinators=coordinators, dinas=batch.dinas()
        )
    if choice is None:
        raise NeedsCasePath("nobody to route to")
    staff, reason = choice
    data = rules.assignment_data(staff.id, staff.role, reason, missed.trigger, case.assignee_id)
    from_status = change_status(case, CaseStatus.DITUGASKAN, batch.now)
    assigned = steps.Event(REASSIGNED, data)
    _event(out, assigned, from_status=from_status, to_status=CaseStatus.DITUGASKAN)
    case.assigned_at = batch.now
    case.assignee_id = staff.id
    out.assigned = staff
    out.notices.append(
        batch.reachable_notice(
            staff,
            case,
            kind="assignment",
            group="assignment",
            reply=partial(
                assignment_reply, case.clone(), staff.language, batch.now, batch.kelurahan(case)
            ),
            dedupe_key=rules.assignment_key(case.id, staff.id, case.version + 1),
            line=(case.reference, batch.kelurahan(case), case.priority == CasePriority.DARURAT),
        )
    )


def _replan(case: DueCase, batch: Batch) -> bool:
    deadline = next_deadline(case, batch.settings, batch.calendar)
    case.due_at = deadline.at if deadline else None
    case.due_kind = deadline.kind if deadline else None
    return deadline is not None


def _event(
    out: Planned,
    event: steps.Event,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
) -> None:
    out.events.append(
        {
            "case_id": out.case.id,
            "kind": event.kind,
            "from_status": from_status,
            "to_status": to_status,
            "data": event.data,
        }
    )
