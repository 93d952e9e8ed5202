"""The application context: settings, database, clock and keys, built once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.core.clock import Clock, SystemClock
from bot.core.crypto import KeyRing, load_keyring, set_keyring
from bot.core.db import Database
from bot.core.settings import Settings, get_settings

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    keyring: KeyRing | None = None

    async def close(self) -> None:
        await self.db.dispose()


def pool_size(settings: Settings) -> int:
    """Connections `patbm run` may hold at once, so that the pool never opens extra ones.

    The handlers of the inbox (`telegram_concurrency` at once), and one each for the inbox's
    claim, the poller's store, the delivery claim, the delivery outcomes, a scheduled job and
    the HTTP server (WhatsApp webhook, health). Beyond the pool, SQLAlchemy's overflow (10)
    still opens short-lived extras rather than making anyone wait.
    """
    return settings.telegram_concurrency + 6


def build_app(settings: Settings | None = None, *, clock: Clock | None = None) -> App:
    settings = settings or get_settings()
    raw_key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    keyring = load_keyring(raw_key, settings.data_dir)
    set_keyring(keyring)
    return App(
        settings=settings,
        db=Database(settings.database_url, pool_size=pool_size(settings)),
        clock=clock or SystemClock(),
        keyring=keyring,
    )
