"""The escalation ladder: no case is forgotten.

Each open case carries its next deadline (`due_at`, `due_kind`); `plan_deadline` says which
one it is, from the case's state and the settings:

- `accept`: assigned (or still new) and not accepted within `accept_working_hours` working
  hours (darurat: `darurat_accept_minutes` wall-clock minutes). First miss: the routing moves
  the case on (`bot.cases.routing.route_to_next`: backup, another cadre, ...), escalation level 1.
  Second miss: the kecamatan coordinator takes it (`route_to_coordinator`), level 2.
- `update`: accepted or in progress, and no update for `remind_update_days` working days: a
  reminder to the assignee; the next one as long again after it.
- `resolve`: not resolved within `escalate_resolve_days` working days of the report
  (darurat: `escalate_resolve_darurat_days` wall-clock days): the Dinas is told, level 3.
- `referral`: referred (dirujuk) and `remind_referral_days` working days without a change: the
  Dinas is reminded, and again after as long.
- `route`: a new case nobody could be given to (`bot.cases.routing`, event `unroutable`): routed again
  `routing_retry_minutes` after the last attempt (`reminded_at`), until someone is there. The
  first retry that fails escalates it to the Dinas (level 3, once: later retries are silent).

`sweep(app, now)` claims due cases in batches, in deadline order, off the partial index
`ix_cases_open_due`, and locks what it takes (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite
serialises writers with BEGIN IMMEDIATE), so any number of instances can sweep at once and each
deadline is acted on once: acting moves the deadline forward in the same transaction as the
events and messages. A batch is planned in memory and written in bulk (`bot.escalation.batch`);
what it cannot plan (nobody to route to, a recipient without a chat) goes through the per-case
path below, and if the bulk write fails the whole batch does, one case per savepoint.

Services that change a case call `refresh_deadline(case, now, settings)` afterwards; a case
whose stored deadline no longer fits its status is re-planned by the sweep, so a forgotten
refresh delays the right deadline at worst until the stale one comes due.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.lifecycle import Actor, record_event
from bot.cases.routing import assign, first_choice, route_to_coordinator, route_to_next
from bot.cases.worktime import MemoCalendar, WorkCalendar, add_wall_clock_minutes
from bot.core import metrics
from bot.core.app import App
from bot.core.settings import Settings
from bot.escalation.notices import escalate_to_dinas, remind_assignee, remind_dinas_referral
from models import Case, CasePriority, CaseStatus
from models.case import OPEN_CASE_SQL, OPEN_STATUSES

log = logging.getLogger(__name__)

S = CaseStatus
LEVEL_NEXT_CADRE = 1
LEVEL_COORDINATOR = 2
LEVEL_DINAS = 3
# A case whose handling failed is tried again this much later, not in a tight loop.
RETRY_AFTER = timedelta(minutes=5)
# Cases per sweep transaction: large enough that the shared look-ups (staff, loads, areas) and
# the bulk writes are amortised, small enough that a transaction holds its locks briefly.
BATCH_SIZE = 1000
# Batches in flight at once on PostgreSQL (SKIP LOCKED keeps them apart): while one waits for
# its writes, the next is planned, so the server's work and ours overlap. SQLite has one writer.
SWEEP_WORKERS = 2

ACCEPT_STATUSES = (S.BARU, S.DITUGASKAN)
UPDATE_STATUSES = (S.DITERIMA, S.DITANGANI)


@dataclass(frozen=True)
class Deadline:
    at: datetime
    kind: str  # accept, update, resolve, referral


@dataclass
class SweepResult:
    reassigned: int = 0
    to_coordinator: int = 0
    to_dinas: int = 0
    update_reminders: int = 0
    referral_reminders: int = 0
    routed: int = 0  # new cases given to someone on a routing retry
    replanned: int = 0
    errors: int = 0
    case_ids: list[int] = field(default_factory=list)

    @property
    def acted(self) -> int:
        return (
            self.reassigned
            + self.to_coordinator
            + self.to_dinas
            + self.update_reminders
            + self.referral_reminders
            + self.routed
        )

    def merge(self, other: SweepResult) -> None:
        for item in fields(self):
            if item.name == "case_ids":
                self.case_ids.extend(other.case_ids)
            else:
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


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


async def sweep(app: App, now: datetime, *, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Act on every deadline that is due at `now`, each exactly once across all instances."""
    result = SweepResult()
    calendar = MemoCalendar.from_settings(app.settings)
    loads: dict[int, int] = {}
    workers = SWEEP_WORKERS if app.db.is_postgres else 1
    tasks = [
        asyncio.ensure_future(_sweep_worker(app, now, batch_size, calendar, loads, result))
        for _ in range(workers)
    ]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        # One worker failed beyond its fallback: stop the other before reporting it.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return result


