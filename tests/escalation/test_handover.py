"""Hand-overs that skip a claim: the poller's store leases rows to the inbox processor, and the
inbox's transaction leases its replies to the delivery worker. Each lease is a claim's lease."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.core.app import App
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.inbox import InboxChannel, InboxProcessor
from bot.messaging.inbox_claim import claim
from bot.messaging.inbox_store import store, store_and_lease
from bot.messaging.limits import RateLimiter
from bot.messaging.messages import Inbound, Reply
from bot.messaging.outbox import enqueue
from bot.runtime.wiring import DELIVERY_HOOKS
from models import InboxUpdate, OutboxMessage
from tests.support.claim_counter import count_claims
from tests.support.e2e_helpers import echo_dispatch
from tests.support.outbox_support import FakeSender
from tests.support.waiting import eventually

CHANNEL = "handchan"
LEASE = timedelta(seconds=60)


def _parse(payload: dict[str, object]) -> Inbound | None:
    user = str(payload["user"])
    return Inbound(channel=CHANNEL, user_id=user, chat_id=user, text=str(payload["text"]))


CHANNELS = {CHANNEL: InboxChannel(CHANNEL, _parse)}


def _item(key: str, user: int) -> tuple[str, str, dict[str, object]]:
    return key, f"u{user}", {"user": user, "text": f"t{key}"}


async def _inbox(app: App) -> list[InboxUpdate]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id))).all())


async def test_store_leases_the_first_update_of_each_free_chat(app: App) -> None:
    now = app.clock.now()
    async with app.db.transaction() as session:
        # Chat 2 has an update pending already: its new one must wait behind it.
        await store(session, channel=CHANNEL, update_key="0", chat_key="u2", payload={}, now=now)
    batch = [_item("1", 1), _item("2", 1), _item("3", 2), _item("4", 3), _item("5", 4)]
    async with app.db.transaction() as session:
        new, leased = await store_and_lease(session, CHANNEL, batch, now, limit=2, lease=LEASE)
    assert new == 5
    # Chats 1 and 3 (in batch order, up to the limit); chat 1 has a second update behind.
    assert [(row.update_key, more) for row, more in leased] == [("1", True), ("4", False)]
    rows = {row.update_key: row for row in await _inbox(app)}
    assert all(rows[k].attempts == 1 and rows[k].locked_until is not None for k in ("1", "4"))
    assert all(rows[k].attempts == 0 and rows[k].locked_until is None for k in ("2", "3", "5"))
    assert leased[0][0].payload == {"user": 1, "text": "t1"}
    async with app.db.transaction() as session:
        # A claim takes what is left free: chat 4; chats 1, 2 and 3 are blocked by a lease or
        # by an older pending row.
        assert [r.update_key for r in await claim(session, now, limit=10)] == ["0", "5"]
    async with app.db.transaction() as session:
        again, leased_again = await store_and_lease(
            session, CHANNEL, [_item("1", 1), _item("6", 5)], now, limit=5, lease=LEASE
        )
    assert again == 1 and [row.update_key for row, _ in leased_again] == ["6"]


async def test_processor_handles_rows_handed_over_without_claiming(app: App) -> None:
    processor = InboxProcessor(app, dispatch=echo_dispatch, concurrency=2, channels=CHANNELS)
    # Until a claim has found nothing left over (from a previous process), nothing is leased.
    assert processor.reserve() == 0
    assert await processor.process_once() == 0
    counter = count_claims(processor)
    room = processor.reserve()
    assert room == 2 and processor.reserve() == 0
    async with app.db.transaction() as session:
        _, leased = await store_and_lease(
            session,
            CHANNEL,
            [_item("1", 1), _item("2", 2)],
            app.clock.now(),
            limit=room,
            lease=LEASE,
        )
    processor.take(room, leased)
    await processor.drain()
    assert [r.status for r in await _inbox(app)] == ["done", "done"]
    assert counter.claims == 0
    # Something stored without a lease (no room then): later updates must not overtake it.
    processor.wake()
    assert processor.reserve() == 0
    await processor.process_once()  # takes all that is free: new updates may be leased again
    room = processor.reserve()
    assert room == 2
    processor.take(room, [])


async def test_finished_rows_do_not_claim_again_unless_their_chat_has_more(app: App) -> None:
    for key, user in (("1", 1), ("2", 1), ("3", 2)):
        async with app.db.transaction() as session:
            await store(
                session,
                channel=CHANNEL,
                update_key=key,
                chat_key=f"u{user}",
                payload={"user": user, "text": key},
                now=app.clock.now(),
            )
    # A long idle poll: only wakes make it claim again.
    processor = InboxProcessor(
        app, dispatch=echo_dispatch, idle_poll_seconds=3600, channels=CHANNELS
    )
    counter = count_claims(processor)
    task = asyncio.create_task(processor.run())

    async def all_done() -> bool:
        return all(r.status == "done" for r in await _inbox(app))

    try:
        await eventually(all_done, what="all three handled")
        # 1: rows 1 and 3; 2: row 2, after row 1 (its chat had more); none after row 2 or 3.
        await asyncio.sleep(0.2)
        assert counter.claims == 2
    finally:
        processor.stop()
        await task


async def test_replies_are_leased_in_their_transaction_and_sent_after_it(app: App) -> None:
    sender = FakeSender(channel=CHANNEL)
    worker = DeliveryWorker(
        app, {CHANNEL: sender}, limiter=RateLimiter({CHANNEL: 1000.0}, 1000.0), hooks=DELIVERY_HOOKS
    )
    run = asyncio.create_task(worker.run())
    await asyncio.sleep(0)
    now = app.clock.now()
    async with app.db.transaction() as session:
        # Chat "busy" has a row queued before this transaction: its new row must wait.
        enqueue(session, channel=CHANNEL, chat_id="busy", reply=Reply(text="old"), now=now)
    try:
        async with app.db.transaction() as session:
            rows = [
                enqueue(session, channel=CHANNEL, chat_id=chat, reply=Reply(text=text), now=now)
                for chat, text in (("a", "a1"), ("a", "a2"), ("b", "b1"), ("busy", "new"))
            ]
            handed = await worker.lease_new(session, rows, now)
        assert [(r.chat_id, r.followed, r.attempts) for r in handed] == [
            ("a", True, 1),
            ("b", False, 1),
        ]
        async with app.db.transaction() as session:
            leased = (
                await session.scalars(
                    select(OutboxMessage.payload).where(OutboxMessage.locked_until.is_not(None))
                )
            ).all()
        # The heads of this transaction, and not a2 (behind a1) nor new (behind old). Old itself
        # may have been claimed meanwhile by the running worker's own poll (a loaded machine).
        texts = {p["text"] for p in leased}
        assert {"a1", "b1"} <= texts and not {"a2", "new"} & texts
        worker.start(handed)
        # Then a1 wakes the worker (its chat has more) and the claim takes the rest, in order.
        await eventually(lambda: _sent(sender, 5), what="all sent")
        sent = [s.text for s in sender.sent]
        assert sent.index("a1") < sent.index("a2") and sent.index("old") < sent.index("new")
    finally:
        await worker.stop()
        await run


async def _sent(sender: FakeSender, count: int) -> bool:
    return len(sender.sent) >= count


async def test_lease_transactions_do_not_wait_for_the_disk_on_postgresql(app: App) -> None:
    if not app.db.is_postgres:
        pytest.skip("PostgreSQL only (SQLite in WAL mode does not sync on commit)")
    show = text("SHOW synchronous_commit")
    async with app.db.transaction(durable=False) as session:
        inside = (await session.execute(show)).scalar()
    async with app.db.transaction() as session:
        after = (await session.execute(show)).scalar()
    assert (inside, after) == ("off", "on")
