"""One sweep batch, planned in memory and written in bulk (see bot/escalation/ladder.py for the rules).

The batch reads what its cases share once (staff and their chats, open-case loads, kelurahan
names, assignment history) and plans each case in Python: every case gets the same events,
deadlines and routing as on the per-case path, through the same rule functions
(`bot.escalation.ladder`, `bot.cases.routing_rules`). Then it writes the case updates, events and outbox rows
with a handful of statements. A case whose planning raises is pushed back by RETRY_AFTER; a
case the batch cannot plan (nobody to route to, a recipient without a linked chat: those write
extra events and tell superiors) is handed back for the per-case path, in the same transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, partial
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import routing_rules as rules
from bot.cases.deadlines import (
    LEVEL_COORDINATOR,
    LEVEL_DINAS,
    LEVEL_NEXT_CADRE,
    RETRY_AFTER,
    accept_misses_of,
    fits,
    next_deadline,
)
from bot.cases.lifecycle import TransitionNotAllowed, allowed
from bot.cases.texts import assignment_reply
from bot.cases.worktime import WorkCalendar
from bot.core import metrics
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.escalation.batch_data import (
    CASES,
    CLAIMED,
    Batch,
    DueCase,
    NeedsCasePath,
    StaffRecord,
    load_batch,
)
from bot.escalation.notice_groups import Notice, outbox_rows
from bot.escalation.notices import (
    dinas_escalation_reply,
    referral_reminder_reply,
    update_reminder_reply,
)
from bot.escalation.per_case import SweepResult, handle_cases
from bot.escalation.writes import WRITTEN, insert_events, update_cases
from bot.messaging.messages import Reply
from models import (
    Case,
    CasePriority,
    CaseStatus,
)
from models.base import Base
from models.case import OPEN_CASE_SQL

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


async def sweep_batch(
    session: AsyncSession,
    now: datetime,
    settings: Settings,
    calendar: WorkCalendar,
    limit: int,
    postgres: bool,
    result: SweepResult,
    claimed: list[int],
    loads: dict[int, int],
) -> None:
    """Claim up to `limit` due cases and act on them; their ids go into `claimed`.

    `loads`: open cases per kader, kept across the batches of one sweep (read once per kader,
    then moved by the batches' own reassignments); the caller empties it if a batch fails.
    """
    query = (
        select(*CLAIMED)
        .where(text(OPEN_CASE_SQL), CASES.c.due_at <= now)
        .order_by(CASES.c.due_at, CASES.c.id)
        .limit(limit)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True)
    # The row is CLAIMED, in DueCase's field order.
    cases = [DueCase(*tuple(row)) for row in (await session.execute(query)).all()]
    claimed.extend(c.id for c in cases)
    if not cases:
        return
    batch = await load_batch(session, cases, now, settings, calendar, loads, postgres=postgres)
    planned: list[Planned] = []
    failed: list[int] = []
    by_hand: list[int] = []
    for case in cases:
        try:
            outcome = _plan(case, batch)
        except NeedsCasePath:
            by_hand.append(case.id)
            continue
        except Exception:
            result.errors += 1
            failed.append(case.id)
            log.exception("escalation of case %s failed; retried later", case.id)
            continue
        _commit_in_memory(outcome, case, batch, result)
        planned.append(outcome)
    await _write(session, planned, failed, batch)
    for kind, count in Counter(out.acted for out in planned if out.acted).items():
        metrics.escalated(kind, count)
    if by_hand:
        rows = await session.scalars(select(Case).where(Case.id.in_(by_hand)).order_by(Case.id))
        order = {case_id: i for i, case_id in enumerate(by_hand)}
        ordered = sorted(rows.all(), key=lambda c: order[c.id])
        await handle_cases(session, ordered, now, settings, result)
        loads.clear()  # the per-case path assigned cases without telling `loads`
    log.info(
        "sweep batch: %s claimed, %s planned, %s by hand, %s failed",
        len(cases),
        len(planned),
        len(by_hand),
        len(failed),
    )


def _plan(original: DueCase, batch: Batch) -> Planned:
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
        _event(out, "reminder_sent", {"rule": "no_update", "staff_id": case.assignee_id})
        case.reminded_at = batch.now
        staff = batch.staff.get(case.assignee_id) if case.assignee_id else None
        if staff is not None:
            stamp = int(batch.now.timestamp())
            _notice(
                out,
                batch,
                staff,
                update_reminder_reply,
                "reminder",
                "update",
                f"remind:{case.id}:{stamp}:{staff.id}",
                settings=batch.settings,
            )
        out.counter = "update_reminders"
    elif kind == "referral":
        _event(out, "reminder_sent", {"rule": "referral"})
        case.reminded_at = batch.now
        for staff in batch.dinas():
            stamp = int(batch.now.timestamp())
            _notice(
                out,
                batch,
                staff,
                referral_reminder_reply,
                "reminder",
                "referral",
                f"referral:{case.id}:{stamp}:{staff.id}",
                settings=batch.settings,
            )
        out.counter = "referral_reminders"
    elif kind == "resolve":
        case.escalation_level = max(case.escalation_level, LEVEL_DINAS)
        data = {"rule": "resolve_timeout", "level": LEVEL_DINAS, "staff_id": case.assignee_id}
        _event(out, "escalated", data)
        darurat = case.priority == CasePriority.DARURAT
        for staff in batch.dinas():
            _notice(
                out,
                batch,
                staff,
                dinas_escalation_reply,
                "escalation",
                "resolve",
                f"esc:{case.id}:dinas:{staff.id}",
                urgent=darurat,
                darurat=darurat,
                days_open=max(0, (batch.now - case.created_at).days),
                settings=batch.settings,
            )
        out.counter = "to_dinas"
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
    reply = partial(build, _translator(staff.language), case.id, case.reference, kelurahan, **extra)
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
    first_miss = accept_misses_of(case) == 0
    level = LEVEL_NEXT_CADRE if first_miss else LEVEL_COORDINATOR
    case.escalation_level = max(case.escalation_level, level)
    case.accept_misses += 1
    data = {
        "rule": "accept_timeout",
        "level": level,
        "miss": 1 if first_miss else 2,
        "staff_id": case.assignee_id,
    }
    _event(out, "escalated", data)
    coordinators = batch.coordinators(case.kecamatan_code)
    if first_miss:
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
        trigger, out.counter = "accept_timeout", "reassigned"
    else:
        choice = rules.choose_coordinator(
            assignee_id=case.assignee_id, coordinators=coordinators, dinas=batch.dinas()
        )
        trigger, out.counter = "accept_timeout_again", "to_coordinator"
    if choice is None:
        raise NeedsCasePath("nobody to route to")
    staff, reason = choice
    assigned: dict[str, Any] = {"staff_id": staff.id, "role": staff.role, "reason": reason}
    assigned["trigger"] = trigger
    if case.assignee_id is not None:
        assigned["previous_staff_id"] = case.assignee_id
    if not allowed(case.status, CaseStatus.DITUGASKAN):
        raise TransitionNotAllowed(case.reference, case.status, CaseStatus.DITUGASKAN)
    _event(out, "reassigned", assigned, from_status=case.status, to_status=CaseStatus.DITUGASKAN)
    case.status = CaseStatus.DITUGASKAN
    case.updated_at = case.assigned_at = batch.now
    case.reminded_at = None
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
            dedupe_key=f"assign:{case.id}:{staff.id}:v{case.version + 1}",
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
    kind: str,
    data: dict[str, Any],
    *,
    from_status: str | None = None,
    to_status: str | None = None,
) -> None:
    out.events.append(
        {
            "case_id": out.case.id,
            "kind": kind,
            "from_status": from_status,
            "to_status": to_status,
            "data": data,
        }
    )


def _commit_in_memory(out: Planned, before: DueCase, batch: Batch, result: SweepResult) -> None:
    """Apply a planned case to the batch's shared state, so later cases see its effects."""
    if out.replanned:
        result.replanned += 1
    if out.acted is not None:
        result.case_ids.append(out.case.id)
    if out.counter is not None:
        setattr(result, out.counter, getattr(result, out.counter) + 1)
    if out.assigned is not None:
        # Loads and recency as the per-case path would see them after this case's flush.
        if before.assignee_id is not None:
            batch.counts[before.assignee_id] = batch.counts.get(before.assignee_id, 0) - 1
        batch.counts[out.assigned.id] = batch.counts.get(out.assigned.id, 0) + 1
        out.assigned.last_assigned_at = batch.now


async def _write(
    session: AsyncSession, planned: list[Planned], failed: list[int], batch: Batch
) -> None:
    now, postgres = batch.now, batch.postgres
    cases = Base.metadata.tables["cases"]
    if planned:
        rows = []
        for out in planned:
            case = out.case
            row = {name: getattr(case, name) for name, _ in WRITTEN}
            row.update(id=case.id, version=case.version)
            rows.append(row)
        await update_cases(session, rows, postgres=postgres)
        await insert_events(
            session, [e for out in planned for e in out.events], now, postgres=postgres
        )
        assigned = {out.assigned.id for out in planned if out.assigned is not None}
        if assigned:
            staff = Base.metadata.tables["staff"]
            # Locked in id order first: concurrent batches (and instances) then never wait on
            # each other in a cycle.
            ids = sorted(assigned)
            locked = select(staff.c.id).where(staff.c.id.in_(ids)).order_by(staff.c.id)
            await session.execute(locked.with_for_update(key_share=True))
            await session.execute(
                update(staff).where(staff.c.id.in_(ids)).values(last_assigned_at=now)
            )
        notices = [n for out in planned for n in out.notices]
        messages = outbox_rows(notices, batch.chats, now, batch.settings)
        if messages:
            await session.execute(insert(Base.metadata.tables["outbox"]), messages)
    if failed:
        await session.execute(
            update(cases).where(cases.c.id.in_(failed)).values(due_at=now + RETRY_AFTER)
        )
