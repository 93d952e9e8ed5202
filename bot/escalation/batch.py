"""One sweep batch, planned in memory (bot/escalation/batch_plan.py) and written in bulk.

The batch reads what its cases share once (staff and their chats, open-case loads, kelurahan
names, assignment history) and plans each case in Python: every case gets the same events,
deadlines and routing as on the per-case path, through the same rule functions
(bot/cases/deadlines.py, bot/cases/routing_rules.py). Then it writes the case updates, events and outbox rows
with a handful of statements. A case whose planning raises is pushed back by RETRY_AFTER; a
case the batch cannot plan (nobody to route to, a recipient without a linked chat: those write
extra events and tell superiors) is handed back for the per-case path, in the same transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.deadlines import (
    RETRY_AFTER,
)
from bot.cases.worktime import WorkCalendar
from bot.core import metrics
from bot.core.settings import Settings
from bot.escalation.batch_data import (
    CASES,
    CLAIMED,
    Batch,
    DueCase,
    NeedsCasePath,
    load_batch,
)
from bot.escalation.batch_plan import Planned
from bot.escalation.batch_plan import plan as _plan
from bot.escalation.notice_groups import outbox_rows
from bot.escalation.per_case import SweepResult, handle_cases
from bot.escalation.writes import WRITTEN, insert_events, update_cases
from models import (
    Case,
)
from models.base import Base
from models.case import OPEN_CASE_SQL

log = logging.getLogger(__name__)


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
