"""`patbm run`: every configured channel, the inbox processor, delivery, scheduler, HTTP server.

Start order: database reachable → Telegram bot (getMe; setWebhook with the secret, or
deleteWebhook for long polling) → inbox processor (which at once picks up rows left pending or
leased by a previous process) → outbox delivery worker (`bot.outbox_delivery.DeliveryWorker`,
when that module exists) → scheduler (`bot.scheduler.build_scheduler`, when it exists) → HTTP
server (`/healthz` answers once everything above is running, so it doubles as readiness).

Stop (SIGTERM/SIGINT): stop fetching (poller, HTTP server), let rows in hand finish (their
transactions commit or roll back; a row that does not finish keeps its lease and is handled
again by the next process), stop delivery and the scheduler, close connections, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import logging
import re
import signal
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.app import App
from bot.channels.base import Sender
from bot.channels.telegram import TelegramSender, build_bot, register_inbox
from bot.channels.telegram_poll import TelegramPoller, start_polling_mode, start_webhook_mode
from bot.http import build_http_app, build_server
from bot.inbox import InboxProcessor
from bot.settings import SettingsError

log = logging.getLogger(__name__)

STARTUP_ATTEMPTS = 8
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def optional_module(name: str) -> ModuleType | None:
    """The module if it exists (other parts of the system land independently)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


async def _with_retries(what: str, call: Callable[[], Awaitable[None]]) -> None:
    for attempt in range(1, STARTUP_ATTEMPTS + 1):
        try:
            await call()
            return
        except NetworkError as exc:
            if attempt == STARTUP_ATTEMPTS:
                raise
            delay = min(10.0, 0.5 * 2**attempt)
            log.warning("%s failed (%s); retrying in %.1fs", what, type(exc).__name__, delay)
            await asyncio.sleep(delay)


class Runner:
    def __init__(self, app: App) -> None:
        self.app = app
        self.stopping = asyncio.Event()
        self.senders: dict[str, Sender] = {}
        self.bot: Bot | None = None
        self.poller: TelegramPoller | None = None
        self.delivery: Any = None
        self.scheduler: Any = None
        self.processor = InboxProcessor(app, on_committed=self._wake_delivery)
        self._tasks: list[asyncio.Task[None]] = []
        self.failed = False

    def _wake_delivery(self) -> None:
        if self.delivery is not None and hasattr(self.delivery, "wake"):
            self.delivery.wake()

    def stop(self) -> None:
        if not self.stopping.is_set():
            log.info("patbm run: stopping")
        self.stopping.set()

    async def _start_telegram(self) -> None:
        settings = self.app.settings
        bot = build_bot(settings)
        # Held before getMe, so that a failed start still closes its connections.
        self.bot = bot
        await _with_retries("telegram getMe", bot.initialize)
        sender = TelegramSender(bot)
        self.senders[sender.channel] = sender
        register_inbox(sender)
        if settings.telegram_webhook_url and settings.telegram_webhook_secret:
            url = settings.telegram_webhook_url
            secret = settings.telegram_webhook_secret.get_secret_value()
            if not WEBHOOK_SECRET.fullmatch(secret):
                raise SettingsError(
                    "PATBM_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, "
                    "_ and - (Telegram's rule for secret_token)"
                )
            await _with_retries("telegram setWebhook", lambda: start_webhook_mode(bot, url, secret))
            log.info("telegram: webhook mode")
        else:
            await _with_retries("telegram deleteWebhook", lambda: start_polling_mode(bot))
            self.poller = TelegramPoller(self.app, bot.base_url, on_stored=self.processor.wake)
            log.info("telegram: long polling")

    def _start_whatsapp(self) -> None:
        # The WhatsApp channel module offers `setup(app) -> Sender` (registers its inbox parser).
        module = optional_module("bot.channels.whatsapp")
        setup = getattr(module, "setup", None) if module is not None else None
        if setup is None:
            log.warning("whatsapp is configured but its channel module is not available")
            return
        sender: Sender = setup(self.app)
        self.senders[sender.channel] = sender

    def _start_delivery(self) -> None:
        module = optional_module("bot.outbox_delivery")
        worker_class = getattr(module, "DeliveryWorker", None) if module is not None else None
        if worker_class is None:
            log.warning("outbox delivery is not available: replies stay queued")
            return
        self.delivery = worker_class(self.app, self.senders)
        self._spawn(self.delivery.run())

    def _start_scheduler(self) -> None:
        module = optional_module("bot.scheduler")
        build = getattr(module, "build_scheduler", None) if module is not None else None
        if build is None:
            return
        # The scheduler's outbox job nudges the same worker instead of building its own.
        self.scheduler = build(self.app, worker=self.delivery)
        self.scheduler.start()

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
        if self.app.settings.telegram_enabled:
            try:
                await self._start_telegram()
            except InvalidToken:
                log.error("patbm run: Telegram refused PATBM_TELEGRAM_TOKEN")
                await self._close_bot()
                return 2
            except NetworkError as exc:
                log.error("patbm run: the Telegram Bot API is unreachable (%s)", type(exc).__name__)
                await self._close_bot()
                return 1
            except BaseException:
                await self._close_bot()
                raise
        if self.app.settings.whatsapp_enabled:
            self._start_whatsapp()
        if not self.senders:
            log.warning("patbm run: no channel configured (set PATBM_TELEGRAM_TOKEN)")
        self._spawn(self.processor.run())
        self._start_delivery()
        self._start_scheduler()
        if self.poller is not None:
            self._spawn(self.poller.run())
        http_app = build_http_app(
            self.app, inbox_stored=self.processor.wake, outbox_queued=self._wake_delivery
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
        if self.poller is not None:
            self.poller.stop()
        server.stop()
        self.processor.stop()
        if self.delivery is not None:
            stopped = self.delivery.stop()
            if inspect.isawaitable(stopped):
                await stopped
        if self.scheduler is not None:
            with contextlib.suppress(Exception):
                self.scheduler.shutdown(wait=False)
        _done, pending = await asyncio.wait(self._tasks, timeout=20)
        for task in pending:
            task.cancel()
        await self._close_bot()
        log.info("patbm run: stopped")

    async def _close_bot(self) -> None:
        if self.bot is not None:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()


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
