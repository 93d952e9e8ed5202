"""Set-up for the dashboard tests: the reporting seed, with each staff member's chat linked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from models import ChatIdentity
from tests.support.reporting_seed import Seeded, seed

DINAS_CHAT = 7101
KOORD_CHAT = 7102
KADER_CHAT = 7103
RESIDENT_CHAT = 7199


@dataclass
class DashboardWorld:
    seeded: Seeded
    references: dict[str, str]


async def seed_dashboard(session: AsyncSession, now: datetime) -> DashboardWorld:
    seeded = await seed(session, now)
    for staff, chat in (
        (seeded.dinas, DINAS_CHAT),
        (seeded.koordinator, KOORD_CHAT),
        (seeded.kader, KADER_CHAT),
    ):
        session.add(
            ChatIdentity(
                channel="telegram",
                external_id=str(chat),
                chat_id=str(chat),
                staff_id=staff.id,
                created_at=now,
            )
        )
    await session.flush()
    return DashboardWorld(seeded, {k: c.reference for k, c in seeded.cases.items()})


def link_token(text: str) -> str:
    """The token of the dashboard link in a chat message."""
    url = next(word for word in text.split() if "/dashboard/login?t=" in word)
    return parse_qs(urlsplit(url).query)["t"][0]


def link_url(text: str) -> str:
    return next(word for word in text.split() if "/dashboard/login?t=" in word)
