"""Waiting on a condition in tests: short polls with a generous bound, never a fixed sleep."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable


async def eventually(
    condition: Callable[[], object],
    *,
    within: float = 60.0,
    what: str = "condition",
    step: float = 0.02,
) -> None:
    """Poll `condition` (sync or async) until it is true; AssertionError after `within` s.

    The bound is for a hang, not a measurement: a loaded machine only makes it poll longer.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not reached in {within}s")
        await asyncio.sleep(step)
