"""The application context: settings, database, clock and keys, built once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.crypto import KeyRing, load_keyring, set_keyring
from bot.db import Database
from bot.settings import Settings, get_settings

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    keyring: KeyRing | None = None

    async def close(self) -> None:
        await self.db.dispose()


def build_app(settings: Settings | None = None, *, clock: Clock | None = None) -> App:
    settings = settings or get_settings()
    raw_key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    keyring = load_keyring(raw_key, settings.data_dir)
    set_keyring(keyring)
    return App(
        settings=settings,
        db=Database(settings.database_url),
        clock=clock or SystemClock(),
        keyring=keyring,
    )
