"""The per-case path of the sweep: one case at a time, each in its own savepoint.

The batch path (bot/escalation/batch.py) hands here what it cannot plan in bulk (nobody to
route to, a recipient without a chat), and the whole batch when its bulk write fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.deadlines import (
    LEVEL_DINAS,
    RETRY_AFTER,
    Deadline,
    fits,
    next_deadline,
)
from bot.cases.routing import assign, first_choice, route_to_coordinator, route_to_next
from bot.core import metrics
from bot.core.app import App
from bot.core.settings import Settings
from bot.escalation import steps
from bot.escalation.notices import (
    escalate_to_dinas,
    record,
    remind_assignee,
    remind_dinas_referral,
)
from models import Case
from models.case import OPEN_CASE_SQL

log = logging.getLogger(__name__)


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


async def lock_due(session: AsyncSession, ids: list[int], now: datetime, app: App) -> list[Case]:
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
    elif kind == "referral":
        await remind_dinas_referral(session, case, now, settings)
    elif kind == "resolve":
        await escalate_to_dinas(session, case, now, settings, LEVEL_DINAS)
    if kind in steps.COUNTERS:
        _count(result, steps.COUNTERS[kind])
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
    missed = steps.accept_missed(case)
    record(session, case, missed.event, now)
    await session.flush()
    log.info(
        "case %s not accepted in time: escalation level %s", case.reference, case.escalation_level
    )
    if missed.first_miss:
        await route_to_next(session, case, now, settings, missed.trigger)
    else:
        await route_to_coordinator(session, case, now, settings, missed.trigger)
    _count(result, missed.counter)


def _count(result: SweepResult, counter: str) -> None:
    setattr(result, counter, getattr(result, counter) + 1)
