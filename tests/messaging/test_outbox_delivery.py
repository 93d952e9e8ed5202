"""Outbox delivery against a scripted Sender: order, leases, retries, failures, templates."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from sqlalchemy import select

from bot.core.app import App
from bot.core.clock import FixedClock
from bot.messaging.delivery import ClaimedRow, DeliveryResult, DeliveryWorker
from bot.messaging.messages import Reply
from bot.messaging.outbox import enqueue
from bot.messaging.sending import OutsideWindow, PermanentFailure, RetryLater, SendResult
from bot.runtime.wiring import DELIVERY_HOOKS
from models import CaseEvent, OutboxMessage
from tests.support.casework_fixtures import build_world, get_case, report
from tests.support.outbox_support import FakeSender, queue, unlimited
from tests.support.waiting import eventually


async def rows(app: App) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def worker(app: App, sender: FakeSender, **kwargs: object) -> DeliveryWorker:
    return DeliveryWorker(
        app,
        {sender.channel: sender},
        limiter=unlimited(),
        rng=random.Random(7),
        hooks=DELIVERY_HOOKS,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_sends_everything_in_order_per_chat(app: App) -> None:
    await queue(app, ["a", "b", "c"], 4)
    sender = FakeSender()
    result = await worker(app, sender).drain()
    assert result.sent == 12 and result.failed == 0
    for chat in "abc":
        assert [s.text for s in sender.sent if s.chat_id == chat] == [
            f"{chat}#{n}" for n in range(4)
        ]
    stored = await rows(app)
    assert all(r.status == "sent" and r.platform_message_id and r.sent_at for r in stored)


async def test_only_the_head_of_a_chat_is_claimed_and_leases_hold(
    app: App, clock: FixedClock
) -> None:
    await queue(app, ["a", "b"], 3)
    w = worker(app, FakeSender())
    first = await w.claim(10)
    assert sorted(r.chat_id for r in first) == ["a", "b"]  # one row per chat
    assert await w.claim(10) == []  # leased, and the rest wait behind them
    clock.advance(seconds=app.settings.outbox_lease_seconds + 1)
    again = await w.claim(10)  # the lease ran out (a crashed worker): claimed again
    assert [r.id for r in again] == [r.id for r in first]
    assert all(r.attempts == 2 for r in again)


async def test_retry_after_is_honoured_exactly_and_costs_no_attempt(
    app: App, clock: FixedClock
) -> None:
    await queue(app, ["a"], 2)
    sender = FakeSender(script={"a": [RetryLater(after_seconds=7, reason="rate_limited")]})
    w = worker(app, sender)
    result = await w.drain()
    assert result.retried == 1 and result.sent == 0
    head = (await rows(app))[0]
    assert head.next_attempt_at == clock.now() + timedelta(seconds=7)
    assert head.attempts == 0 and head.status == "pending"
    clock.advance(seconds=6.9)
    assert (await w.drain()).claimed == 0  # not yet, and the second row waits behind it
    clock.advance(seconds=0.1)
    assert (await w.drain()).sent == 2
    assert [s.text for s in sender.sent] == ["a#0", "a#1"]


async def test_backoff_grows_with_jitter_then_fails_visibly(app: App, clock: FixedClock) -> None:
    app.settings.outbox_max_attempts = 4
    await queue(app, ["a"], 1)
    sender = FakeSender(script={"a": [RetryLater(reason="5xx")] * 10})
    w = worker(app, sender)
    delays = []
    for _ in range(3):
        before = clock.now()
        assert (await w.drain()).retried == 1
        row = (await rows(app))[0]
        delays.append((row.next_attempt_at - before).total_seconds())
        clock.set(row.next_attempt_at)
    base = app.settings.outbox_backoff_base_seconds
    for n, delay in enumerate(delays):
        assert base * 2**n * 0.5 <= delay <= base * 2**n
    result = await w.drain()
    assert result.failed == 1
    row = (await rows(app))[0]
    assert row.status == "failed" and row.attempts == 4 and row.last_error


async def test_unexpected_sender_errors_are_retried(app: App) -> None:
    await queue(app, ["a"], 1)
    sender = FakeSender(script={"a": [RuntimeError("bug in a sender")]})
    w = worker(app, sender)
    assert (await w.drain()).retried == 1
    row = (await rows(app))[0]
    assert row.status == "pending" and row.last_error == "error: RuntimeError"


async def test_sender_errors_that_retrying_cannot_fix_fail_at_once(app: App) -> None:
    # bot/messaging/failures.py: a ValueError (a chat id that is no number) fails the same way every time.
    await queue(app, ["a"], 1)
    sender = FakeSender(script={"a": [ValueError("invalid literal for int()")]})
    assert (await worker(app, sender).drain()).failed == 1
    row = (await rows(app))[0]
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "error: ValueError")


async def test_outside_window_sends_the_template_variant(app: App) -> None:
    await queue(app, ["a"], 1)
    sender = FakeSender(script={"a": [OutsideWindow()]})
    result = await worker(app, sender).drain()
    assert result.template_fallback == 1 and result.sent == 1
    assert sender.sent[0].extra == {"template_fallback": True}


async def test_outside_window_twice_fails(app: App) -> None:
    await queue(app, ["a"], 1)
    sender = FakeSender(script={"a": [OutsideWindow(), OutsideWindow()]})
    result = await worker(app, sender).drain()
    assert result.failed == 1
    assert (await rows(app))[0].last_error == "outside_window_template_failed"


async def test_hanging_send_times_out_and_is_retried(app: App) -> None:
    await queue(app, ["a"], 1)
    sender = FakeSender(pause=5)
    w = worker(app, sender, send_timeout=0.05)
    assert (await w.drain()).retried == 1
    assert (await rows(app))[0].last_error == "timeout"


async def test_blocked_cadre_gets_the_case_moved_on_and_the_coordinator_told(
    app: App, clock: FixedClock
) -> None:
    world = await build_world(app)
    case_id = await report(app)
    case = await get_case(app, case_id)
    assert case.assignee_id == world.kader_a
    kader_chat = world.chats[world.kader_a]
    sender = FakeSender(channel="telegram", script={kader_chat: [PermanentFailure("forbidden")]})
    result = await worker(app, sender).drain()
    assert result.failed == 1
    case = await get_case(app, case_id)
    assert case.assignee_id == world.kader_b
    async with app.db.transaction() as session:
        kinds = [
            e.kind
            for e in (
                await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))
            ).all()
        ]
    assert "delivery_failed" in kinds and "reassigned" in kinds
    # Drain again: the new assignment and the coordinator's notice go out.
    await worker(app, sender).drain()
    coordinator_texts = [s.text for s in sender.sent if s.chat_id == world.chats[world.coordinator]]
    assert any(case.reference in t and "Budi Kader" in t for t in coordinator_texts)
    assert any(s.chat_id == world.chats[world.kader_b] for s in sender.sent)


async def test_rows_for_channels_without_a_sender_are_left_alone(app: App) -> None:
    await queue(app, ["a"], 1, channel="whatsapp")
    result = await worker(app, FakeSender()).drain()
    assert result.claimed == 0
    assert (await rows(app))[0].status == "pending"


async def test_run_is_woken_and_stops_cleanly(app: App, clock: FixedClock) -> None:
    sender = FakeSender()
    w = worker(app, sender)
    task = asyncio.create_task(w.run())
    async with app.db.transaction() as session:
        enqueue(session, channel="fake", chat_id="x", reply=Reply(text="halo"), now=clock.now())
    w.wake()
    await eventually(lambda: sender.sent, within=30)
    await w.stop()
    await asyncio.wait_for(task, 30)
    assert task.done() and task.exception() is None
    assert [s.text for s in sender.sent] == ["halo"]
    assert w.totals.sent == 1


async def test_outcomes_that_arrive_together_are_recorded_together(app: App) -> None:
    """Group commit: sends that end while an outcome is written share the next transaction."""
    chats = [f"c{n}" for n in range(10)]
    await queue(app, chats, 1)
    release = asyncio.Event()

    class GatedSender(FakeSender):
        async def send(self, chat_id: str, reply: Reply) -> SendResult:
            await release.wait()
            return await super().send(chat_id, reply)

    sender = GatedSender()
    w = worker(app, sender)
    writes: list[int] = []
    record = w._record

    async def counting(items: list[tuple[ClaimedRow, SendResult | Exception]]) -> DeliveryResult:
        writes.append(len(items))
        return await record(items)

    w._record = counting  # type: ignore[method-assign]
    task = asyncio.create_task(w.run())
    await eventually(lambda: len(sender.attempts) == 0 and len(w._in_flight) == 10, within=30)
    release.set()
    await eventually(lambda: w.totals.sent == 10, within=30)
    await w.stop()
    await asyncio.wait_for(task, 30)
    assert sum(writes) == 10 and len(writes) < 10
    assert all(r.status == "sent" and r.platform_message_id for r in await rows(app))


async def test_a_finished_send_makes_room_for_other_chats_at_once(app: App) -> None:
    """At capacity, rows of other chats wait for room, not for the poll: each chat's last row
    (nothing behind it) must still free its slot for them."""
    app.settings.outbox_poll_seconds = 600  # only a wake can get the rest sent in time
    await queue(app, [f"c{n}" for n in range(6)], 1)
    sender = FakeSender()
    w = worker(app, sender, max_in_flight=2)
    task = asyncio.create_task(w.run())
    await eventually(lambda: w.totals.sent == 6, within=30)
    await w.stop()
    await asyncio.wait_for(task, 30)
    assert sorted(s.chat_id for s in sender.sent) == [f"c{n}" for n in range(6)]
