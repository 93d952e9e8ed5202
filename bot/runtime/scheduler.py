"""The scheduler only triggers; the database decides.

APScheduler 3.11 `AsyncIOScheduler` with its in-memory job store, one per process (its
SQLAlchemy job store cannot be shared between processes). Every job is a sweep over the
database that claims what it acts on, so any number of instances may run the same jobs at once:

- `escalation` every minute (and at start: what came due while we were down is caught up,
  because the sweep looks at `due_at`, not at missed runs);
- `digest` at `digest_time` in the deployment's zone (and at start, when the instance comes up
  within a few hours after that time; the digests are idempotent per day);
- `outbox` every 30 s: wakes the delivery worker of this process (`worker=`), a safety net for
  a missed `wake()`;
- `followup` every 10 minutes: the question to reporters of cases closed long enough ago
  (bot/casework/followup.py);
- evidence files are fetched by `patbm run`'s own worker (bot/evidence/worker.py); the
  `evidence` job here is for `patbm jobs run evidence`;
- `cleanup` every night: drafts older than `draft_ttl_hours`, handled inbox rows and parts
  refused at the edge (`rejected_inbound`) older than `inbox_retention_days`.

Use: `scheduler = build_scheduler(app, worker=worker)` (a JobScheduler: APScheduler's triggers
and the runs in progress it started), `await start(scheduler)` inside the running loop,
`await shutdown(scheduler)` at the end. `run_job(app, name, now)` runs one job
once (for `patbm jobs run`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, update

from bot.cases.worktime import parse_clock_time
from bot.casework.followup import sweep_followups
from bot.core.app import App
from bot.escalation.ladder import sweep
from bot.evidence.worker import fetch_evidence_once
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.sending import Sender
from bot.reporting.digest import run_digests
from bot.runtime.job_runs import JobRuns
from bot.runtime.wiring import DELIVERY_HOOKS
from models import Conversation, InboxUpdate, RejectedInbound

log = logging.getLogger(__name__)

JOB_NAMES = ("escalation", "digest", "outbox", "cleanup", "evidence", "followup")
# A digest missed by more than this (the instance was down) waits for tomorrow.
DIGEST_CATCH_UP = timedelta(hours=5)
JOB_DEFAULTS: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 15 * 60}


@dataclass
class CleanupResult:
    drafts_cleared: int
    inbox_deleted: int
    rejected_deleted: int = 0


async def cleanup(app: App, now: datetime) -> CleanupResult:
    settings = app.settings
    draft_cutoff = now - timedelta(hours=settings.draft_ttl_hours)
    inbox_cutoff = now - timedelta(days=settings.inbox_retention_days)
    async with app.db.transaction() as session:
        drafts = await session.execute(
            update(Conversation)
            .where(Conversation.flow.is_not(None), Conversation.updated_at < draft_cutoff)
            .values(flow=None, step=None, data=None, version=Conversation.version + 1)
            .execution_options(synchronize_session=False)
        )
        inbox = await session.execute(
            delete(InboxUpdate)
            # Throttled rows were never handled, but kept only as long as handled ones; rejected
            # and failed rows stay, for an operator to look at.
            .where(
                InboxUpdate.status.in_(["done", "throttled"]), InboxUpdate.handled_at < inbox_cutoff
            )
            .execution_options(synchronize_session=False)
        )
        # Parts refused at the edge (bot/messaging/rejected_inbound.py) are kept as long as handled updates.
        rejected = await session.execute(
            delete(RejectedInbound)
            .where(RejectedInbound.received_at < inbox_cutoff)
            .execution_options(synchronize_session=False)
        )
    result = CleanupResult(_rowcount(drafts), _rowcount(inbox), _rowcount(rejected))
    log.info(
        "cleanup: %s drafts cleared, %s inbox rows and %s rejected parts deleted",
        *vars(result).values(),
    )
    return result


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def run_job(
    app: App,
    name: str,
    now: datetime,
    *,
    senders: Mapping[str, Sender] | None = None,
    worker: DeliveryWorker | None = None,
) -> object:
    """Run one job once as of `now`; returns its result object (for logs and the CLI)."""
    if name == "escalation":
        return await sweep(app, now)
    if name == "digest":
        return await run_digests(app, now)
    if name == "cleanup":
        return await cleanup(app, now)
    if name == "followup":
        return await sweep_followups(app, now)
    if name == "evidence":
        return await fetch_evidence_once(app)
    if name == "outbox":
        if senders is None:
            # The safety net inside `patbm run`: the worker of this process does the sending.
            if worker is not None:
                worker.wake()
            return int(worker is not None)
        return await DeliveryWorker(app, senders, hooks=DELIVERY_HOOKS).drain()
    raise ValueError(f"unknown job {name!r} (one of: {', '.join(JOB_NAMES)})")


@dataclass
class JobScheduler:
    """APScheduler's triggers, and the runs of them in progress (`shutdown` waits for those)."""

    triggers: AsyncIOScheduler
    runs: JobRuns = field(default_factory=JobRuns)

    @property
    def running(self) -> bool:
        return bool(self.triggers.running)

    def get_job(self, job_id: str) -> Any:
        return self.triggers.get_job(job_id)

    def get_jobs(self) -> list[Any]:
        return list(self.triggers.get_jobs())


