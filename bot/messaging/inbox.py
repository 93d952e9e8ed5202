"""The durable inbox: every incoming update is stored and committed before it is acknowledged.

Channel-neutral. A channel (Telegram polling or webhook, the WhatsApp webhook) calls `store()` in
a transaction, commits, and only then confirms the update to the platform. `InboxProcessor`
then handles the stored rows:

- it claims the oldest pending row of each chat with a lease (bot/messaging/inbox_claim.py), so one
  chat's updates run in order and never two at once, while chats run concurrently (bounded);
- per row, ONE transaction: parse, dispatch (the conversation and its outbox rows), mark the
  row done if this claim still holds it (else roll back); a crash before the commit leaves the
  row pending, handled again once its lease is free (also after a restart);
- a failure that retrying cannot fix (bot/messaging/failures.py: a parse or validation error) marks the
  row `rejected` at once and tells the sender kindly (bot/messaging/inbox_guard.py), so it never holds
  back the chat's next update; a transient one (database, network) is retried with backoff, at
  most `max_attempts` claims; then the row is marked failed and logged with ids only;
- a chat over its flood limit (`inbound_chat_per_minute`) has its further rows marked
  `throttled`, kept but not handled, and is told once a minute (bot/messaging/inbox_guard.py).

The processor is handed each channel's `InboxChannel(name, parse, after_handled)`;
`after_handled` runs after the commit, best effort (Telegram answers callback queries there).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import metrics
from bot.core.app import App
from bot.messaging.claims import ClaimedRow
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.failures import is_permanent
from bot.messaging.inbox_claim import LEASE, claim_heads, give_up, mark_handled, retry_later
from bot.messaging.inbox_guard import dispatch_within_limit, reject
from bot.messaging.inbox_store import Payload
from bot.messaging.instances import stale_before
from bot.messaging.messages import Inbound
from bot.messaging.outbox import queued_in
from models import InboxUpdate, OutboxMessage

log = logging.getLogger(__name__)

Parser = Callable[[Payload], Inbound | None]
AfterHandled = Callable[[Payload], Awaitable[None]]
Dispatch = Callable[[App, AsyncSession, Inbound], Awaitable[Sequence[OutboxMessage]]]

MAX_ATTEMPTS = 5


class UnknownChannel(Exception):
    """A stored row of a channel that has no parser registered in this process."""


class _NotOurs(Exception):
    """The row was finished or claimed again elsewhere while this process handled it."""


@dataclass(frozen=True)
class InboxChannel:
    name: str
    parse: Parser
    after_handled: AfterHandled | None = None


class InboxProcessor:
    """Handles stored updates: claim, dispatch in one transaction, retry, give up after a bound."""

    def __init__(
        self,
        app: App,
        *,
        dispatch: Dispatch,
        channels: Mapping[str, InboxChannel],
        concurrency: int | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        lease: timedelta = LEASE,
        idle_poll_seconds: float = 1.0,
        on_committed: Callable[[], None] | None = None,
        delivery: DeliveryWorker | None = None,
        instance_id: str | None = None,
    ) -> None:
        self.app = app
        # Leases taken by this processor name it (bot/messaging/instances.py).
        self.instance_id = instance_id
        # The conversation engine (bot/runtime/dispatch.py, wired by the runner), or a test's.
        self.dispatch = dispatch
        # Each channel's parser (and after-handled step), by name: the runner adds a channel
        # when it starts (bot/runtime/wiring.py), so a row is parsed by this process's own.
        self.channels = dict(channels)
        self.concurrency = concurrency or app.settings.telegram_concurrency
        self.max_attempts = max_attempts
        self.lease = lease
        self.idle_poll_seconds = idle_poll_seconds
        # Called after each commit that queued replies (the outbox worker's wake()).
        self.on_committed = on_committed
        # The delivery worker of this process, if any: replies are handed to it directly.
        self.delivery = delivery
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        # Counts wake() calls (something stored). A finished row wakes the loop only if its
        # chat may have a row the last claim could not take: one was pending behind it then,
        # or something was stored since. Otherwise every update cost one more, empty, claim.
        self._stored = 0
        # Room promised to a storing channel that leases rows for us (take()).
        self._reserved = 0
        # Rows were stored that no claim has looked at yet: until one has, a channel leases
        # nothing, or new updates would overtake older ones waiting for room (under load, some
        # chats waited seconds while others went first).
        self._backlog = True  # rows a previous process left: the first claim decides

    def wake(self) -> None:
        """Something was stored: look now instead of at the next idle poll."""
        self._stored += 1
        self._backlog = True
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Until stop(): claim free rows while there is room, handle each as its own task."""
        while not self._stopping.is_set():
            # Cleared before claiming, so a wake during the claim is not lost.
            self._wake.clear()
            room = self.concurrency - len(self._in_flight) - self._reserved
            claimed: list[tuple[InboxUpdate, bool]] = []
            stored = self._stored
            if room > 0:
                try:
                    claimed = await self._claim_heads(room)
                except Exception:
                    log.exception("inbox claim failed")
            self._start(claimed, stored)
            if claimed and len(claimed) == room:
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.idle_poll_seconds)
        await self.drain()

    def _start(self, rows: Sequence[tuple[InboxUpdate, bool]], stored: int) -> None:
        for row, more in rows:
            task = asyncio.create_task(self._handle(row))
            self._in_flight.add(task)
            task.add_done_callback(functools.partial(self._task_done, more, stored))

    def reserve(self) -> int:
        """Room for rows a channel leases while storing them (inbox_store.store_and_lease);
        give it back with take(), whatever happened to the store."""
        busy = self._stopping.is_set() or self._backlog
        room = 0 if busy else self.concurrency - len(self._in_flight)
        room = max(0, room - self._reserved)
        self._reserved += room
        return room

    def take(self, reserved: int, rows: Sequence[tuple[InboxUpdate, bool]]) -> None:
        """Handle rows leased to this process by a committed store, without claiming them."""
        self._reserved -= reserved
        self._start(rows, self._stored)

    async def drain(self) -> None:
        """Let rows in hand finish; what does not finish keeps its lease and is retried later."""
        if self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    def _task_done(self, more: bool, stored: int, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        # The chat's next row is claimable now, if it has one: the claim skipped it while this
        # row was in hand. (The idle poll still finds anything else, e.g. a retry coming due.)
        # So is any row a claim left for lack of room (the backlog): a finished row frees one.
        if more or self._stored != stored or self._backlog:
            self._wake.set()

    async def _claim_heads(self, limit: int) -> list[tuple[InboxUpdate, bool]]:
        # Not durable: a lease lost with a crashed database server is a lease run out.
        stored = self._stored
        now = self.app.clock.now()
        async with self.app.db.transaction(durable=False) as session:
            rows = await claim_heads(
                session,
                now,
                limit=limit,
                lease=self.lease,
                owner=self.instance_id,
                stale_before=stale_before(self.app.settings, now),
            )
        if len(rows) < limit and self._stored == stored:
            self._backlog = False  # it took all that was free
        return rows

    async def _claim(self, limit: int) -> list[InboxUpdate]:
        return [row for row, _ in await self._claim_heads(limit)]

    async def process_once(self) -> int:
        """Claim and handle what is free now, concurrently; the number of rows handled."""
        rows = await self._claim(self.concurrency)
        await asyncio.gather(*(self._handle(r) for r in rows))
        return len(rows)

    async def process_all(self, *, max_rounds: int = 100) -> int:
        """Handle until nothing is free (tests, one-shot jobs)."""
        total = 0
        for _ in range(max_rounds):
            handled = await self.process_once()
            if handled == 0:
                break
            total += handled
        return total

    async def _handle(self, row: InboxUpdate) -> None:
        # `row` is the claim's detached copy: its payload was decrypted once, there.
        row_id, channel_name, attempts = row.id, row.channel, row.attempts
        channel = self.channels.get(channel_name)
        if attempts > self.max_attempts:
            # Claimed more often than allowed without an outcome: it kills its handler.
            metrics.update_handled(channel_name, "failed")
            await give_up(self.app, row_id, "too many attempts")
            return
        if channel is None:
            # Not configured in this process: never mark it done unhandled.
            await self._failed(row_id, channel_name, attempts, UnknownChannel(channel_name))
            return
        payload: Payload = row.payload
        queued = 0
        handed: list[ClaimedRow] = []
        unhanded = False
        started = time.monotonic()
        outcome = "done"
        try:
            async with self.app.db.transaction() as session:
                inbound = channel.parse(payload)
                if inbound is not None:
                    outcome, queued = await dispatch_within_limit(
                        self.app, session, row.chat_key, inbound, self.dispatch
                    )
                handed, unhanded = await self._hand_over(session)
                if not await mark_handled(session, row_id, attempts, outcome, self.app.clock.now()):
                    raise _NotOurs
        except _NotOurs:
            log.info("inbox row %s was handled or claimed elsewhere meanwhile", row_id)
            return
        except Exception as exc:
            await self._failed(row_id, channel_name, attempts, exc, row.chat_key)
            return
        metrics.update_handled(channel_name, "ok" if outcome == "done" else outcome)
        metrics.observe_handler_latency(time.monotonic() - started, channel_name)
        log.info("inbox row %s handled (%s replies)", row_id, queued)
        if handed and self.delivery is not None:
            self.delivery.start(handed)
        if unhanded and self.on_committed is not None:
            self.on_committed()
        if channel.after_handled is not None:
            try:
                await channel.after_handled(payload)
            except Exception as exc:
                log.info("inbox row %s: after-handled step failed: %s", row_id, type(exc).__name__)

    async def _hand_over(self, session: AsyncSession) -> tuple[list[ClaimedRow], bool]:
        """Lease this transaction's new outbox rows to delivery (sent right after the commit);
        and whether delivery must still look for some (its claim takes them)."""
        rows = queued_in(session)
        if self.delivery is None:
            return [], bool(rows)
        handed = await self.delivery.lease_new(session, rows, self.app.clock.now())
        # A row behind a handed one in its chat follows it without a claim (ClaimedRow.followed).
        covered = {(r.channel, r.chat_id) for r in handed}
        return handed, any((r.channel, r.chat_id) not in covered for r in rows)

    async def _failed(
        self, row_id: int, channel: str, attempts: int, exc: Exception, chat_key: str = ""
    ) -> None:
        # The class name only: a message could quote the user's text.
        reason = type(exc).__name__
        log.warning("inbox row %s failed (attempt %s): %s", row_id, attempts, reason)
        # The traceback only when debugging: exception texts may quote SQL parameters.
        log.debug("inbox row %s traceback", row_id, exc_info=exc)
        if is_permanent(exc):
            # Retrying cannot fix it, and every retry would hold back the chat's next update.
            metrics.update_handled(channel, "rejected")
            await reject(self.app, row_id, channel, chat_key, reason)
            if self.on_committed is not None:
                self.on_committed()  # the kind notice, if one was queued
            return
        if attempts >= self.max_attempts:
            metrics.update_handled(channel, "failed")
            await give_up(self.app, row_id, reason)
            return
        metrics.update_handled(channel, "retry")
        await retry_later(self.app, row_id, attempts, reason)
