"""The area index, kept per process and database instead of re-read on every turn of the flow.

Areas change only on `patbm areas import`, usually run as a separate process, so no in-process
signal reaches a running bot. Freshness is therefore bounded by time: an index older than
`AREA_INDEX_TTL_SECONDS` is read again, so a running bot sees a fresh import within that bound,
without a restart. An import through the same Database (`patbm chat --demo`, tests) bumps its
`areas_generation` and the next turn reads again at once. "No kota imported yet" is not
kept: the first turn after the first import finds it.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.db import Database
from bot.core.settings import Settings
from handlers.report.areas import AreaIndex, load_area_index

# Re-reading costs two queries and ~80 rows: once a minute is nothing; every turn was 7 % of
# the bot's CPU.
AREA_INDEX_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class _Entry:
    area_code: str | None
    generation: int
    loaded_at: float
    index: AreaIndex


class AreaIndexCache:
    """One entry per Database (tests run many databases in one process)."""

    def __init__(
        self,
        ttl_seconds: float = AREA_INDEX_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.monotonic = monotonic
        self._entries: weakref.WeakKeyDictionary[Database, _Entry] = weakref.WeakKeyDictionary()

    async def get(
        self, db: Database, session: AsyncSession, settings: Settings
    ) -> AreaIndex | None:
        now = self.monotonic()
        generation = db.areas_generation
        entry = self._entries.get(db)
        if (
            entry is not None
            and entry.area_code == settings.area_code
            and entry.generation == generation
            and now - entry.loaded_at < self.ttl_seconds
        ):
            return entry.index
        index = await load_area_index(session, settings)
        if index is None:
            self._entries.pop(db, None)
        else:
            self._entries[db] = _Entry(settings.area_code, generation, now, index)
        return index


AREA_INDEXES = AreaIndexCache()
