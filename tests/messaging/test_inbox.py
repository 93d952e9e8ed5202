"""The durable inbox: stored once, claimed per chat in order, handled in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.app import App
from bot.core.clock import FixedClock
from bot.messaging.inbox import InboxChannel, InboxProcessor
from bot.messaging.inbox_claim import claim
from bot.messaging.inbox_store import store
from bot.messaging.messages import Inbound
from models import InboxUpdate, OutboxMessage
from tests.support.e2e_helpers import echo_dispatch
from tests.support.waiting import eventually

CHANNEL = "testchan"


def _parse(payload: dict[str, object]) -> Inbound | None:
    if payload.get("ignore"):
        return None
    return Inbound(
        channel=CHANNEL,
        user_id=str(payload["user"]),
        chat_id=str(payload["user"]),
        text=str(payload.get("text", "")),
    )


CHANNELS = {CHANNEL: InboxChannel(CHANNEL, _parse)}


async def _store(app: App, key: str, user: int, text: str = "hi", **extra: object) -> bool:
    async with app.db.transaction() as session:
        return await store(
            session,
            channel=CHANNEL,
            update_key=key,
            chat_key=f"u{user}",
            payload={"user": user, "text": text, **extra},
            now=app.clock.now(),
        )


async def _rows(app: App) -> list[InboxUpdate]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id))).all())


async def _outbox_texts(app: App) -> list[str]:
    async with app.db.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return [r.payload["text"] for r in rows]


async def test_store_is_idempotent_per_channel_and_key(app: App) -> None:
    assert await _store(app, "1", 10)
    assert not await _store(app, "1", 10, text="again")
    async with app.db.transaction() as session:
        assert await store(
            session,
            channel="other",
            update_key="1",
            chat_key="u10",
            payload={},
            now=app.clock.now(),
        )
    rows = await _rows(app)
    assert len(rows) == 2
    assert rows[0].payload["text"] == "hi"


async def test_claim_takes_only_the_oldest_free_row_of_each_chat(app: App) -> None:
    for key, user in (("1", 1), ("2", 1), ("3", 2), ("4", 1), ("5", 3)):
        await _store(app, key, user)
    async with app.db.transaction() as session:
        first = await claim(session, app.clock.now(), limit=10)
        assert [r.update_key for r in first] == ["1", "3", "5"]
    async with app.db.transaction() as session:
        # Leased rows block their chat; nothing else is free.
        assert await claim(session, app.clock.now(), limit=10) == []


async def test_processor_handles_each_chat_in_order_once(app: App) -> None:
    for index in range(6):
        await _store(app, str(index), index % 2, text=f"m{index}")
    processor = InboxProcessor(app, dispatch=echo_dispatch, concurrency=4, channels=CHANNELS)
    assert await processor.process_all() == 6
    texts = await _outbox_texts(app)
    assert sorted(texts) == sorted(f"echo: m{i}" for i in range(6))
    for user in (0, 1):
        mine = [t for t in texts if int(t[-1]) % 2 == user]
        assert mine == sorted(mine)
    rows = await _rows(app)
    assert {r.status for r in rows} == {"done"}
    assert all(r.handled_at is not None and r.locked_until is None for r in rows)
    # Nothing left: running again handles nothing and queues nothing.
    assert await processor.process_all() == 0
    assert len(await _outbox_texts(app)) == 6


async def test_unparsed_updates_are_marked_done_without_replies(app: App) -> None:
    await _store(app, "1", 1, ignore=True)
    await InboxProcessor(app, dispatch=echo_dispatch, channels=CHANNELS).process_all()
    assert [r.status for r in await _rows(app)] == ["done"]
    assert await _outbox_texts(app) == []


async def test_failure_rolls_back_retries_with_backoff_then_fails(
    app: App, clock: FixedClock
) -> None:
    calls: list[str] = []

    async def flaky(app: App, session: AsyncSession, inbound: Inbound) -> Sequence[OutboxMessage]:
        calls.append(inbound.text or "")
        await echo_dispatch(app, session, inbound)  # written, then rolled back
        raise RuntimeError("boom")

    await _store(app, "1", 1, text="secret words")
    await _store(app, "2", 1, text="later")
    processor = InboxProcessor(app, dispatch=flaky, max_attempts=3, channels=CHANNELS)
    await processor.process_all()
    row = (await _rows(app))[0]
    assert row.status == "pending" and row.attempts == 1 and row.last_error == "RuntimeError"
    assert row.locked_until is not None and row.locked_until > clock.now()
    # The later row of the same chat waits behind the failed one.
    assert await processor.process_all() == 0
    for _ in range(3):
        clock.advance(minutes=10)
        await processor.process_all()
    rows = await _rows(app)
    assert rows[0].status == "failed"
    assert calls.count("secret words") == 3
    # Once the first gave up for good, the chat moves on.
    assert calls[-1] == "later" or rows[1].status == "failed"
    assert await _outbox_texts(app) == []


async def test_rows_left_by_a_dead_process_are_picked_up_after_the_lease(
    app: App, clock: FixedClock
) -> None:
    await _store(app, "1", 1, text="left behind")
    async with app.db.transaction() as session:
        await claim(session, clock.now(), limit=10)  # a process claimed it, then died
    processor = InboxProcessor(
        app, dispatch=echo_dispatch, lease=timedelta(seconds=60), channels=CHANNELS
    )
    assert await processor.process_all() == 0
    clock.advance(seconds=61)
    assert await processor.process_all() == 1
    assert await _outbox_texts(app) == ["echo: left behind"]


async def test_run_loop_handles_new_rows_and_stops_cleanly(app: App) -> None:
    import asyncio

    woken: list[int] = []
    processor = InboxProcessor(
        app,
        dispatch=echo_dispatch,
        idle_poll_seconds=0.05,
        on_committed=lambda: woken.append(1),
        channels=CHANNELS,
    )
    task = asyncio.create_task(processor.run())
    await _store(app, "1", 1, text="a")
    processor.wake()

    async def answered() -> bool:
        return len(await _outbox_texts(app)) >= 1

    await eventually(answered, within=30, what="the reply")
    processor.stop()
    await asyncio.wait_for(task, 30)
    assert woken
    async with app.db.transaction() as session:
        pending = await session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending")
        )
    assert pending == 0


async def test_two_instances_handle_every_row_once_in_chat_order(app: App) -> None:
    """Two processors (two `patbm run` instances) on one database, racing for the same rows."""
    import asyncio

    from bot.core.db import Database

    handled: list[tuple[str, str]] = []

    async def recording(
        app: App, session: AsyncSession, inbound: Inbound
    ) -> Sequence[OutboxMessage]:
        handled.append((inbound.user_id, inbound.text or ""))
        await asyncio.sleep(0.005)  # let the other instance run meanwhile
        return await echo_dispatch(app, session, inbound)

    for index in range(40):
        await _store(app, str(index), index % 5, text=f"{index:02d}")
    other_db = Database(app.db.url)
    other = App(settings=app.settings, db=other_db, clock=app.clock, keyring=app.keyring)
    try:
        first = InboxProcessor(app, dispatch=recording, concurrency=3, channels=CHANNELS)
        second = InboxProcessor(other, dispatch=recording, concurrency=3, channels=CHANNELS)
        await asyncio.gather(first.process_all(), second.process_all())
    finally:
        await other_db.dispose()
    assert sorted(text for _, text in handled) == [f"{i:02d}" for i in range(40)]
    for user in range(5):
        mine = [text for uid, text in handled if uid == str(user)]
        assert mine == sorted(mine)
    assert {r.status for r in await _rows(app)} == {"done"}
    assert len(await _outbox_texts(app)) == 40


async def test_a_row_of_an_unregistered_channel_is_never_marked_done_unhandled(
    app: App, clock: FixedClock
) -> None:
    async with app.db.transaction() as session:
        await store(
            session,
            channel="nochannel",
            update_key="1",
            chat_key="x",
            payload={"user": 1},
            now=clock.now(),
        )
    processor = InboxProcessor(app, dispatch=echo_dispatch, max_attempts=2, channels=CHANNELS)
    await processor.process_all()
    [row] = await _rows(app)
    assert (row.status, row.last_error) == ("pending", "UnknownChannel")
    clock.advance(minutes=10)
    await processor.process_all()
    [row] = await _rows(app)
    assert row.status == "failed"


async def test_a_row_claimed_again_meanwhile_is_handled_by_the_newer_claim_only(
    app: App, clock: FixedClock
) -> None:
    """A handler whose lease ran out mid-handling rolls back; the newer claim's handling counts."""
    await _store(app, "1", 1, text="slow")
    processor = InboxProcessor(
        app, dispatch=echo_dispatch, lease=timedelta(seconds=60), channels=CHANNELS
    )
    async with app.db.transaction() as session:
        (stale,) = await claim(session, clock.now(), limit=10, lease=timedelta(seconds=60))
    clock.advance(seconds=61)
    async with app.db.transaction() as session:
        (newer,) = await claim(session, clock.now(), limit=10, lease=timedelta(seconds=60))
    assert newer.attempts == stale.attempts + 1
    await processor._handle(stale)
    row = (await _rows(app))[0]
    assert row.status == "pending" and await _outbox_texts(app) == []
    await processor._handle(newer)
    await processor._handle(stale)  # too late as well once it is done
    assert [r.status for r in await _rows(app)] == ["done"]
    assert await _outbox_texts(app) == ["echo: slow"]


async def test_a_finished_row_makes_room_for_other_chats_at_once(app: App) -> None:
    """At capacity, rows of other chats wait for room, not for the idle poll."""
    import asyncio

    processor = InboxProcessor(
        app, dispatch=echo_dispatch, concurrency=2, idle_poll_seconds=600, channels=CHANNELS
    )
    for user in range(1, 7):
        await _store(app, str(user), user, text=f"m{user}")
    task = asyncio.create_task(processor.run())
    processor.wake()

    async def all_answered() -> bool:
        return len(await _outbox_texts(app)) >= 6

    await eventually(all_answered, within=30, what="six replies")
    processor.stop()
    await asyncio.wait_for(task, 30)
    assert len(await _outbox_texts(app)) == 6  # each row answered once, none twice
