"""The migrations build exactly the models' schema (autogenerate finds nothing to do)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.migrations import upgrade
from models import Base
from tests.support import dbutil


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _migrate_and_compare(url: str) -> list[Any]:
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_diff)
    finally:
        await engine.dispose()


async def test_no_drift_on_sqlite(tmp_path: Path) -> None:
    diff = await _migrate_and_compare(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"


@pytest.mark.skipif(not dbutil.is_postgres(), reason="PostgreSQL run only")
async def test_no_drift_on_postgresql() -> None:
    name, url = await dbutil.create_pg_database()
    try:
        diff = await _migrate_and_compare(url)
    finally:
        await dbutil.drop_pg_database(name)
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"
