"""Outbox delivery: every queued message is sent, or visibly failed; never silently dropped.

Claiming. A row is due when `status='pending' AND next_attempt_at <= now` and its lease is
free. Only the *head* of each chat's due queue is claimable: no older pending row of the same
channel and chat that is due or due within `outbox_order_hold_seconds` (the order rule, in
bot/outbox_claim.py), so one chat never has two rows in flight and its messages go out in
order, across any number of instances, while a row scheduled for later never holds back a due
one. The claim takes a lease (owned by this instance) and counts the attempt in one short
transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers with BEGIN
IMMEDIATE); the send happens outside any transaction; the outcome is written in another. A
process that dies mid-send leaves its lease, which is taken over once its heartbeat is stale
(or at once, by a process starting in long polling mode: bot/instances.py) and the row is sent
again: delivery is at least once, and only in that crash window more than once.

Outcomes (the Sender's exceptions, bot/channels/base.py):
- success: `status='sent'`, `sent_at`, `platform_message_id`.
- `RetryLater(after_seconds=s)`: retried exactly `s` seconds later (Telegram 429
  `retry_after`); throttling does not use up an attempt.
- `RetryLater()` (5xx, time-out, network) or an unexpected transient error: exponential
  backoff with jitter; after `outbox_max_attempts` attempts the row fails.
- an unexpected error that retrying cannot fix (bot/failures.py: a chat id that is not a
  number, a payload that does not parse) counts as `PermanentFailure` at once.
- `PermanentFailure` (blocked, chat not found): `status='failed'`, a `delivery_failed` case
  event, and for an assignment (`kind='assignment'`) the case is moved on
  (`bot.routing.route_to_next`) and the kecamatan coordinator is told.
- `OutsideWindow` (WhatsApp's 24-hour window is closed): the row's payload gets
  `extra["template_fallback"] = True` and is queued again at once. The WhatsApp Sender sees the
  flag and sends the approved template named in `extra["template"]` (set by the producer, with
  `extra["template_params"]`) or its default notification template. A row that hits
  `OutsideWindow` again with the flag set fails.

Freshness: `wake()` after a commit that queued rows; the worker also polls every
`outbox_poll_seconds` and sleeps no longer than until the earliest retry is due (read by the
claim's own query).

Cost: the outcomes of sends that finish while an outcome is being written are written together
in the next transaction (group commit), and a sent row is marked with one UPDATE, not loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.app import App
from bot.channels.base import OutsideWindow, PermanentFailure, RetryLater, Sender, SendResult
from bot.clock import as_utc
from bot.delivery_failure import handle_permanent_failure
from bot.evidence_view import EVIDENCE_KEY, attach_evidence
from bot.failures import is_permanent
from bot.instances import stale_before
from bot.messages import Reply
from bot.outbox_claim import ClaimedRow as ClaimedRow
from bot.outbox_claim import due_heads, lease_new_heads
from bot.ratelimit import RateLimiter
from models import OutboxMessage

log = logging.getLogger(__name__)


@dataclass
class DeliveryResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    template_fallback: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryResult) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.template_fallback += other.template_fallback
        self.errors.extend(other.errors)


def limiter_from_settings(app: App, **time_source: Any) -> RateLimiter:
    """The limits of the settings; `monotonic=`, `sleep=` replace the time source (tests)."""
    s = app.settings
    return RateLimiter(
        {"telegram": s.telegram_rate_per_second, "whatsapp": s.whatsapp_rate_per_second},
        s.chat_rate_per_second,
        chat_burst=s.chat_burst,
        **time_source,
    )


# Workers running in this process, so the scheduler's safety net can wake them.
_RUNNING: weakref.WeakSet[DeliveryWorker] = weakref.WeakSet()


def wake_running_workers() -> int:
    """Wake every delivery worker of this process; returns how many there are."""
    workers = list(_RUNNING)
    for worker in workers:
        worker.wake()
    return len(workers)


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
    ) -> None:
        self.app = app
        # Leases taken by this worker name it, so they are taken over once it is dead.
        self.instance_id = instance_id
        self.senders = dict(senders)
        self.limiter = limiter or limiter_from_settings(app)
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
        _RUNNING.add(self)
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
            _RUNNING.discard(self)
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
        now = self.app.clock.now()
        lease = timedelta(seconds=self.app.settings.outbox_lease_seconds)
        # Not durable (see Database.transaction): lost with a crashed database server, the
        # lease is as if it had run out, and the attempt is not counted; the outcome's commit,
        # which is durable, makes both durable with it.
        async with self.app.db.transaction(durable=False) as session:
            heads = await due_heads(
                session,
                now,
                list(self.senders),
                limit,
                self.app.db.is_postgres,
                hold=self._hold(),
                stale_before=stale_before(self.app.settings, now),
            )
            claimed = []
            for row in heads.rows:
                row.locked_until = now + lease
                row.lease_owner = self.instance_id
                row.attempts += 1
                claimed.append(ClaimedRow.of(row, followed=row.id in heads.followed))
        return claimed, self._seconds_to(heads.earliest)

    # -- hand-over: rows leased by the transaction that queued them ------------------------

    async def lease_new(
        self, session: AsyncSession, rows: Sequence[OutboxMessage], now: datetime
    ) -> list[ClaimedRow]:
        """In the producer's transaction: lease its new rows that head their chat (start()
        sends them after the commit, with no claim transaction in between); see
        bot/outbox_claim.py `lease_new_heads`."""
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
            if EVIDENCE_KEY in reply.extra:
                # A case's evidence file: read from its row now, never carried in the outbox.
                reply = await attach_evidence(self.app.db, reply)
            return await asyncio.wait_for(
                self.senders[row.channel].send(row.chat_id, reply), self.send_timeout
            )
        except TimeoutError:
            return RetryLater(reason="timeout")
        except (RetryLater, PermanentFailure, OutsideWindow) as exc:
            return exc
        except Exception as exc:
            reason = f"error: {type(exc).__name__}"
            if is_permanent(exc):
                # The row itself is wrong (a chat id "abc", a payload that does not parse):
                # every retry would fail the same way, so it fails now (bot/failures.py).
                log.warning("outbox %s: cannot be sent to %s: %s", row.id, row.channel, reason)
                return PermanentFailure(reason=reason)
            log.exception("outbox %s: unexpected error from the %s sender", row.id, row.channel)
            return RetryLater(reason=reason)

    async def _record(
        self, items: list[tuple[ClaimedRow, SendResult | Exception]]
    ) -> DeliveryResult:
        result = DeliveryResult(claimed=len(items))
        try:
            await self._finish(items, result)
        except Exception as exc:
            # The leases run out and the rows are tried again; nothing is lost.
            log.exception("outbox %s: could not record the outcome", [r.id for r, _ in items])
            result.errors.append(f"{[r.id for r, _ in items]}: {type(exc).__name__}")
        return result

    def backoff(self, attempts: int) -> float:
        s = self.app.settings
        ceiling = min(
            s.outbox_backoff_max_seconds, s.outbox_backoff_base_seconds * 2 ** (attempts - 1)
        )
        return float(ceiling) * (0.5 + self.rng.random() / 2)

    async def _finish(
        self, items: list[tuple[ClaimedRow, SendResult | Exception]], result: DeliveryResult
    ) -> None:
        """Record the outcomes of a batch in one transaction."""
        now = self.app.clock.now()
        async with self.app.db.transaction() as session:
            # Sent: one UPDATE each, without loading (and decrypting) the row. In id order, like
            # the locking select below, so two writers never wait on each other crosswise.
            others: list[tuple[ClaimedRow, SendResult | Exception]] = []
            for claimed, outcome in sorted(items, key=lambda item: item[0].id):
                if not isinstance(outcome, SendResult):
                    others.append((claimed, outcome))
                elif await _mark_sent(session, claimed.id, outcome, now):
                    result.sent += 1
                    metrics.outbox_sent(claimed.channel)
                else:
                    others.append((claimed, outcome))  # below: say why it was not pending
            if not others:
                return
            items = others
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.id.in_([claimed.id for claimed, _ in items]))
                .order_by(OutboxMessage.id)
            )
            if self.app.db.is_postgres:
                query = query.with_for_update()
            rows = {row.id: row for row in (await session.scalars(query)).all()}
            for claimed, outcome in items:
                row = rows.get(claimed.id)
                if row is None or row.status != "pending":
                    # `held`: the WhatsApp sender parked it until the window opens (its docs).
                    if row is None or row.status != "held":
                        log.warning("outbox %s: finished elsewhere (lease ran out?)", claimed.id)
                    continue
                await self._apply(session, row, outcome, now, result)

    async def _apply(
        self,
        session: AsyncSession,
        row: OutboxMessage,
        outcome: SendResult | Exception,
        now: datetime,
        result: DeliveryResult,
    ) -> None:
        row.locked_until = None
        if isinstance(outcome, SendResult):
            row.status = "sent"
            row.sent_at = now
            row.platform_message_id = outcome.platform_message_id
            row.last_error = None
            result.sent += 1
            metrics.outbox_sent(row.channel)
            return
        if isinstance(outcome, OutsideWindow):
            if self._template_fallback(row, now):
                result.template_fallback += 1
                metrics.outbox_failed(row.channel, "outside_window")
                return
            outcome = PermanentFailure(reason="outside_window_template_failed")
        if isinstance(outcome, RetryLater):
            if self._retry(row, outcome, now):
                result.retried += 1
                metrics.outbox_failed(row.channel, "retry")
                return
            outcome = PermanentFailure(reason=f"gave up after {row.attempts}: {outcome.reason}")
        reason = getattr(outcome, "reason", type(outcome).__name__)
        await _fail(session, row, str(reason), now, self.app)
        result.failed += 1
        metrics.outbox_failed(row.channel, "permanent")

    def _retry(self, row: OutboxMessage, outcome: RetryLater, now: datetime) -> bool:
        if outcome.after_seconds is not None:
            row.attempts = max(0, row.attempts - 1)  # throttling is not the message's fault
            delay = max(0.0, float(outcome.after_seconds))
        elif row.attempts >= self.app.settings.outbox_max_attempts:
            return False
        else:
            delay = self.backoff(row.attempts)
        row.next_attempt_at = now + timedelta(seconds=delay)
        row.last_error = outcome.reason[:200]
        log.info("outbox %s: retry in %.1fs (%s)", row.id, delay, outcome.reason[:60])
        return True

    def _template_fallback(self, row: OutboxMessage, now: datetime) -> bool:
        payload = dict(row.payload)
        extra = dict(payload.get("extra") or {})
        if extra.get("template_fallback"):
            return False
        extra["template_fallback"] = True
        payload["extra"] = extra
        row.payload = payload
        row.attempts = max(0, row.attempts - 1)
        row.next_attempt_at = now
        row.last_error = "outside_window"
        log.info("outbox %s: outside the window, template variant queued", row.id)
        return True


async def _mark_sent(
    session: AsyncSession, row_id: int, outcome: SendResult, now: datetime
) -> bool:
    """Record a send; False when the row is no longer pending (finished elsewhere, held)."""
    marked = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == "pending")
        .values(
            status="sent",
            sent_at=now,
            platform_message_id=outcome.platform_message_id,
            locked_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(marked.rowcount == 1)  # type: ignore[attr-defined]


async def _fail(
    session: AsyncSession, row: OutboxMessage, reason: str, now: datetime, app: App
) -> None:
    row.status = "failed"
    row.last_error = reason[:200]
    log.warning("outbox %s failed for good (kind %s, case %s)", row.id, row.kind, row.case_id)
    try:
        async with session.begin_nested():
            await handle_permanent_failure(session, row, reason, now, app.settings)
    except Exception:
        # The row stays failed (visible); what its failure should have set off is logged.
        log.exception("outbox %s: handling the failure for case %s failed", row.id, row.case_id)
