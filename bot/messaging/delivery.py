"""Outbox delivery: every queued message is sent, or visibly failed; never silently dropped.

Claiming. A row is due when `status='pending' AND next_attempt_at <= now` and its lease is
free. Only the *head* of each chat's due queue is claimable: no older pending row of the same
channel and chat that is due or due within `outbox_order_hold_seconds` (the order rule, in
bot/messaging/claims.py), so one chat never has two rows in flight and its messages go out in
order, across any number of instances, while a row scheduled for later never holds back a due
one. The claim takes a lease (owned by this instance) and counts the attempt in one short
transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers with BEGIN
IMMEDIATE); the send happens outside any transaction; the outcome is written in another. A
process that dies mid-send leaves its lease, which is taken over once its heartbeat is stale
(or at once, by a process starting in long polling mode: bot/messaging/instances.py) and the row is sent
again: delivery is at least once, and only in that crash window more than once.

Outcomes (sent, retried, failed, the WhatsApp template variant) are written by
bot/messaging/outcomes.py; an unexpected error from a sender counts as permanent or passing by the
table of bot/messaging/failures.py.

Freshness: `wake()` after a commit that queued rows; the worker also polls every
`outbox_poll_seconds` and sleeps no longer than until the earliest retry is due (read by the
claim's own query).

Cost: outcomes that finish while one is being written are written together next (group commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.app import App
from bot.core.clock import as_utc
from bot.messaging.claims import ClaimedRow as ClaimedRow
from bot.messaging.claims import claim_due, lease_new_heads
from bot.messaging.limits import RateLimiter, limiter_from_settings
from bot.messaging.messages import Reply
from bot.messaging.outcomes import DeliveryHooks, record_outcomes, unexpected_error
from bot.messaging.outcomes import DeliveryResult as DeliveryResult
from bot.messaging.sending import OutsideWindow, PermanentFailure, RetryLater, Sender, SendResult
from models import OutboxMessage

log = logging.getLogger(__name__)


class DeliveryWorker:
    """`asyncio.create_task(worker.run())`, `worker.wake()` after commits, `await worker.stop()`."""

    def __init__(
        self,
        app: App,
        senders: Mapping[str, Sender],
        *,
        limiter: RateLimiter | None = None,
        rng: random.Random | None = None,
        max_in_flight: int | None = None,
        send_timeout: float = 30.0,
        instance_id: str | None = None,
        hooks: DeliveryHooks,
    ) -> None:
        self.app = app
        self.hooks = hooks
        # Leases taken by this worker name it, so they are taken over once it is dead.
        self.instance_id = instance_id
        self.senders = dict(senders)
        self.limiter = limiter or limiter_from_settings(app.settings)
        self.rng = rng or random.Random()
        self.max_in_flight = max_in_flight or app.settings.outbox_batch_size
        self.send_timeout = send_timeout
        self.totals = DeliveryResult()
        self._wake = asyncio.Event()
        self._stopping = False
        self._stopped = asyncio.Event()
        self._running = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._sending = asyncio.Semaphore(self.max_in_flight)
        self._outcomes: list[tuple[ClaimedRow, SendResult | Exception, asyncio.Future[None]]] = []
        # Counts wake() calls. A finished send claims again only if its chat may have a row the
        # last claim could not take (queued behind it then, or anything queued since); not
        # after every message, which cost an empty claim transaction per message.
        self._wakes = 0
        # The last claim filled every free slot, so due rows of other chats may be waiting for
        # room: any finished send must claim again (under load the chat test alone left them
        # to the poll: 84 % of Telegram's rate in the delivery bench).
        self._room_limited = False
        self._recorder: asyncio.Task[None] | None = None

    # -- the loop ---------------------------------------------------------------------------

    def wake(self) -> None:
        self._wakes += 1
        self._wake.set()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming, let the sends in flight finish (their leases cover the rest)."""
        self._stopping = True
        self._wake.set()
        if self._running:
            try:
                await asyncio.wait_for(self._stopped.wait(), grace_seconds)
            except TimeoutError:
                for task in list(self._in_flight):
                    task.cancel()

    async def run(self) -> None:
        self._stopped.clear()
        self._running = True
        try:
            while not self._stopping:
                self._wake.clear()
                free = self.max_in_flight - len(self._in_flight)
                claimed: list[ClaimedRow] = []
                idle = self.app.settings.outbox_poll_seconds
                wakes = self._wakes
                if free > 0:
                    try:
                        claimed, idle = await self._claim(free)
                    except Exception:
                        log.exception("outbox claim failed; trying again shortly")
                    self._room_limited = len(claimed) == free
                for row in claimed:
                    task = asyncio.create_task(self._deliver_and_count(row))
                    self._in_flight.add(task)
                    task.add_done_callback(functools.partial(self._task_done, row.followed, wakes))
                if claimed and len(claimed) == free:
                    await asyncio.sleep(0)
                    continue
                await self._idle(idle)
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
        finally:
            self._running = False
            self._stopped.set()

    def _task_done(self, followed: bool, wakes: int, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        # The chat's next row is claimable now, if it has one. A row that was retried or
        # failed needs no wake: its retry is due later, and the sleep is bounded by the poll.
        if followed or self._wakes != wakes or self._room_limited:
            self._wake.set()

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(0.0, seconds))

    def _seconds_to(self, earliest: datetime | None) -> float:
        poll = self.app.settings.outbox_poll_seconds
        if earliest is None:
            return poll
        wait = (as_utc(earliest) - self.app.clock.now()).total_seconds()
        # Due but not claimable: behind a row in flight (its end wakes us) or leased elsewhere.
        return poll if wait <= 0 else min(poll, wait)

    async def _deliver_and_count(self, row: ClaimedRow) -> None:
        paced = True
        try:
            await self.limiter.acquire(row.channel, row.chat_id)
        except Exception:
            paced = False  # _send meets the same error, and says what it means
        # At most `max_in_flight` sends between their call and their recorded outcome, rows
        # handed over by the inbox included: those are what a kill can send twice (README,
        # "Delivery"). Taken after the rate limiter's wait, so a row waiting for its chat's
        # token holds no slot.
        async with self._sending:
            outcome = await self._send(row, paced=paced)
            # Group commit: outcomes that arrive while one is being written go in the next
            # write, one transaction for all of them. The task ends (and frees its chat's next
            # row) only once its own outcome is committed, so nothing waits longer than one write.
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._outcomes.append((row, outcome, done))
            if self._recorder is None or self._recorder.done():
                self._recorder = asyncio.create_task(self._record_queued())
            await done
        if not isinstance(outcome, SendResult):
            # Retried, or queued again as a template: claim again, which also learns when the
            # retry is due (a Telegram 429's retry_after is often shorter than the poll).
            self._wake.set()

    async def _record_queued(self) -> None:
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                self.totals.add(await self._record([(row, outcome) for row, outcome, _ in batch]))
            finally:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)

    # -- one batch, for `patbm jobs run outbox` and the scheduler's safety net --------------

    async def drain(self, *, max_rounds: int = 10_000) -> DeliveryResult:
        """Send everything due now, batch after batch, until nothing due is left."""
        total = DeliveryResult()
        for _ in range(max_rounds):
            rows = await self.claim(self.app.settings.outbox_batch_size)
            if not rows:
                break
            outcomes = await asyncio.gather(*(self._send(row) for row in rows))
            total.add(await self._record(list(zip(rows, outcomes, strict=True))))
        return total

    # -- claim, send, finish ----------------------------------------------------------------

    async def claim(self, limit: int) -> list[ClaimedRow]:
        return (await self._claim(limit))[0]

    async def _claim(self, limit: int) -> tuple[list[ClaimedRow], float]:
        """The claimed rows, and how long to sleep at most if that is all there is now."""
        if not self.senders or limit <= 0:
            return [], self.app.settings.outbox_poll_seconds
        claimed, earliest = await claim_due(
            self.app, list(self.senders), limit, self.instance_id, hold=self._hold()
        )
        return claimed, self._seconds_to(earliest)

    # -- hand-over: rows leased by the transaction that queued them ------------------------

    async def lease_new(
        self, session: AsyncSession, rows: Sequence[OutboxMessage], now: datetime
    ) -> list[ClaimedRow]:
        """In the producer's transaction: lease its new rows that head their chat (start()
        sends them after the commit, with no claim transaction in between); see
        bot/messaging/claims.py `lease_new_heads`."""
        if self._stopping or not self._running:
            return []
        lease = timedelta(seconds=self.app.settings.outbox_lease_seconds)
        return await lease_new_heads(
            session,
            rows,
            now,
            set(self.senders),
            lease,
            hold=self._hold(),
            owner=self.instance_id,
        )

    def _hold(self) -> timedelta:
        return timedelta(seconds=self.app.settings.outbox_order_hold_seconds)

    def start(self, rows: Sequence[ClaimedRow]) -> None:
        """Send rows leased by lease_new() once their transaction has committed."""
        if self._stopping:
            return  # their leases run out and another process sends them
        wakes = self._wakes
        for row in rows:
            task = asyncio.create_task(self._deliver_and_count(row))
            self._in_flight.add(task)
            task.add_done_callback(functools.partial(self._task_done, row.followed, wakes))

    async def deliver(self, row: ClaimedRow) -> DeliveryResult:
        return await self._record([(row, await self._send(row))])

    async def _send(self, row: ClaimedRow, *, paced: bool = False) -> SendResult | Exception:
        try:
            if not paced:
                await self.limiter.acquire(row.channel, row.chat_id)
            reply = Reply.from_json(row.payload)
            reply = await self.hooks.prepare(self.app.db, reply)
            return await asyncio.wait_for(
                self.senders[row.channel].send(row.chat_id, reply), self.send_timeout
            )
        except TimeoutError:
            return RetryLater(reason="timeout")
        except (RetryLater, PermanentFailure, OutsideWindow) as exc:
            return exc
        except Exception as exc:
            return unexpected_error(row, exc)

    async def _record(
        self, items: list[tuple[ClaimedRow, SendResult | Exception]]
    ) -> DeliveryResult:
        result = DeliveryResult(claimed=len(items))
        try:
            await record_outcomes(self.app, items, result, self.rng, self.hooks.failed)
        except Exception as exc:
            # The leases run out and the rows are tried again; nothing is lost.
            log.exception("outbox %s: could not record the outcome", [r.id for r, _ in items])
            result.errors.append(f"{[r.id for r, _ in items]}: {type(exc).__name__}")
        return result
