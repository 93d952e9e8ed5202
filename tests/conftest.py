"""Shared fixtures: a real database (SQLite file or PostgreSQL), keys, an injected clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.core.app import App
from bot.core.clock import FixedClock
from bot.core.crypto import KeyRing, set_keyring
from bot.core.db import Database
from bot.core.settings import Settings
from models import Base
from tests.support import dbutil

TEST_KEY = Fernet.generate_key().decode()
# A Monday morning in Jambi (WIB): 2026-11-23 09:00 +07:00.
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
# The per-test limit (pyproject.toml: 60 s) is for tests in one process; end-to-end tests start
# `patbm run` subprocesses and walk whole conversations, slowly on a loaded machine.
LONG_TIMEOUT_SECONDS = 240
LONG_RUNNING_MARKERS = ("journey", "slow")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`journey` and `slow` tests get LONG_TIMEOUT_SECONDS, unless they set their own timeout."""
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        if any(item.get_closest_marker(name) for name in LONG_RUNNING_MARKERS):
            item.add_marker(pytest.mark.timeout(LONG_TIMEOUT_SECONDS))


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """One throw-away PostgreSQL database per test run, dropped afterwards.

    The schema comes from the models here; tests/core/test_migrations.py proves that the
    migrations build the same schema.
    """
    if not dbutil.is_postgres():
        yield None
        return
    name, url = asyncio.run(dbutil.create_pg_database())
    asyncio.run(dbutil.create_schema(url))
    try:
        yield url
    finally:
        asyncio.run(dbutil.drop_pg_database(name))


@pytest.fixture
def database_url(pg_database: str | None, tmp_path: Path) -> str:
    if pg_database is not None:
        return pg_database
    return f"sqlite+aiosqlite:///{tmp_path / 'patbm.db'}"


@pytest.fixture
def keyring() -> KeyRing:
    ring = KeyRing([TEST_KEY])
    set_keyring(ring)
    return ring


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        encryption_key=TEST_KEY,  # type: ignore[arg-type]
        area_code="15.71",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def db(database_url: str, keyring: KeyRing) -> AsyncIterator[Database]:
    database = Database(database_url)
    if database.is_sqlite:
        async with database.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
    else:
        await dbutil.truncate_all(database.engine)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def app(settings: Settings, db: Database, clock: FixedClock, keyring: KeyRing) -> App:
    return App(settings=settings, db=db, clock=clock, keyring=keyring)
