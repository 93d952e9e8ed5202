"""Routing a new case to the responsible cadre (filled in by the routing work, issue 5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from models import Case


async def route_new_case(
    session: AsyncSession, case: Case, now: datetime, settings: Settings
) -> None:
    """Assign a just-created case and queue the notifications, in the caller's transaction."""
    return None
