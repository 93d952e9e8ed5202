"""SQLite statements run in the event loop's own thread, not in a thread per connection.

aiosqlite runs every call (execute, fetch, commit, even creating a cursor) in a worker thread
and hands the result back with `call_soon_threadsafe`: per statement two thread switches, a
wake-up of the event loop through its self-pipe, and the two threads contending for the GIL.
py-spy on `patbm run` (bench/README.md) put about a quarter of its CPU there, more than SQLite's
own work. The hop buys nothing here: in this process every transaction already waits its turn
on one asyncio lock (bot/db.py, one writer at a time), and in WAL mode with
`synchronous=NORMAL` a commit does not wait for the disk. So this connection calls sqlite3
directly and returns, except for the commit, which writes the WAL (see `commit`).

What blocks the loop now is SQLite itself: microseconds for a statement on cached pages; and,
when ANOTHER process (a `patbm` CLI command) holds the write lock, the busy handler's wait until
it is done. The one slow call, the WAL checkpoint with its fsyncs, still runs in a thread
(`in_thread`, bot/sqlite_checkpoint.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its thread: runs the call and settles its future.

    SQLAlchemy's dialect puts one call there itself (its `isolation_level` setter).
    """

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            if future is None:
                raise
            future.set_exception(exc)
        else:
            if future is not None:
                future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection (as SQLAlchemy's aiosqlite dialect expects) without its thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx: Any = _RunAtOnce()

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:
        return self._connect().__await__()

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def commit(self) -> None:
        # The one call of a transaction that writes to the disk (the WAL): on a busy disk a
        # write() can wait for the kernel's writeback for tens of milliseconds. In a thread
        # the loop meanwhile keeps its timers: inline, the delivery bench's sends bunched up
        # behind such a wait and met Telegram's per-chat limit (429s). This process's next
        # transaction still waits for it, on the writer lock (bot/db.py).
        conn = self._conn
        await asyncio.to_thread(conn.commit)

    async def in_thread(self, sql: str) -> list[Any]:
        """Run one statement in a worker thread (for the slow ones: a checkpoint's fsyncs)."""
        conn = self._conn
        return await asyncio.to_thread(lambda: conn.execute(sql).fetchall())

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def creator(args: list[Any], kwargs: dict[str, Any]) -> Callable[[], InlineConnection]:
    """`async_creator` for create_async_engine, from the dialect's own connect arguments."""
    # The checkpoint's thread uses the connection while no other task can (checked out).
    connect = partial(sqlite3.connect, *args, **{**kwargs, "check_same_thread": False})

    def make() -> InlineConnection:
        return InlineConnection(connect, 64)

    return make
