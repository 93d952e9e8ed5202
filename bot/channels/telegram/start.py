"""Starting the Telegram channel for `patbm run`: getMe, webhook or polling, sender, inbox parser."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.channels.telegram.poll import TelegramPoller, start_polling_mode, start_webhook_mode
from bot.channels.telegram.sender import TelegramSender, build_bot
from bot.core.app import App
from bot.core.settings import SettingsError
from bot.messaging.sending import ChannelStartError

log = logging.getLogger(__name__)

STARTUP_ATTEMPTS = 8
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


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


@dataclass
class TelegramChannel:
    bot: Bot
    sender: TelegramSender
    poller: TelegramPoller | None  # None in webhook mode

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.bot.shutdown()


async def start_telegram(app: App, *, on_stored: Callable[[], None]) -> TelegramChannel:
    """Ready to receive; raises ChannelStartError (with the exit code) when it cannot start."""
    settings = app.settings
    bot = build_bot(settings)
    try:
        await _with_retries("telegram getMe", bot.initialize)
        sender = TelegramSender(bot)
        poller = None
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
            poller = TelegramPoller(app, bot.base_url, on_stored=on_stored)
            log.info("telegram: long polling")
    except InvalidToken:
        await _shutdown(bot)
        raise ChannelStartError("Telegram refused PATBM_TELEGRAM_TOKEN", exit_code=2) from None
    except NetworkError as exc:
        await _shutdown(bot)
        raise ChannelStartError(
            f"the Telegram Bot API is unreachable ({type(exc).__name__})", exit_code=1
        ) from None
    except BaseException:
        await _shutdown(bot)
        raise
    return TelegramChannel(bot, sender, poller)


async def _shutdown(bot: Bot) -> None:
    with contextlib.suppress(Exception):
        await bot.shutdown()
