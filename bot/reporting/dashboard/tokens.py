"""One-time sign-in links and server-side sessions; only SHA-256 hashes of tokens are stored.

A link (`/dasbor` in chat) is valid `dashboard_link_minutes` and used once; redeeming it starts a
session of `dashboard_session_hours`. `/dasbor keluar` ends every session of the staff member.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from models import DashboardLink, DashboardSession, Staff

LOGIN_PATH = "/dashboard/login"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def issue_link(session: AsyncSession, staff: Staff, now: datetime, settings: Settings) -> str:
    """A fresh one-time link for `staff`; the token itself is only in the returned URL."""
    token = new_token()
    session.add(
        DashboardLink(
            token_hash=token_hash(token),
            staff_id=staff.id,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.dashboard_link_minutes),
        )
    )
    await session.flush()
    return f"{settings.public_base_url}{LOGIN_PATH}?t={token}"


@dataclass(frozen=True)
class LinkCheck:
    """What a link is: `reason` is None when it may be redeemed."""

    link: DashboardLink | None
    reason: str | None


async def check_link(session: AsyncSession, token: str, now: datetime) -> LinkCheck:
    link = await session.scalar(
        select(DashboardLink).where(DashboardLink.token_hash == token_hash(token))
    )
    if link is None:
        return LinkCheck(None, "unknown_link")
    if link.used_at is not None:
        return LinkCheck(link, "reused_link")
    if link.expires_at <= now:
        return LinkCheck(link, "expired_link")
    return LinkCheck(link, None)


async def redeem_link(
    session: AsyncSession, link: DashboardLink, now: datetime, settings: Settings
) -> str:
    """Mark the link used (once: a concurrent redeem updates no row) and start a session."""
    used = await session.execute(
        update(DashboardLink)
        .where(DashboardLink.id == link.id, DashboardLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise LookupError("reused_link")
    token = new_token()
    session.add(
        DashboardSession(
            token_hash=token_hash(token),
            staff_id=link.staff_id,
            created_at=now,
            expires_at=now + timedelta(hours=settings.dashboard_session_hours),
        )
    )
    await session.flush()
    return token


async def live_session(session: AsyncSession, token: str, now: datetime) -> DashboardSession | None:
    row = await session.scalar(
        select(DashboardSession).where(DashboardSession.token_hash == token_hash(token))
    )
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    return row


async def end_sessions(session: AsyncSession, staff_id: int, now: datetime) -> int:
    """End every open session of the staff member (and unused links); how many sessions."""
    ended = await session.execute(
        update(DashboardSession)
        .where(DashboardSession.staff_id == staff_id, DashboardSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(DashboardLink)
        .where(DashboardLink.staff_id == staff_id, DashboardLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(ended.rowcount)  # type: ignore[attr-defined]
