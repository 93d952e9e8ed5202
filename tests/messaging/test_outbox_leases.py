"""Leases carry their instance: a dead instance's rows are taken over once its heartbeat is
stale, not after the full lease; long polling takes over every lease at start. And a reply of
a few messages passes the per-chat limiter at once (burst), then 1/s."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from bot.core.app import App
from bot.core.clock import FixedClock
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.inbox_claim import claim_heads
from bot.messaging.inbox_store import store
from bot.messaging.instances import STALE_BEATS, beat, reap, stale_before, take_over_leases
from bot.messaging.limits import limiter_from_settings
from bot.runtime.wiring import DELIVERY_HOOKS
from models import InboxUpdate, Instance
from tests.support.outbox_support import FakeSender, queue, unlimited


def worker(app: App, instance_id: str | None) -> DeliveryWorker:
    return DeliveryWorker(
        app,
        {"fake": FakeSender()},
        limiter=unlimited(),
        rng=random.Random(1),
        instance_id=instance_id,
        hooks=DELIVERY_HOOKS,
    )


async def test_a_dead_instances_leases_are_taken_over_when_its_heartbeat_is_stale(
    app: App, clock: FixedClock
) -> None:
    await queue(app, ["a", "b"], 1)
    await beat(app, "one")
    await beat(app, "two")
    first = await worker(app, "one").claim(10)
    assert len(first) == 2
    second = worker(app, "two")
    assert await second.claim(10) == []  # "one" is alive: its leases hold
    # "one" dies: only "two" beats on. Well before the 60 s lease runs out …
    interval = app.settings.instance_heartbeat_seconds
    clock.advance(seconds=STALE_BEATS * interval - 0.5)
    await beat(app, "two")
    assert await second.claim(10) == []
    clock.advance(seconds=1)
    await beat(app, "two")
    taken = await second.claim(10)
    assert sorted(r.id for r in taken) == sorted(r.id for r in first)
    assert clock.now() < clock.now() + timedelta(seconds=app.settings.outbox_lease_seconds)
    # The reaper removes the dead instance's row; the live one stays.
    assert await reap(app) == 1
    async with app.db.transaction() as session:
        assert list((await session.scalars(select(Instance.id))).all()) == ["two"]


async def test_long_polling_takes_over_every_lease_at_start(app: App, clock: FixedClock) -> None:
    await queue(app, ["a", "b", "c"], 1)
    await beat(app, "old")
    old = await worker(app, "old").claim(1)
    unowned = await worker(app, None).claim(1)  # `patbm jobs run outbox`: no heartbeat
    assert len(old) == 1 and len(unowned) == 1
    async with app.db.transaction() as session:
        await store(
            session,
            channel="telegram",
            update_key="1",
            chat_key="tg:1",
            payload={"update_id": 1},
            now=clock.now(),
        )
    async with app.db.transaction() as session:
        leased = await claim_heads(session, clock.now(), limit=5, owner="old")
    assert len(leased) == 1
    # The old process was killed a moment ago: its heartbeat is still fresh.
    assert await take_over_leases(app, "new") == (1, 1)
    await beat(app, "new")
    again = await worker(app, "new").claim(10)
    assert {r.id for r in old} <= {r.id for r in again}
    assert unowned[0].id not in {r.id for r in again}  # its lease only runs out
    async with app.db.transaction() as session:
        inbox = await claim_heads(
            session,
            clock.now(),
            limit=5,
            owner="new",
            stale_before=stale_before(app.settings, clock.now()),
        )
        assert [r.id for r, _ in inbox] == [leased[0][0].id]
        owner = await session.scalar(select(InboxUpdate.lease_owner))
    assert owner == "new"


async def test_a_dead_instances_inbox_lease_is_taken_over_too(app: App, clock: FixedClock) -> None:
    async with app.db.transaction() as session:
        await store(
            session,
            channel="telegram",
            update_key="9",
            chat_key="tg:9",
            payload={"update_id": 9},
            now=clock.now(),
        )
    await beat(app, "one")
    async with app.db.transaction() as session:
        assert len(await claim_heads(session, clock.now(), limit=5, owner="one")) == 1

    async def claim_as_two() -> int:
        now = clock.now()
        async with app.db.transaction() as session:
            rows = await claim_heads(
                session, now, limit=5, owner="two", stale_before=stale_before(app.settings, now)
            )
        return len(rows)

    assert await claim_as_two() == 0
    clock.advance(seconds=STALE_BEATS * app.settings.instance_heartbeat_seconds + 0.5)
    assert await claim_as_two() == 1


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_a_reply_of_several_messages_is_sent_at_once_then_one_a_second(app: App) -> None:
    time_ = VirtualTime()
    limiter = limiter_from_settings(app.settings, monotonic=time_.monotonic, sleep=time_.sleep)
    sender = FakeSender(channel="telegram")
    w = DeliveryWorker(
        app, {"telegram": sender}, limiter=limiter, rng=random.Random(2), hooks=DELIVERY_HOOKS
    )
    await queue(app, ["5001"], 2, channel="telegram")  # the welcome and the first question
    assert (await w.drain()).sent == 2
    assert [s.text for s in sender.sent] == ["5001#0", "5001#1"]
    # Both went without waiting for the per-chat second (only the channel's 1/30 s spacing).
    assert time_.now < 0.1
    # The burst is 3 (settings.chat_burst); beyond it the sustained 1/s applies.
    await queue(app, ["5001"], 2, channel="telegram")
    await w.drain()
    assert len(sender.sent) == 4
    assert 0.9 <= time_.now <= 1.2
