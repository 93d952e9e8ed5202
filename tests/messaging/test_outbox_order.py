"""The order rule: a chat's due rows go in order; a row not due soon never holds them back.

Also: the claim reads the due rows through an index (EXPLAIN), never a GROUP BY over the
backlog; and `patbm jobs run … --at T` queues its messages for the real time.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.app import App
from bot.core.clock import FixedClock
from bot.messaging.claims import claim_query
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.messages import Reply
from bot.messaging.outbox import enqueue
from bot.messaging.sending import RetryLater
from bot.runtime.commands.jobs import run_job_command
from bot.runtime.wiring import DELIVERY_HOOKS
from models import CaseEvent, OutboxMessage
from tests.support.casework_fixtures import build_world, report
from tests.support.outbox_support import FakeSender, unlimited


def worker(app: App, sender: FakeSender) -> DeliveryWorker:
    return DeliveryWorker(
        app,
        {sender.channel: sender},
        limiter=unlimited(),
        rng=random.Random(3),
        hooks=DELIVERY_HOOKS,
    )


async def put(app: App, chat: str, text_: str, *, due_in: timedelta = timedelta(0)) -> int:
    async with app.db.transaction() as session:
        row = enqueue(
            session, channel="fake", chat_id=chat, reply=Reply(text=text_), now=app.clock.now()
        )
        row.next_attempt_at = app.clock.now() + due_in
        await session.flush()
        return row.id


async def statuses(app: App) -> dict[str, str]:
    async with app.db.transaction() as session:
        found = await session.execute(select(OutboxMessage.payload, OutboxMessage.status))
        return {payload["text"]: status for payload, status in found.all()}


async def test_a_row_scheduled_for_later_does_not_hold_back_a_newer_due_row(
    app: App, clock: FixedClock
) -> None:
    await put(app, "a", "in 15 days", due_in=timedelta(days=15))
    await put(app, "a", "now")
    sender = FakeSender()
    w = worker(app, sender)
    assert (await w.drain()).sent == 1
    assert [s.text for s in sender.sent] == ["now"]
    assert (await statuses(app))["in 15 days"] == "pending"
    clock.advance(days=15)
    await w.drain()
    assert [s.text for s in sender.sent] == ["now", "in 15 days"]


async def test_a_long_backoff_does_not_hold_back_the_chat(app: App, clock: FixedClock) -> None:
    hold = app.settings.outbox_order_hold_seconds
    await put(app, "a", "failing", due_in=timedelta(seconds=hold + 1))  # e.g. a 10-minute backoff
    await put(app, "a", "next")
    sender = FakeSender()
    await worker(app, sender).drain()
    assert [s.text for s in sender.sent] == ["next"]


async def test_a_row_in_a_short_retry_after_still_keeps_the_order(
    app: App, clock: FixedClock
) -> None:
    await put(app, "a", "first")
    await put(app, "a", "second")
    # Telegram says: retry after 100 s (within the hold bound of 120 s).
    sender = FakeSender(script={"a": [RetryLater(after_seconds=100, reason="rate_limited")]})
    w = worker(app, sender)
    assert (await w.drain()).retried == 1
    assert sender.sent == []  # "second" is due, but waits for "first"
    assert (await w.drain()).claimed == 0
    clock.advance(seconds=100)
    await w.drain()
    assert [s.text for s in sender.sent] == ["first", "second"]


async def test_the_hand_over_follows_the_same_rule(app: App) -> None:
    """A reply queued while an older row of its chat waits for later is leased at once."""
    await put(app, "a", "digest tomorrow", due_in=timedelta(days=1))
    await put(app, "b", "retrying soon", due_in=timedelta(seconds=30))
    sender = FakeSender()
    w = worker(app, sender)
    w._running = True  # lease_new() hands over only to a running worker
    async with app.db.transaction() as session:
        now = app.clock.now()
        rows = [
            enqueue(session, channel="fake", chat_id=chat, reply=Reply(text=chat), now=now)
            for chat in ("a", "b")
        ]
        handed = await w.lease_new(session, rows, now)
    assert [r.chat_id for r in handed] == ["a"]  # b's older row is due within the bound


def _sql(app: App) -> str:
    now = app.clock.now()
    query = claim_query(
        now,
        ["telegram"],
        50,
        app.db.is_postgres,
        hold=timedelta(seconds=120),
        stale_before=now - timedelta(seconds=6),
    )
    dialect = postgresql.dialect() if app.db.is_postgres else sqlite.dialect()  # type: ignore[no-untyped-call]
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def test_the_claim_reads_due_rows_by_index_not_a_group_by(app: App) -> None:
    # A backlog scheduled for later, in a few chats, and some rows due.
    async with app.db.transaction() as session:
        now = app.clock.now()
        for n in range(300):
            row = enqueue(
                session, channel="telegram", chat_id=str(n % 7), reply=Reply(text="x"), now=now
            )
            row.next_attempt_at = now + timedelta(days=1 + n % 5) if n % 10 else now
    sql = _sql(app)
    assert "GROUP BY" not in sql.upper()
    async with app.db.engine.connect() as conn:
        if app.db.is_postgres:
            # Whatever the table's size, the plan must be able to avoid reading it whole.
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(str(r[0]) for r in await conn.execute(text("EXPLAIN " + sql)))
            assert "ix_outbox_status_next_attempt" in plan, plan
            assert "Seq Scan on outbox" not in plan, plan
        else:
            found = await conn.execute(text("EXPLAIN QUERY PLAN " + sql))
            plan = "\n".join(str(r[-1]) for r in found)
            assert "ix_outbox_status_next_attempt" in plan, plan
            assert "ix_outbox_pending_chat" in plan, plan  # the older-row probe
            assert "SCAN outbox" not in plan.replace("SCAN outbox USING", ""), plan
        assert "Aggregate" not in plan and "GROUP BY" not in plan.upper(), plan
        await conn.rollback()


async def test_jobs_run_at_a_later_time_queues_messages_due_now(app: App) -> None:
    await build_world(app)
    await report(app)
    real = app.clock.now()
    async with app.db.transaction() as session:
        before = set((await session.scalars(select(OutboxMessage.id))).all())
        # Everything queued so far is sent: only the sweep's rows are left to look at.
        await session.execute(update(OutboxMessage).values(status="sent"))
    later = real + timedelta(days=15)
    assert await run_job_command(app, "escalation", later.isoformat()) == 0
    async with app.db.transaction() as session:
        new = [
            r for r in (await session.scalars(select(OutboxMessage))).all() if r.id not in before
        ]
        escalated = (
            await session.scalars(select(CaseEvent).where(CaseEvent.kind == "escalated"))
        ).all()
    assert new and escalated
    # Deadlines were evaluated as of T (the events say so) …
    assert all(e.at == later for e in escalated)
    # … but the messages are created and due now, so delivery sends them at once.
    assert all(r.next_attempt_at == real and r.created_at == real for r in new)
    app.clock = FixedClock(real)
    sender = FakeSender(channel="telegram")
    assert (await worker(app, sender).drain()).sent == len(new)
