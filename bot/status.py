"""Status look-up by reference and PIN, throttled per chat user (no oracle: one neutral 'not found')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import Actor, record_event
from bot.references import check_pin, hash_pin, normalise_reference
from bot.settings import Settings
from models import Case, RateLimit

# Compared against when the reference is unknown, so both answers take as long.
_DUMMY_REFERENCE = "XXX-2222-22"
_DUMMY_HASH = hash_pin(_DUMMY_REFERENCE, "000000")


@dataclass(frozen=True)
class StatusResult:
    """found: the case's status and last change; throttled: wait before trying again."""

    outcome: str  # found, not_found, throttled
    reference: str | None = None
    status: str | None = None
    updated_at: datetime | None = None
    retry_after_minutes: int = 0


def throttle_key(channel: str, user_id: str) -> str:
    return f"status:{channel}:{user_id}"[:128]


async def _limit_row(session: AsyncSession, key: str, now: datetime) -> RateLimit:
    row = await session.scalar(select(RateLimit).where(RateLimit.key == key).with_for_update())
    if row is None:
        row = RateLimit(key=key, count=0, window_start=now)
        session.add(row)
        await session.flush()
    return row


async def check_status(
    session: AsyncSession,
    reference_text: str,
    pin: str,
    *,
    channel: str,
    user_id: str,
    now: datetime,
    settings: Settings,
) -> StatusResult:
    window = timedelta(minutes=settings.status_window_minutes)
    limit = await _limit_row(session, throttle_key(channel, user_id), now)
    if now - limit.window_start >= window:
        limit.count, limit.window_start = 0, now
    if limit.count >= settings.status_max_failures:
        left = limit.window_start + window - now
        return StatusResult(
            "throttled", retry_after_minutes=max(1, -(-int(left.total_seconds()) // 60))
        )
    reference = normalise_reference(reference_text)
    case = (
        await session.scalar(select(Case).where(Case.reference == reference)) if reference else None
    )
    if case is None:
        check_pin(_DUMMY_REFERENCE, pin, _DUMMY_HASH)
        ok = False
    else:
        ok = check_pin(case.reference, pin, case.pin_hash)
    if not ok or case is None:
        limit.count += 1
        return StatusResult("not_found")
    record_event(session, case, "status_checked", Actor(kind="reporter", channel=channel), now)
    return StatusResult("found", case.reference, case.status, case.updated_at)