# How long `shutdown` waits for running jobs before it cancels them.
SHUTDOWN_GRACE_SECONDS = 20.0


async def _run_logged(app: App, name: str, worker: DeliveryWorker | None) -> None:
    # A failing run is logged and tried again at the next tick; it never stops the scheduler.
    try:
        result = await run_job(app, name, app.clock.now(), worker=worker)
    except Exception:
        log.exception("scheduled job %s failed", name)
        return
    if result is not None:
        log.debug("scheduled job %s: %s", name, result)


async def _scheduled(runs: JobRuns, app: App, name: str, worker: DeliveryWorker | None) -> None:
    """What APScheduler runs: the job in a task of its own, shielded from APScheduler.

    AsyncIOScheduler's executor cancels every job task it started when the scheduler shuts
    down, `wait=False` or not. Cancelled inside an aiosqlite statement, SQLAlchemy invalidates
    the connection: a shielded graceful close runs while the cancelled task force-stops the
    connection's thread if it is cancelled again (as asyncio.run and pytest's loop teardown do
    with what is left). aiosqlite's close() then waits for its own stop() behind the stop that
    already ended the thread: a future nobody resolves, and the loop's teardown waits for ever.
    So only this wrapper is cancelled; the run goes on, and `shutdown` waits for it.
    """
    await runs.shielded(_run_logged(app, name, worker), name=f"scheduled job {name}")


def _digest_catch_up(app: App, now: datetime) -> datetime | None:
    """Run the digest at start when today's digest time passed only a little while ago."""
    zone = app.settings.zone
    at = parse_clock_time(app.settings.digest_time, "digest_time")
    local = now.astimezone(zone)
    today = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if today <= local < today + DIGEST_CATCH_UP:
        return now
    return None


def build_scheduler(
    app: App,
    *,
    worker: DeliveryWorker | None = None,
    outbox_interval_seconds: float = 30,
) -> JobScheduler:
    zone = app.settings.zone
    at = parse_clock_time(app.settings.digest_time, "digest_time")
    now = app.clock.now()
    triggers = AsyncIOScheduler(timezone=zone, job_defaults=dict(JOB_DEFAULTS))
    runs = JobRuns()
    triggers.add_job(
        _scheduled,
        IntervalTrigger(minutes=1, timezone=zone),
        args=[runs, app, "escalation", worker],
        id="escalation",
        next_run_time=now,
        **JOB_DEFAULTS,
    )
    triggers.add_job(
        _scheduled,
        CronTrigger(hour=at.hour, minute=at.minute, timezone=zone),
        args=[runs, app, "digest", worker],
        id="digest",
        **JOB_DEFAULTS,
    )
    catch_up = _digest_catch_up(app, now)
    if catch_up is not None:
        triggers.add_job(
            _scheduled,
            "date",
            run_date=catch_up,
            args=[runs, app, "digest", worker],
            id="digest-catch-up",
        )
    triggers.add_job(
        _scheduled,
        IntervalTrigger(seconds=outbox_interval_seconds, timezone=zone),
        args=[runs, app, "outbox", worker],
        id="outbox",
        **JOB_DEFAULTS,
    )
    triggers.add_job(
        _scheduled,
        IntervalTrigger(minutes=10, timezone=zone),
        args=[runs, app, "followup", worker],
        id="followup",
        **JOB_DEFAULTS,
    )
    triggers.add_job(
        _scheduled,
        CronTrigger(hour=3, minute=17, timezone=zone),
        args=[runs, app, "cleanup", worker],
        id="cleanup",
        **JOB_DEFAULTS,
    )
    return JobScheduler(triggers, runs)


async def start(scheduler: JobScheduler) -> None:
    """Start inside the running event loop (AsyncIOScheduler takes the running loop)."""
    scheduler.triggers.start()


async def shutdown(scheduler: JobScheduler, grace_seconds: float = SHUTDOWN_GRACE_SECONDS) -> None:
    """Stop triggering, let the runs in progress finish (cancelled after `grace_seconds`)."""
    triggers = scheduler.triggers
    if not triggers.running:
        return
    # Paused, it starts no run; a run it submitted just now gets its task in the next step.
    triggers.pause()
    await asyncio.sleep(0)
    await scheduler.runs.finish(grace_seconds)
    triggers.shutdown(wait=False)
    # AsyncIOScheduler.shutdown is scheduled on the loop; let it happen before returning.
    await asyncio.sleep(0)
