"""SQLite runs in the event loop's thread (bot/sqlite_inline.py), and nothing waits in its lock."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import text

from bot.app import App
from bot.sqlite_inline import InlineConnection


async def test_statements_run_in_the_loops_thread(app: App) -> None:
    if not app.db.is_sqlite:
        pytest.skip("SQLite only")
    seen: list[int] = []
    async with app.db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, InlineConnection)
        # The checkpoint's statement is the one that goes to a thread (outside a transaction).
        assert await driver.in_thread("PRAGMA wal_checkpoint(PASSIVE)")
        driver._conn.create_function("whose_thread", 0, lambda: seen.append(threading.get_ident()))
        await conn.execute(text("SELECT whose_thread()"))
    assert seen == [threading.get_ident()]


async def test_a_ping_waits_for_an_open_transaction_instead_of_stopping_the_loop(
    app: App,
) -> None:
    # A ping begins with BEGIN IMMEDIATE. Had it gone straight to SQLite while another task's
    # transaction held the write lock, SQLite's busy handler would have stopped the loop (and
    # with it that task) for the whole busy timeout.
    holding = asyncio.Event()
    release = asyncio.Event()

    async def open_transaction() -> None:
        async with app.db.transaction() as session:
            await session.execute(text("UPDATE areas SET name = name WHERE 1 = 0"))
            holding.set()
            await release.wait()

    holder = asyncio.create_task(open_transaction())
    await holding.wait()
    ping = asyncio.create_task(app.db.ping())
    await asyncio.sleep(0)  # the ping has started and waits its turn
    if app.db.is_sqlite:
        assert not ping.done()
    release.set()
    assert await asyncio.wait_for(ping, timeout=10)
    await holder
