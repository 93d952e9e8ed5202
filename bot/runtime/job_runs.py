"""The scheduled job runs in progress in one scheduler, each its own task, so its shutdown can
let them finish before the database is closed (why a task of its own: bot/runtime/scheduler.py,
`_scheduled`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class JobRuns:
    """The runs one scheduler started and that have not ended yet."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def running(self) -> list[asyncio.Task[None]]:
        return [task for task in self._tasks if not task.done()]

    async def shielded(self, run: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run `run` in a task of its own, kept until it ends; cancelling the caller leaves it be."""
        task = asyncio.create_task(run, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.shield(task)

    async def finish(self, grace_seconds: float) -> None:
        """Wait for the runs in progress; cancel what is still running after the grace.

        A cancelled run is awaited too (bounded): it may be closing its database connection,
        and a second cancellation there (at the loop's end) is what used to hang.
        """
        running = self.running()
        if not running:
            return
        _done, pending = await asyncio.wait(running, timeout=grace_seconds)
        for task in pending:
            log.warning("scheduled job still running after %.0f s: cancelled", grace_seconds)
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=10)