async def _sweep_worker(
    app: App,
    now: datetime,
    batch_size: int,
    calendar: WorkCalendar,
    loads: dict[int, int],
    result: SweepResult,
) -> None:
    """Batches, one transaction each, until nothing due is left that another has not locked."""
    from bot.escalation.batch import sweep_batch

    # Every action moves its deadline forward, so this ends; the bound is a guard against bugs.
    for _ in range(10_000):
        claimed: list[int] = []
        batch = SweepResult()
        try:
            async with app.db.transaction() as session:
                await sweep_batch(
                    session,
                    now,
                    app.settings,
                    calendar,
                    batch_size,
                    app.db.is_postgres,
                    batch,
                    claimed,
                    loads,
                )
        except Exception:
            if not claimed:
                raise
            loads.clear()
            log.exception("bulk escalation of %s cases failed; one by one instead", len(claimed))
            batch = SweepResult()
            async with app.db.transaction() as session:
                await handle_cases(
                    session, await _lock_due(session, claimed, now, app), now, app.settings, batch
                )
        if not claimed:
            break
        result.merge(batch)


async def _lock_due(session: AsyncSession, ids: list[int], now: datetime, app: App) -> list[Case]:
    """The cases of `ids` that are still due, locked, in deadline order."""
    query = (
        select(Case)
        .where(Case.id.in_(ids), text(OPEN_CASE_SQL), Case.due_at <= now)
        .order_by(Case.due_at, Case.id)
    )
    if app.db.is_postgres:
        query = query.with_for_update(skip_locked=True)
    return list((await session.scalars(query)).all())


async def handle_cases(
    session: AsyncSession, cases: list[Case], now: datetime, settings: Settings, result: SweepResult
) -> None:
    """The per-case path: each case in its own savepoint, a failure retried later."""
    for case in cases:
        case_id = case.id
        try:
            async with session.begin_nested():
                await handle_due(session, case, now, settings, result)
        except Exception:
            result.errors += 1
            log.exception("escalation of case %s failed; retried later", case_id)
            await session.execute(
                update(Case)
                .where(Case.id == case_id)
                .values(due_at=now + RETRY_AFTER)
                .execution_options(synchronize_session=False)
            )


async def handle_due(
    session: AsyncSession, case: Case, now: datetime, settings: Settings, result: SweepResult
) -> None:
    """Act on one due case, in the caller's transaction, and move its deadline on."""
    if not fits(case):
        deadline = _replan(case, settings)
        result.replanned += 1
        if deadline is None or deadline.at > now:
            return
    kind = case.due_kind
    result.case_ids.append(case.id)
    metrics.escalated(str(kind))
    if kind == "accept":
        await _accept_missed(session, case, now, settings, result)
    elif kind == "update":
        await remind_assignee(session, case, now, settings)
        result.update_reminders += 1
    elif kind == "referral":
        await remind_dinas_referral(session, case, now, settings)
        result.referral_reminders += 1
    elif kind == "resolve":
        await escalate_to_dinas(session, case, now, settings, LEVEL_DINAS)
        result.to_dinas += 1
    elif kind == "route":
        await _retry_routing(session, case, now, settings, result)
    await session.flush()
    _replan(case, settings)


async def _retry_routing(
    session: AsyncSession, case: Case, now: datetime, settings: Settings, result: SweepResult
) -> None:
    candidate = await first_choice(session, case)
    if candidate is not None:
        await assign(session, case, candidate, now, settings, reason="routing_retry")
        result.routed += 1
        return
    case.reminded_at = now  # the last attempt: the next one is counted from here
    if case.escalation_level < LEVEL_DINAS:
        await escalate_to_dinas(session, case, now, settings, LEVEL_DINAS, rule="unroutable")
        result.to_dinas += 1


def _replan(case: Case, settings: Settings) -> Deadline | None:
    deadline = next_deadline(case, settings)
    case.due_at = deadline.at if deadline else None
    case.due_kind = deadline.kind if deadline else None
    return deadline


async def _accept_missed(
    session: AsyncSession, case: Case, now: datetime, settings: Settings, result: SweepResult
) -> None:
    first_miss = accept_misses_of(case) == 0
    level = LEVEL_NEXT_CADRE if first_miss else LEVEL_COORDINATOR
    case.escalation_level = max(case.escalation_level, level)
    case.accept_misses += 1
    record_event(
        session,
        case,
        "escalated",
        Actor.system(),
        now,
        data={
            "rule": "accept_timeout",
            "level": level,
            "miss": 1 if first_miss else 2,
            "staff_id": case.assignee_id,
        },
    )
    await session.flush()
    log.info("case %s not accepted in time: escalation level %s", case.reference, level)
    if first_miss:
        await route_to_next(session, case, now, settings, "accept_timeout")
        result.reassigned += 1
    else:
        await route_to_coordinator(session, case, now, settings, "accept_timeout_again")
        result.to_coordinator += 1
