"""`patbm run` on SQLite: WAL checkpoints in a background task instead of inside a commit.

By default SQLite checkpoints (copies the WAL into the database file and fsyncs both) in the
commit that grew the WAL past 1000 pages. That commit's transaction still holds the process's
writer lock (bot/db.py), so every other writer waited for those fsyncs too: on a busy disk one
took up to half a second, and it was the bench's paced latency tail. Here the connections of
`patbm run` do not checkpoint on commit; a task checkpoints every few seconds on a connection of
its own, in PASSIVE mode, which neither takes the write lock nor waits for readers or writers,
so writers go on appending to the WAL meanwhile.

If this task stops (it logs and goes on after a failure), the WAL only grows: nothing is lost,
and the next process that commits (any `patbm` command) or closes the database checkpoints it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import event

from bot.db import Database

log = logging.getLogger(__name__)

EVERY_SECONDS = 2.0


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


async def take_over(db: Database) -> bool:
    """Stop this process's commits from checkpointing; True if the caller must now run()."""
    if not db.is_sqlite:
        return False
    event.listen(db.engine.sync_engine, "connect", _no_autocheckpoint)
    # Connections opened before this (the start-up ping) would still checkpoint on commit.
    await db.engine.dispose()
    return True


async def checkpoint(db: Database) -> None:
    async with db.engine.connect() as conn:
        # The driver's own connection: through SQLAlchemy the statement would first BEGIN
        # IMMEDIATE (bot/db.py), i.e. take the write lock, and inside a transaction SQLite
        # cannot checkpoint anyway.
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.execute("PRAGMA wal_checkpoint(PASSIVE)")


async def run(db: Database, stopping: asyncio.Event, every: float = EVERY_SECONDS) -> None:
    """Checkpoint every `every` seconds until `stopping` is set."""
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)
        try:
            await checkpoint(db)
        except Exception as exc:
            log.warning("sqlite checkpoint failed (%s); trying again shortly", type(exc).__name__)
