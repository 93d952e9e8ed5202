"""`patbm run` on SQLite checkpoints the WAL in a task of its own, not inside commits."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.core import sqlite_checkpoint
from bot.core.app import App
from bot.core.db import Database
from tests.support.waiting import eventually


async def test_commits_stop_checkpointing_and_the_task_does_it(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not app.db.is_sqlite:
        assert not await sqlite_checkpoint.take_over(app.db)
        pytest.skip("SQLite only")
    assert await sqlite_checkpoint.take_over(app.db)
    async with app.db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
    async with app.db.transaction() as session:
        await session.execute(text("CREATE TABLE probe (x INTEGER)"))
        await session.execute(text("INSERT INTO probe VALUES (1)"))
    checkpoints: list[bool] = []
    real_checkpoint = sqlite_checkpoint.checkpoint

    async def counted(db: Database) -> None:
        await real_checkpoint(db)
        checkpoints.append(True)

    monkeypatch.setattr(sqlite_checkpoint, "checkpoint", counted)
    stopping = asyncio.Event()
    task = asyncio.create_task(sqlite_checkpoint.run(app.db, stopping, every=0.01))
    await eventually(lambda: checkpoints, within=30)  # the task's own checkpoint, not a sleep
    stopping.set()
    await task
    async with app.db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        cursor = await driver.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, frames, done = await cursor.fetchone()
        # Every frame of the WAL is already in the database file.
        assert busy == 0 and frames == done
