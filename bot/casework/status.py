"""Status look-up by reference and PIN (no oracle: one neutral 'not found'), throttled twice.

- Per chat user: `status_max_failures` wrong tries (5) in `status_window_minutes` (15), then
  that chat waits for the rest of the window.
- Per reference, across all chats: `status_reference_max_failures` wrong tries (10) within
  `status_reference_lock_minutes` (15) of the first of them lock the reference, for everyone,
  right PIN or not (else a lock that let the right PIN through would be an oracle), until those
  15 minutes are over. Tries while locked are not counted and do not extend the lock, so a
  lock lasts at most 15 minutes whoever keeps trying, and a guesser gets at most 10 tries per
  reference per 15 minutes (960 a day, of a million PINs).
- The reporter's own chat is never locked out by the reference lock: a case reported with
  "boleh dihubungi" keeps the reporter's chat (encrypted), and a look-up from that chat is
  limited per chat only. Others learn nothing from this (their tries meet the lock as before),
  so someone who keeps guessing cannot keep a reporter from their status. An anonymous report
  keeps no chat: its reporter gets through at most 15 minutes after the guessing stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.lifecycle import Actor, record_event
from bot.cases.references import check_pin, hash_pin, normalise_reference
from bot.core import metrics
from bot.core.clock import as_utc
from bot.core.settings import Settings
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


def reference_key(reference: str) -> str:
    """One counter per reference, shared by every chat that tries it."""
    return f"status-ref:{reference}"[:128]


async def _limit_row(session: AsyncSession, key: str, now: datetime) -> RateLimit:
    row = await session.scalar(select(RateLimit).where(RateLimit.key == key).with_for_update())
    if row is None:
        row = RateLimit(key=key, count=0, window_start=now)
        session.add(row)
        await session.flush()
    return row


def _locked(limit: RateLimit, now: datetime, window: timedelta, most: int) -> StatusResult | None:
    """Throttled when `most` wrong tries fell in the window that the first of them opened; the
    window is fixed (tries while locked do not extend it), so the lock lifts `window` after it
    began, whoever keeps trying."""
    if now - as_utc(limit.window_start) >= window:
        limit.count = 0  # over; the next wrong try opens a new window (_wrong)
    if limit.count < most:
        return None
    left = as_utc(limit.window_start) + window - now
    return StatusResult(
        "throttled", retry_after_minutes=max(1, -(-int(left.total_seconds()) // 60))
    )


def _wrong(limit: RateLimit, now: datetime) -> None:
    if limit.count == 0:
        limit.window_start = now
    limit.count += 1


def _reporters_own_chat(case: Case | None, channel: str, user_id: str) -> bool:
    contact = case.reporter_contact if case is not None else None
    if not isinstance(contact, dict):
        return False
    return contact.get("channel") == channel and str(contact.get("user_id")) == user_id


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
    chat_limit = await _limit_row(session, throttle_key(channel, user_id), now)
    throttled = _locked(chat_limit, now, window, settings.status_max_failures)
    if throttled is not None:
        metrics.status_lookup("throttled_chat")
        return throttled
    reference = normalise_reference(reference_text)
    case = (
        await session.scalar(select(Case).where(Case.reference == reference)) if reference else None
    )
    # Per reference too, across all chats: else thirty chats get five guesses each. Counted for
    # any well-formed reference, known or not, so the lock tells nobody which ones exist.
    ref_limit = None
    if reference is not None and not _reporters_own_chat(case, channel, user_id):
        ref_limit = await _limit_row(session, reference_key(reference), now)
        ref_window = timedelta(minutes=settings.status_reference_lock_minutes)
        throttled = _locked(ref_limit, now, ref_window, settings.status_reference_max_failures)
        if throttled is not None:
            metrics.status_lookup("throttled_reference")
            return throttled
    if case is None:
        check_pin(_DUMMY_REFERENCE, pin, _DUMMY_HASH)
        ok = False
    else:
        ok = check_pin(case.reference, pin, case.pin_hash)
    if not ok or case is None:
        _wrong(chat_limit, now)
        if ref_limit is not None:
            _wrong(ref_limit, now)
        metrics.status_lookup("not_found")
        return StatusResult("not_found")
    metrics.status_lookup("found")
    record_event(session, case, "status_checked", Actor(kind="reporter", channel=channel), now)
    return StatusResult("found", case.reference, case.status, case.updated_at)
