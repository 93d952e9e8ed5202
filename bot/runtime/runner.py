"""`patbm run`: every configured channel, the inbox processor, delivery, scheduler, HTTP server.

Start order: database reachable → Telegram (getMe; setWebhook with the secret, or deleteWebhook
for long polling: bot/channels/telegram/start.py) → WhatsApp sender → this instance's heartbeat
row (bot/messaging/instances.py; in long polling, the only instance, it takes over every lease a previous
process held) → inbox processor (which at once picks up rows left pending or leased by a dead
process) → outbox delivery worker → scheduler → HTTP server (`/healthz` answers once everything
above runs: it doubles as readiness).

Stop (SIGTERM/SIGINT): stop fetching (poller, HTTP server), let rows in hand finish (their
transactions commit or roll back; a row that does not finish keeps its lease and is handled
again by the next process), stop delivery and the scheduler, close connections, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable
from typing import Any

import httpx

from bot.channels.telegram.sender import CHANNEL as TELEGRAM
from bot.channels.telegram.sender import inbox_channel as telegram_inbox
from bot.channels.telegram.start import TelegramChannel, start_telegram
from bot.channels.whatsapp import channel as whatsapp
from bot.core import sqlite_checkpoint
from bot.core.app import App
from bot.evidence.fetch import TIMEOUT as EVIDENCE_TIMEOUT
from bot.evidence.fetch import build_fetchers
from bot.evidence.worker import EvidenceWorker
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.inbox import InboxProcessor
from bot.messaging.instances import Heartbeat, new_instance_id, take_over_leases
from bot.messaging.sending import ChannelStartError, Sender
from bot.runtime.dispatch import dispatch
from bot.runtime.http import build_http_app, build_server
from bot.runtime.scheduler import SHUTDOWN_GRACE_SECONDS, JobScheduler, build_scheduler
from bot.runtime.scheduler import shutdown as shutdown_scheduler
from bot.runtime.scheduler import start as start_scheduler
from bot.runtime.wiring import DELIVERY_HOOKS

log = logging.getLogger(__name__)


class Runner:
    def __init__(self, app: App) -> None:
        self.app = app
        self.stopping = asyncio.Event()
        self.senders: dict[str, Sender] = {}
        self.telegram: TelegramChannel | None = None
        self.delivery: DeliveryWorker | None = None
        self.scheduler: JobScheduler | None = None
        self.instance_id = new_instance_id()
        self.evidence: EvidenceWorker | None = None
        self._evidence_http: httpx.AsyncClient | None = None
        self.processor = InboxProcessor(
            app,
            dispatch=dispatch,
            channels={},  # each channel's, as it starts (run())
            on_committed=self._wake_delivery,
            instance_id=self.instance_id,
        )
        self.heartbeat = Heartbeat(app, self.instance_id, on_takeover=self._wake_all)
        self._tasks: list[asyncio.Task[None]] = []
        self.failed = False

    def _wake_delivery(self) -> None:
        if self.delivery is not None:
            self.delivery.wake()

    def _wake_all(self) -> None:
        # A dead instance's leases are free: claim what it held now, not at the next poll.
        self.processor.wake()
        self._wake_delivery()

    def stop(self) -> None:
        if not self.stopping.is_set():
            log.info("patbm run: stopping")
        self.stopping.set()

    def _spawn(self, body: Awaitable[None]) -> None:
        async def wrapped() -> None:
            try:
                await body
            except (Exception, SystemExit):
                # uvicorn exits (SystemExit) when it cannot bind its port.
                log.exception("patbm run: a component failed; stopping")
                self.failed = True
                self.stop()

        self._tasks.append(asyncio.create_task(wrapped()))

    async def run(self) -> int:
        if not await self.app.db.ping():
            log.error("patbm run: the database is not reachable")
            return 1
        await self.app.db.warm()
        checkpoints = await sqlite_checkpoint.take_over(self.app.db)
        if self.app.settings.telegram_enabled:
            try:
                self.telegram = await start_telegram(self.app, on_stored=self.processor.wake)
            except ChannelStartError as exc:
                log.error("patbm run: %s", exc)
                return exc.exit_code
            self.senders[self.telegram.sender.channel] = self.telegram.sender
            # In webhook mode the webhook's response answers button presses (bot.runtime.http).
            answers = self.telegram.sender if self.telegram.poller is not None else None
            self.processor.channels[TELEGRAM] = telegram_inbox(answers)
        if self.app.settings.whatsapp_enabled:
            sender: Sender = whatsapp.setup(self.app)
            self.senders[sender.channel] = sender
            self.processor.channels[sender.channel] = whatsapp.INBOX_CHANNEL
        if not self.senders:
            log.warning("patbm run: no channel configured (set PATBM_TELEGRAM_TOKEN)")
        if checkpoints:
            self._spawn(sqlite_checkpoint.run(self.app.db, self.stopping))
        await self.heartbeat.start()
        if self.telegram is not None and self.telegram.poller is not None:
            await take_over_leases(self.app, self.instance_id)
        self._spawn(self.heartbeat.run(self.stopping))
        self._spawn(self.processor.run())
        self._evidence_http = httpx.AsyncClient(timeout=EVIDENCE_TIMEOUT)
        fetchers = build_fetchers(self.app.settings, self._evidence_http)
        if fetchers:
            self.evidence = EvidenceWorker(self.app, fetchers)
            # A commit that queued evidence (a submitted report) wakes it at once.
            self.app.db.commit_hooks.add(self.evidence.after_commit)
            self._spawn(self.evidence.run())
        self.delivery = DeliveryWorker(
            self.app, self.senders, instance_id=self.instance_id, hooks=DELIVERY_HOOKS
        )
        self.processor.delivery = self.delivery
        self._spawn(self.delivery.run())
        # The scheduler's outbox job nudges the same worker instead of building its own.
        self.scheduler = build_scheduler(self.app, worker=self.delivery)
        await start_scheduler(self.scheduler)
        if self.telegram is not None and self.telegram.poller is not None:
            self.telegram.poller.processor = self.processor
            self._spawn(self.telegram.poller.run())
        http_app = build_http_app(
            self.app,
            inbox_stored=self.processor.wake,
            outbox_queued=self._wake_delivery,
            inbox=self.processor,
        )
        server = build_server(self.app, http_app)
        self._spawn(server.serve())
        log.info(
            "patbm run: ready on %s:%s", self.app.settings.http_host, self.app.settings.http_port
        )
        await self.stopping.wait()
        await self._shutdown(server)
        return 1 if self.failed else 0

    async def _shutdown(self, server: Any) -> None:
        if self.telegram is not None and self.telegram.poller is not None:
            self.telegram.poller.stop()
        server.stop()
        self.processor.stop()
        if self.evidence is not None:
            self.app.db.commit_hooks.discard(self.evidence.after_commit)
            self.evidence.stop()
        if self.delivery is not None:
            await self.delivery.stop()
        stopping = list(self._tasks)
        if self.scheduler is not None:
            # Lets the job runs in progress finish (bounded) before the database is closed.
            stopping.append(asyncio.create_task(shutdown_scheduler(self.scheduler)))
        _done, pending = await asyncio.wait(stopping, timeout=SHUTDOWN_GRACE_SECONDS + 10)
        for task in pending:
            task.cancel()
        if pending:
            # Awaited once cancelled: a task cancelled again by asyncio.run's exit while it
            # closes an aiosqlite connection can wait for ever (bot/runtime/scheduler.py, `_scheduled`).
            await asyncio.wait(pending, timeout=10)
        await self.heartbeat.leave()
        if self.telegram is not None:
            await self.telegram.close()
        if self._evidence_http is not None:
            await self._evidence_http.aclose()
        for sender in self.senders.values():
            close = getattr(sender, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
        log.info("patbm run: stopped")


async def run(app: App) -> int:
    runner = Runner(app)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runner.stop)
    try:
        return await runner.run()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
