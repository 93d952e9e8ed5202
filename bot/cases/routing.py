"""Routing a case to the person who should take it, and moving it on when they do not.

New case: the on-duty, active kader of the case's kelurahan with the fewest open cases (ties:
the one assigned least recently; cadres with a linked chat before those without); none → the
kecamatan coordinator; none → the Dinas. `darurat` also alerts the coordinator and the Dinas at
once. Declined or not accepted in time (`route_to_next`): the assignee's backup, then another
cadre of the kelurahan not yet tried, then the coordinator, then the Dinas. Every choice is a
case event with its reason code. All of it runs in the caller's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import routing_rules as rules
from bot.cases.action_table import ACTIONS, Action
from bot.cases.deadlines import accept_deadline
from bot.cases.duplicates import link_possible_duplicate
from bot.cases.lifecycle import Actor, record_event, transition
from bot.cases.notify import coordinators_of, dinas_staff, notify_staff, reachable_ids
from bot.cases.texts import assignment_reply, darurat_alert_reply
from bot.core.settings import Settings
from models import Area, Case, CaseEvent, CasePriority, CaseStatus, Staff, StaffRole
from models.case import OPEN_STATUSES

log = logging.getLogger(__name__)

# A reassignment, by a person or by the escalation ladder, is the action table's REASSIGN event.
REASSIGNED = ACTIONS[Action.REASSIGN].event
# Events that mean "this person was given the case".
ASSIGN_EVENT_KINDS = ("assigned", REASSIGNED)


@dataclass(frozen=True)
class Candidate:
    staff: Staff
    reason: str  # a code: kader_least_load, backup, next_kader, coordinator, dinas


async def open_case_counts(session: AsyncSession, staff_ids: list[int]) -> dict[int, int]:
    if not staff_ids:
        return {}
    rows = await session.execute(
        select(Case.assignee_id, func.count())
        .where(Case.assignee_id.in_(staff_ids), Case.status.in_(list(OPEN_STATUSES)))
        .group_by(Case.assignee_id)
    )
    return {int(staff_id): int(count) for staff_id, count in rows.all() if staff_id is not None}


async def kaders_on_duty(session: AsyncSession, kelurahan_code: str) -> list[Staff]:
    rows = await session.scalars(
        select(Staff).where(
            Staff.role == StaffRole.KADER,
            Staff.area_code == kelurahan_code,
            Staff.active.is_(True),
            Staff.on_duty.is_(True),
        )
    )
    return list(rows.all())


async def rank_kaders(session: AsyncSession, kaders: list[Staff]) -> list[Staff]:
    """Reachable first, then fewest open cases, then least recently assigned, then id."""
    counts = await open_case_counts(session, [k.id for k in kaders])
    reachable = await reachable_ids(session, [k.id for k in kaders])
    return rules.rank(kaders, counts, reachable)


async def first_choice(session: AsyncSession, case: Case) -> Candidate | None:
    kaders = await rank_kaders(session, await kaders_on_duty(session, case.kelurahan_code))
    if kaders:
        return Candidate(kaders[0], "kader_least_load")
    coordinators = await coordinators_of(session, case.kecamatan_code)
    if coordinators:
        return Candidate(coordinators[0], "no_kader_on_duty")
    dinas = await dinas_staff(session)
    if dinas:
        return Candidate(dinas[0], "no_coordinator")
    return None


async def tried_staff_ids(session: AsyncSession, case: Case) -> set[int]:
    """Everyone this case was already given to (assigned or reassigned)."""
    events = await session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.kind.in_(ASSIGN_EVENT_KINDS)
        )
    )
    tried = {int(e.data["staff_id"]) for e in events.all() if e.data.get("staff_id") is not None}
    if case.assignee_id is not None:
        tried.add(case.assignee_id)
    return tried


async def next_candidate(session: AsyncSession, case: Case) -> Candidate | None:
    """Who should get the case after the current assignee: backup, another cadre, coordinator, Dinas."""
    tried = await tried_staff_ids(session, case)
    current = await session.get(Staff, case.assignee_id) if case.assignee_id else None
    backup = None
    if current is not None and current.backup_id is not None:
        backup = await session.get(Staff, current.backup_id)
    kaders = await kaders_on_duty(session, case.kelurahan_code)
    ids = [k.id for k in kaders if k.id not in tried]
    choice = rules.choose_next(
        assignee_id=case.assignee_id,
        current=current,
        backup=backup,
        tried=tried,
        kaders_on_duty=kaders,
        coordinators=await coordinators_of(session, case.kecamatan_code),
        dinas=await dinas_staff(session),
        counts=await open_case_counts(session, ids),
        reachable=await reachable_ids(session, ids),
    )
    return Candidate(*choice) if choice is not None else None


async def assign(
    session: AsyncSession,
    case: Case,
    candidate: Candidate,
    now: datetime,
    settings: Settings,
    *,
    actor: Actor | None = None,
    kind: str = "assigned",
    reason: str | None = None,
) -> None:
    """Give the case to `candidate.staff`: status, deadline, event, assignment message."""
    staff = candidate.staff
    data = rules.assignment_data(staff.id, staff.role, candidate.reason, reason, case.assignee_id)
    transition(
        session,
        case,
        CaseStatus.DITUGASKAN,
        actor or Actor.system(),
        now,
        kind=kind,
        data=data,
    )
    case.assignee_id = staff.id
    case.assigned_at = now
    case.due_kind = "accept"
    case.due_at = accept_deadline(case, now, settings)
    staff.last_assigned_at = now
    await session.flush()
    await notify_staff(
        session,
        staff,
        assignment_reply(case, staff.language, now, await kelurahan_name(session, case)),
        now,
        kind="assignment",
        case=case,
        dedupe_key=rules.assignment_key(case.id, staff.id, case.version),
    )
    log.info("case %s assigned to staff %s (%s)", case.reference, staff.id, candidate.reason)


async def kelurahan_name(session: AsyncSession, case: Case) -> str:
    area = await session.get(Area, case.kelurahan_code)
    return area.name if area is not None else case.kelurahan_code


def _unroutable(
    session: AsyncSession, case: Case, now: datetime, reason: str, settings: Settings
) -> None:
    record_event(session, case, "unroutable", Actor.system(), now, data={"reason": reason})
    if case.status == CaseStatus.BARU and case.assignee_id is None:
        # Nobody has it: the sweep routes it again later (bot.escalation.ladder, deadline `route`).
        case.due_kind = "route"
        case.due_at = now + timedelta(minutes=settings.routing_retry_minutes)
    else:
        # The current assignee keeps it; no sweep loops on it.
        case.due_at = None
        case.due_kind = None
    log.error("case %s: nobody to route it to (%s)", case.reference, reason)


async def route_new_case(
    session: AsyncSession, case: Case, now: datetime, settings: Settings
) -> None:
    """Assign a just-created case and queue the notifications, in the caller's transaction."""
    await session.flush()
    candidate = await first_choice(session, case)
    if candidate is None:
        _unroutable(session, case, now, "no_staff", settings)
    else:
        await assign(session, case, candidate, now, settings)
    if case.priority == CasePriority.DARURAT:
        await alert_darurat(session, case, now)
    await link_possible_duplicate(session, case, now)


