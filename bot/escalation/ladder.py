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
from datetime import datetime

from bot.cases.worktime import MemoCalendar, WorkCalendar
from bot.core.app import App
from bot.escalation.batch import sweep_batch
from bot.escalation.per_case import SweepResult, handle_cases, lock_due

log = logging.getLogger(__name__)

# Cases per sweep transaction: large enough that the shared look-ups (staff, loads, areas) and
# the bulk writes are amortised, small enough that a transaction holds its locks briefly.
BATCH_SIZE = 1000
# Batches in flight at once on PostgreSQL (SKIP LOCKED keeps them apart): while one waits for
# its writes, the next is planned, so the server's work and ours overlap. SQLite has one writer.
SWEEP_WORKERS = 2


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
                    session, await lock_due(session, claimed, now, app), now, app.settings, batch
                )
        if not claimed:
            break
        result.merge(batch)
