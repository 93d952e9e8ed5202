"""Waiting on a condition in tests: short polls with a generous bound, never a fixed sleep.

The one polling helper of the tests (the fakes, the journeys and the end-to-end tests use it).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(
    condition: Callable[[], Awaitable[T]],
    *,
    within: float = ...,
    what: str | Callable[[], str] = ...,
    step: float = ...,
) -> T: ...


@overload
async def eventually(
    condition: Callable[[], T],
    *,
    within: float = ...,
    what: str | Callable[[], str] = ...,
    step: float = ...,
) -> T: ...


async def eventually(
    condition: Callable[[], Any],
    *,
    within: float = 60.0,
    what: str | Callable[[], str] = "condition",
    step: float = 0.02,
) -> Any:
    """Poll `condition` (sync or async) until it is true and return that value; AssertionError
    after `within` s, saying `what` (a callable is asked only then, e.g. for a process log).

    The bound is for a hang, not a measurement: a loaded machine only makes it poll longer.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"{said}: not reached in {within}s")
        await asyncio.sleep(step)
