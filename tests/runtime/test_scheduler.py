"""The scheduler: jobs, triggers in the deployment's zone, start/stop, catch-up and clean-up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.app import App
from bot.core.clock import FixedClock, SystemClock
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.messages import Reply
from bot.messaging.outbox import enqueue
from bot.runtime import scheduler as scheduler_module
from bot.runtime.job_runs import JobRuns
from bot.runtime.scheduler import build_scheduler, cleanup, run_job, shutdown, start
from bot.runtime.wiring import DELIVERY_HOOKS
from models import Conversation, InboxUpdate, OutboxMessage
from tests.support.outbox_support import FakeSender, unlimited
from tests.support.waiting import eventually


async def test_jobs_and_their_triggers(app: App) -> None:
    s = build_scheduler(app)
    jobs = {job.id: job for job in s.get_jobs()}
    assert {"escalation", "digest", "outbox", "cleanup"} <= set(jobs)
    await start(s)  # the job options are resolved when the scheduler starts
    try:
        for job in s.get_jobs():
            assert job.coalesce is True and job.max_instances == 1
            assert job.misfire_grace_time >= 600
    finally:
        await shutdown(s)
    now = app.clock.now()  # Monday 09:00 WIB
    fire = jobs["digest"].trigger.get_next_fire_time(None, now)
    assert fire.astimezone(UTC) == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # Tue 07:00 WIB
    assert "digest-catch-up" in jobs  # 09:00 WIB: the 07:00 digest is caught up at start


@pytest.mark.parametrize(
    ("zone", "expected_utc_hour"),
    [("Asia/Jakarta", 0), ("Asia/Makassar", 23), ("Asia/Jayapura", 22)],
)
def test_digest_time_is_local(app: App, zone: str, expected_utc_hour: int) -> None:
    app.settings.timezone = zone
    job = build_scheduler(app).get_job("digest")
    assert job is not None
    fire = job.trigger.get_next_fire_time(None, app.clock.now())
    assert fire.astimezone(UTC).hour == expected_utc_hour


def test_missed_digest_is_caught_up_on_start_the_same_morning(app: App, clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # 08:00 WIB: 07:00 was missed
    assert build_scheduler(app).get_job("digest-catch-up") is not None
    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # 14:00 WIB: too late, wait for tomorrow
    assert build_scheduler(app).get_job("digest-catch-up") is None
    clock.set(datetime(2026, 11, 22, 23, 0, tzinfo=UTC))  # 06:00 WIB: the cron will do it
    assert build_scheduler(app).get_job("digest-catch-up") is None


def live_app(app: App, monkeypatch: pytest.MonkeyPatch, sweep: Callable[..., Any]) -> App:
    """The app on the real clock (APScheduler fires on real time), with `sweep` as the sweep.

    The digests are faked too: whether the catch-up digest runs at start depends on the time
    of day (07:00-12:00 WIB), and a test must not.
    """

    async def no_digests(app_: App, now: datetime) -> None:
        return None

    monkeypatch.setattr(scheduler_module, "sweep", sweep)
    monkeypatch.setattr(scheduler_module, "run_digests", no_digests)
    return App(settings=app.settings, db=app.db, clock=SystemClock(), keyring=app.keyring)


async def test_start_runs_the_sweep_at_once_and_shutdown_stops(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[datetime] = []

    async def fake_sweep(app_: App, now: datetime) -> None:
        calls.append(now)

    s = build_scheduler(live_app(app, monkeypatch, fake_sweep))
    await start(s)
    try:
        assert s.running
        await eventually(lambda: calls, within=30)
    finally:
        await shutdown(s)
    assert not s.running


def _other_tasks() -> list[asyncio.Task[Any]]:
    return [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]


async def test_shutdown_lets_a_running_job_finish_its_transaction(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hang: APScheduler's shutdown cancelled a job inside an aiosqlite statement, and the
    # loop's teardown then waited for ever on the connection's close (bot/runtime/scheduler.py).
    inside, release = asyncio.Event(), asyncio.Event()
    finished: list[datetime] = []

    async def slow_sweep(app_: App, now: datetime) -> None:
        async with app_.db.transaction() as session:
            await session.execute(select(Conversation.id))
            inside.set()
            await release.wait()
            await session.execute(select(Conversation.id))
        finished.append(now)

    s = build_scheduler(live_app(app, monkeypatch, slow_sweep))
    await start(s)
    await asyncio.wait_for(inside.wait(), 30)
    stopping = asyncio.create_task(shutdown(s))
    for _ in range(5):  # loop turns, not time: the old shutdown had cancelled the job by now
        await asyncio.sleep(0)
    assert not stopping.done()  # it waits for the job
    release.set()
    await asyncio.wait_for(stopping, 30)
    assert finished and not s.running
    assert _other_tasks() == []  # nothing left for the loop's teardown to cancel


async def test_shutdown_cancels_a_job_that_does_not_finish_in_the_grace(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside, never = asyncio.Event(), asyncio.Event()
    cancelled: list[bool] = []

    async def stuck_sweep(app_: App, now: datetime) -> None:
        async with app_.db.transaction() as session:
            await session.execute(select(Conversation.id))
            inside.set()
            try:
                await never.wait()
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

    s = build_scheduler(live_app(app, monkeypatch, stuck_sweep))
    await start(s)
    await asyncio.wait_for(inside.wait(), 30)
    await asyncio.wait_for(shutdown(s, grace_seconds=0.01), 30)
    assert cancelled == [True] and not s.running
    assert _other_tasks() == []


async def test_a_failing_job_is_logged_not_raised(
    app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(app_: App, now: datetime) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr(scheduler_module, "sweep", broken)
    await scheduler_module._scheduled(JobRuns(), app, "escalation", None)
    assert "scheduled job escalation failed" in caplog.text


async def test_outbox_job_drains_with_senders_and_wakes_workers_without(
    app: App, clock: FixedClock
) -> None:
    async with app.db.transaction() as session:
        enqueue(session, channel="fake", chat_id="1", reply=Reply(text="a"), now=clock.now())
    sender = FakeSender()
    result = await run_job(app, "outbox", clock.now(), senders={"fake": sender})
    assert [s.text for s in sender.sent] == ["a"]
    assert getattr(result, "sent", None) == 1
    # Inside `patbm run`: the runner's worker (handed to the scheduler) is woken instead.
    worker = DeliveryWorker(app, {"fake": sender}, limiter=unlimited(), hooks=DELIVERY_HOOKS)
    task = asyncio.create_task(worker.run())
    await eventually(lambda: worker._running, within=30)
    async with app.db.transaction() as session:
        enqueue(session, channel="fake", chat_id="1", reply=Reply(text="b"), now=clock.now())
    assert await run_job(app, "outbox", clock.now(), worker=worker) == 1
    await eventually(lambda: len(sender.sent) >= 2, within=30)
    await worker.stop()
    await asyncio.wait_for(task, 30)


async def test_unknown_job(app: App) -> None:
    with pytest.raises(ValueError, match="unknown job"):
        await run_job(app, "nope", app.clock.now())


async def test_cleanup_clears_old_drafts_and_handled_inbox_rows(
    app: App, clock: FixedClock
) -> None:
    now = clock.now()
    old, fresh = now - timedelta(hours=30), now - timedelta(hours=2)
    async with app.db.transaction() as session:
        for user, at in (("old", old), ("fresh", fresh)):
            session.add(
                Conversation(
                    channel="telegram",
                    user_id=user,
                    chat_id=user,
                    flow="report",
                    step="where",
                    data={"description": "rahasia"},
                    language="id",
                    updated_at=at,
                )
            )
        for key, status, handled in (
            ("1", "done", now - timedelta(days=20)),
            ("2", "done", now - timedelta(days=1)),
            ("3", "failed", now - timedelta(days=20)),
        ):
            session.add(
                InboxUpdate(
                    channel="telegram",
                    update_key=key,
                    chat_key="c",
                    payload={},
                    status=status,
                    attempts=1,
                    received_at=handled,
                    handled_at=handled,
                )
            )
    result = await cleanup(app, now)
    assert result.drafts_cleared == 1 and result.inbox_deleted == 1
    async with app.db.transaction() as session:
        conversations = {c.user_id: c for c in (await session.scalars(select(Conversation))).all()}
        assert conversations["old"].flow is None and conversations["old"].data is None
        assert conversations["fresh"].flow == "report"
        keys = sorted(u.update_key for u in (await session.scalars(select(InboxUpdate))).all())
        assert keys == ["2", "3"]  # failed rows stay for a person to look at
        assert (await session.scalars(select(OutboxMessage))).all() == []


async def test_each_scheduler_waits_only_for_its_own_runs(app: App) -> None:
    first, second = build_scheduler(app), build_scheduler(app)
    release = asyncio.Event()

    async def waiting() -> None:
        await release.wait()

    run = asyncio.create_task(first.runs.shielded(waiting(), name="a run of the first"))
    await asyncio.sleep(0)
    assert len(first.runs.running()) == 1 and second.runs.running() == []
    await asyncio.wait_for(second.runs.finish(grace_seconds=30), 30)  # nothing of its own
    release.set()
    await asyncio.wait_for(first.runs.finish(grace_seconds=30), 30)
    await asyncio.wait_for(run, 30)
    assert first.runs.running() == []
