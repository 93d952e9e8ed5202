"""What the command modules share: building the app and running one async body."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.core.app import App, build_app

T = TypeVar("T")


def run_with_app(body: Callable[[App], Awaitable[T]]) -> T:
    async def main() -> T:
        app = build_app()
        try:
            return await body(app)
        finally:
            await app.close()

    return asyncio.run(main())