async def alert_darurat(session: AsyncSession, case: Case, now: datetime) -> None:
    """An emergency goes to the coordinator and the Dinas at once, whoever was assigned."""
    people = [*await coordinators_of(session, case.kecamatan_code), *await dinas_staff(session)]
    alerted = [s for s in people if s.id != case.assignee_id]
    if not alerted:
        return
    name = await kelurahan_name(session, case)
    for staff in alerted:
        await notify_staff(
            session,
            staff,
            darurat_alert_reply(case, staff.language, now, name),
            now,
            kind="darurat_alert",
            case=case,
            dedupe_key=f"darurat:{case.id}:{staff.id}",
            tell_superior=False,
        )
    record_event(
        session,
        case,
        "darurat_alert",
        Actor.system(),
        now,
        data={"staff_ids": [s.id for s in alerted], "reason": "darurat"},
    )


async def route_to_next(
    session: AsyncSession,
    case: Case,
    now: datetime,
    settings: Settings,
    reason: str,
    *,
    actor: Actor | None = None,
) -> Staff | None:
    """Move an unaccepted case on (decline, accept timeout, undeliverable assignment).

    Returns the new assignee, or None when nobody is left (an `unroutable` event is written,
    the current assignee keeps it and the deadline is cleared so no sweep loops on it).
    """
    candidate = await next_candidate(session, case)
    if candidate is None:
        _unroutable(session, case, now, reason, settings)
        return None
    await assign(
        session, case, candidate, now, settings, actor=actor, kind=REASSIGNED, reason=reason
    )
    return candidate.staff


async def route_to_coordinator(
    session: AsyncSession, case: Case, now: datetime, settings: Settings, reason: str
) -> Staff | None:
    """Skip the remaining cadres: give the case to the kecamatan coordinator (else the Dinas)."""
    choice = rules.choose_coordinator(
        assignee_id=case.assignee_id,
        coordinators=await coordinators_of(session, case.kecamatan_code),
        dinas=await dinas_staff(session),
    )
    if choice is None:
        _unroutable(session, case, now, reason, settings)
        return None
    await assign(session, case, Candidate(*choice), now, settings, kind=REASSIGNED, reason=reason)
    return choice[0]


async def reassign(
    session: AsyncSession,
    case: Case,
    target: Staff,
    now: datetime,
    settings: Settings,
    *,
    actor: Actor,
    reason: str = "manual",
) -> None:
    """A coordinator's or the Dinas's choice (authorised by the caller, see bot.casework.actions)."""
    await assign(
        session,
        case,
        Candidate(target, "manual"),
        now,
        settings,
        actor=actor,
        kind=REASSIGNED,
        reason=reason,
    )
