"""Long polling that loses nothing: fetch, store and COMMIT, only then confirm the offset.

python-telegram-bot's Updater confirms a batch (the next getUpdates offset) as soon as it has
queued it, before any handler ran; a crash in between loses those updates. Here `getUpdates` is
our own HTTP call: every update of a batch is written to the inbox (duplicates ignored) in one
transaction, and the next call's `offset` (which is what confirms a batch to Telegram) is moved
past the batch only after that commit. After a crash, Telegram hands the unconfirmed updates out
again and the inbox's unique key drops the ones already stored.

Also the start-up calls: `start_polling_mode` (deleteWebhook, so getUpdates is allowed) and
`start_webhook_mode` (setWebhook with the secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import httpx
from telegram import Bot

from bot.channels.inbound_limits import InvalidInput, parse_json, sanitise
from bot.channels.telegram import parse as telegram_parse
from bot.channels.telegram import schema as telegram_schema
from bot.channels.telegram.store import store_updates
from bot.core import metrics
from bot.core.app import App
from bot.messaging.inbox import InboxProcessor

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


async def start_polling_mode(bot: Bot) -> None:
    # A webhook that is still set makes getUpdates fail with 409 Conflict.
    await bot.delete_webhook(drop_pending_updates=False)


async def start_webhook_mode(bot: Bot, url: str, secret: str) -> None:
    await bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)


class TelegramPoller:
    """getUpdates → inbox, until stop()."""

    def __init__(
        self,
        app: App,
        api_base: str,
        *,
        timeout: int = 25,
        limit: int = 100,
        on_stored: Callable[[], None] | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        # api_base is Bot.base_url: it holds the token, so it is never logged.
        self.app = app
        self._url = f"{api_base}/getUpdates"
        self.timeout = timeout
        self.limit = limit
        self.on_stored = on_stored
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout + 10.0))
        self._own_client = client is None
        self._stopping = asyncio.Event()
        self.offset: int | None = None
        self.failures = 0
        # The inbox processor of this process, to hand it what it has room for (runner.py).
        self.processor: InboxProcessor | None = None

    def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def fetch(self) -> list[dict[str, Any]]:
        body: dict[str, Any] = {
            "timeout": self.timeout,
            "limit": self.limit,
            "allowed_updates": ALLOWED_UPDATES,
        }
        if self.offset is not None:
            body["offset"] = self.offset
        response = await self._client.post(self._url, json=body)
        try:
            data = parse_json(response.content)
        except InvalidInput as exc:
            raise PollError(response.status_code, None) from exc
        if not isinstance(data, dict):
            raise PollError(response.status_code, None)
        if response.status_code == 429 or not data.get("ok"):
            retry_after = (data.get("parameters") or {}).get("retry_after")
            delay = float(retry_after) if isinstance(retry_after, int | float) else None
            raise PollError(response.status_code, delay)
        result = data.get("result") or []
        return list(result) if isinstance(result, list) else []

    async def poll_once(self) -> int:
        """One getUpdates round: fetch, store, commit, move the offset; updates stored."""
        fetched = await self.fetch()
        if not fetched:
            return 0
        updates = [u for u in map(_acceptable, fetched) if u is not None]
        new = handed = 0
        if updates:
            new, handed = await store_updates(self.app, updates, self.processor)
        # Only now, with the batch committed, may the next call confirm it; a refused update is
        # confirmed too, or Telegram would hand it out again and again.
        ids = [i for i in map(telegram_schema.update_id_of, fetched) if i is not None]
        if ids:
            self.offset = max(ids) + 1
        if new > handed and self.on_stored is not None:
            self.on_stored()
        log.info("telegram: stored %s new of %s updates", new, len(updates))
        return new

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                round_task = asyncio.create_task(self.poll_once())
                stop_task = asyncio.create_task(self._stopping.wait())
                done, _ = await asyncio.wait(
                    {round_task, stop_task}, return_when=asyncio.FIRST_COMPLETED
                )
                if round_task not in done:
                    # Stopping mid long-poll: nothing of this round is stored or confirmed yet.
                    round_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await round_task
                    break
                stop_task.cancel()
                try:
                    round_task.result()
                    self.failures = 0
                except Exception as exc:
                    await self._pause_after(exc)
        finally:
            await self.close()

    async def _pause_after(self, exc: Exception) -> None:
        self.failures += 1
        delay = min(30.0, 0.5 * 2 ** min(self.failures, 6))
        if isinstance(exc, PollError) and exc.retry_after is not None:
            delay = exc.retry_after
        log.warning("telegram getUpdates failed (%s), retrying in %.1fs", type(exc).__name__, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)


def _acceptable(update: Any) -> dict[str, Any] | None:
    """One fetched update checked (and its strings cleaned) as the webhook would; a bad one is
    logged and skipped (None)."""
    try:
        return telegram_schema.check_update(sanitise(update))
    except InvalidInput as exc:
        log.warning(
            "telegram update %s skipped (%s)", telegram_schema.update_id_of(update), exc.reason
        )
        metrics.inbound_refused(telegram_parse.CHANNEL, "malformed")
        return None


class PollError(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"getUpdates answered {status}")
        self.status = status
        self.retry_after = retry_after
