"""Async engine and sessions: `async with db.transaction() as s`.

The unit of work is one turn (one handled update: bot/runtime/dispatch.py) or one sweep batch
(bot/escalation/batch.py), not one service call: services take the caller's session and never
commit, so a turn's case changes, events and outbox rows commit together or not at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Take transaction control away from the driver so that "begin" below decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # SQLAlchemy's documented recipe: with the driver's deferred BEGIN, two concurrent
    # read-modify-write transactions both read, and one silently loses its update.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")

# A pooled connection older than this is replaced at checkout: it outlives neither an idle
# timeout of a firewall or pooler on the way, nor a server's setting change for long.
POOL_RECYCLE_SECONDS = 1800


def create_engine(url: str, *, echo: bool = False, pool_size: int | None = None) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        sync_engine: Engine = engine.sync_engine
        event.listen(sync_engine, "connect", _sqlite_pragmas)
        event.listen(sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout, i.e. on every transaction.
    # What it guarded against (a server restart, a dropped connection) is handled on use
    # instead: SQLAlchemy recognises asyncpg's disconnect errors, discards that connection and
    # every other one opened before it (the whole pool's generation), so one transaction fails
    # and the next gets a fresh connection. Every caller already survives a failed transaction:
    # an inbox row is retried after its backoff, an outbox row after its lease, a scheduled job
    # at its next tick, an HTTP request is answered 500 and resent by the platform.
    kwargs: dict[str, Any] = {"pool_recycle": POOL_RECYCLE_SECONDS}
    if pool_size is not None:
        kwargs["pool_size"] = pool_size
    return create_async_engine(url, echo=echo, **kwargs)


_DATABASE_KEY = "patbm.database"

# Told the committed session's `info` (what its transaction noted there).
CommitHook = Callable[[Mapping[str, Any]], None]


class CommitHooks:
    """What runs after each commit of a Database's `transaction()`: e.g. the evidence worker
    of this process is woken when the transaction queued files (bot/evidence/worker.py)."""

    def __init__(self) -> None:
        self._hooks: list[CommitHook] = []

    def add(self, hook: CommitHook) -> None:
        self._hooks.append(hook)

    def discard(self, hook: CommitHook) -> None:
        if hook in self._hooks:
            self._hooks.remove(hook)

    def run(self, info: Mapping[str, Any]) -> None:
        for hook in list(self._hooks):
            try:
                hook(info)
            except Exception:
                # The transaction is committed: a failing hook must not make it look failed.
                log.exception("a commit hook failed")


class Database:
    """Owns the engine and the session factory of one process."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int | None = None) -> None:
        self.url = url
        self.pool_size = pool_size
        self.engine = create_engine(url, echo=echo, pool_size=pool_size)
        # Each session knows its Database (database_of), for state kept per database.
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, info={_DATABASE_KEY: self}
        )
        # Bumped by every area import through this database (bot/cases/areas.py), so caches of
        # the areas here (the report flow's area index) read again at once; other processes
        # rely on the caches' time bound.
        self.areas_generation = 0
        self.commit_hooks = CommitHooks()
        # SQLite has one writer at a time. Without this, each task's connection thread waits for
        # the lock in SQLite's busy handler, which sleeps in growing steps (up to 100 ms): under
        # load most of the latency was spent there. Queueing in the event loop hands the lock
        # over at once. Other processes (a CLI job) still meet the busy timeout, as before.
        self._writer: AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if self.is_sqlite else nullcontext()
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    @asynccontextmanager
    async def transaction(self, *, durable: bool = True) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error.

        `durable=False` is for transactions whose loss in a crash of the database SERVER is
        harmless, i.e. leases: on PostgreSQL their commit then does not wait for the WAL to
        reach the disk (asynchronous commit). Everything else about the commit is unchanged:
        it is atomic and visible to all at once, and the next durable commit flushes it too
        (the WAL is written in order). Lost, a lease is as if it had run out: the row is
        claimed again, which a lease must survive anyway. On this machine an fsync now and
        then took up to a second: each one on a reply's path was its latency tail.
        (SQLite in WAL mode with synchronous=NORMAL does not sync on commit at all.)
        """
        async with self._writer, self.sessions() as session:
            async with session.begin():
                if not durable and self.is_postgres:
                    await session.execute(_ASYNC_COMMIT)
                yield session
            self.commit_hooks.run(session.info)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def warm(self, connections: int | None = None) -> None:
        """Open the pool's connections now, at once, so the first users do not wait for them.

        On PostgreSQL the first transactions after start otherwise each paid for a connect
        (and asyncpg's type introspection on it): the first reports took up to a second.
        """
        if self.is_sqlite:
            return
        count = connections or self.pool_size or 5
        opened = await asyncio.gather(*(self._open() for _ in range(count)), return_exceptions=True)
        for conn in opened:
            if not isinstance(conn, BaseException):
                await conn.close()

    async def _open(self) -> AsyncConnection:
        conn = await self.engine.connect()
        try:
            await conn.execute(text("SELECT 1"))
        except BaseException:
            await conn.close()
            raise
        return conn

    async def dispose(self) -> None:
        await self.engine.dispose()


def database_of(session: AsyncSession) -> Database:
    """The Database that made this session (every session comes from `Database.sessions`)."""
    db = session.info.get(_DATABASE_KEY)
    if not isinstance(db, Database):
        raise LookupError("this session was not made by a Database")
    return db
