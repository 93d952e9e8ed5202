"""What a send's outcome does to its outbox row (bot/messaging/delivery.py sends; this records).

- success: `status='sent'` (one UPDATE, the row is not loaded and decrypted).
- `RetryLater(after_seconds=s)`: due again in exactly `s` seconds, and it costs no attempt.
- `RetryLater()`: exponential backoff with jitter; after `outbox_max_attempts` it fails.
- `OutsideWindow`: queued again at once as the template variant; a second time, it fails.
- `PermanentFailure`: `status='failed'` and what the failure means for its case
  (bot/casework/undelivered.py).
The outcomes of one batch are written in one transaction (group commit).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import metrics
from bot.core.app import App
from bot.core.db import Database
from bot.core.settings import Settings
from bot.messaging.claims import ClaimedRow
from bot.messaging.failures import is_permanent
from bot.messaging.held import FORCE_TEMPLATE, HELD
from bot.messaging.messages import Reply
from bot.messaging.sending import OutsideWindow, PermanentFailure, RetryLater, SendResult
from models import OutboxMessage

log = logging.getLogger(__name__)

Prepare = Callable[[Database, Reply], Awaitable[Reply]]
OnFailed = Callable[[AsyncSession, OutboxMessage, str, datetime, Settings], Awaitable[None]]


@dataclass(frozen=True)
class DeliveryHooks:
    """What delivery asks of the layers above it, wired by the composition root
    (bot/runtime/wiring.py), so that imports run one way: `prepare` completes a reply right
    before it is sent (a case's evidence file, read from its row, never carried in the outbox);
    `failed` says what a message that can never be delivered means for its case."""

    prepare: Prepare
    failed: OnFailed


@dataclass
class DeliveryResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    template_fallback: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryResult) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.template_fallback += other.template_fallback
        self.errors.extend(other.errors)


def unexpected_error(row: ClaimedRow, exc: Exception) -> PermanentFailure | RetryLater:
    """What an error the sender did not expect means: permanent when the row itself is wrong
    (a chat id "abc", a payload that does not parse: every retry would fail the same way;
    bot/messaging/failures.py), else passing."""
    reason = f"error: {type(exc).__name__}"
    if is_permanent(exc):
        log.warning("outbox %s: cannot be sent to %s: %s", row.id, row.channel, reason)
        return PermanentFailure(reason=reason)
    log.exception("outbox %s: unexpected error from the %s sender", row.id, row.channel)
    return RetryLater(reason=reason)


def backoff(settings: Settings, attempts: int, rng: random.Random) -> float:
    s = settings
    ceiling = min(s.outbox_backoff_max_seconds, s.outbox_backoff_base_seconds * 2 ** (attempts - 1))
    return float(ceiling) * (0.5 + rng.random() / 2)


async def record_outcomes(
    app: App,
    items: list[tuple[ClaimedRow, SendResult | Exception]],
    result: DeliveryResult,
    rng: random.Random,
    failed: OnFailed,
) -> None:
    """Record the outcomes of a batch in one transaction."""
    now = app.clock.now()
    async with app.db.transaction() as session:
        # Sent: one UPDATE each, without loading (and decrypting) the row. In id order, like
        # the locking select below, so two writers never wait on each other crosswise.
        others: list[tuple[ClaimedRow, SendResult | Exception]] = []
        for claimed, outcome in sorted(items, key=lambda item: item[0].id):
            if not isinstance(outcome, SendResult):
                others.append((claimed, outcome))
            elif await _mark_sent(session, claimed.id, outcome, now):
                result.sent += 1
                metrics.outbox_sent(claimed.channel)
            else:
                others.append((claimed, outcome))  # below: say why it was not pending
        if not others:
            return
        items = others
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.id.in_([claimed.id for claimed, _ in items]))
            .order_by(OutboxMessage.id)
        )
        if app.db.is_postgres:
            query = query.with_for_update()
        rows = {row.id: row for row in (await session.scalars(query)).all()}
        for claimed, outcome in items:
            row = rows.get(claimed.id)
            if row is None or row.status != "pending":
                # Held: the sender parked it until the window opens (bot/messaging/held.py).
                if row is None or row.status != HELD:
                    log.warning("outbox %s: finished elsewhere (lease ran out?)", claimed.id)
                continue
            await _apply(session, row, outcome, now, result, app, rng, failed)


async def _apply(
    session: AsyncSession,
    row: OutboxMessage,
    outcome: SendResult | Exception,
    now: datetime,
    result: DeliveryResult,
    app: App,
    rng: random.Random,
    failed: OnFailed,
) -> None:
    row.locked_until = None
    if isinstance(outcome, SendResult):
        row.status = "sent"
        row.sent_at = now
        row.platform_message_id = outcome.platform_message_id
        row.last_error = None
        result.sent += 1
        metrics.outbox_sent(row.channel)
        return
    if isinstance(outcome, OutsideWindow):
        if _template_fallback(row, now):
            result.template_fallback += 1
            metrics.outbox_failed(row.channel, "outside_window")
            return
        outcome = PermanentFailure(reason="outside_window_template_failed")
    if isinstance(outcome, RetryLater):
        if _retry(row, outcome, now, app.settings, rng):
            result.retried += 1
            metrics.outbox_failed(row.channel, "retry")
            return
        outcome = PermanentFailure(reason=f"gave up after {row.attempts}: {outcome.reason}")
    reason = getattr(outcome, "reason", type(outcome).__name__)
    await _fail(session, row, str(reason), now, app, failed)
    result.failed += 1
    metrics.outbox_failed(row.channel, "permanent")


def _retry(
    row: OutboxMessage, outcome: RetryLater, now: datetime, settings: Settings, rng: random.Random
) -> bool:
    if outcome.after_seconds is not None:
        row.attempts = max(0, row.attempts - 1)  # throttling is not the message's fault
        delay = max(0.0, float(outcome.after_seconds))
    elif row.attempts >= settings.outbox_max_attempts:
        return False
    else:
        delay = backoff(settings, row.attempts, rng)
    row.next_attempt_at = now + timedelta(seconds=delay)
    row.last_error = outcome.reason[:200]
    log.info("outbox %s: retry in %.1fs (%s)", row.id, delay, outcome.reason[:60])
    return True


def _template_fallback(row: OutboxMessage, now: datetime) -> bool:
    payload = dict(row.payload)
    extra = dict(payload.get("extra") or {})
    if extra.get(FORCE_TEMPLATE):
        return False
    extra[FORCE_TEMPLATE] = True
    payload["extra"] = extra
    row.payload = payload
    row.attempts = max(0, row.attempts - 1)
    row.next_attempt_at = now
    row.last_error = "outside_window"
    log.info("outbox %s: outside the window, template variant queued", row.id)
    return True


async def _mark_sent(
    session: AsyncSession, row_id: int, outcome: SendResult, now: datetime
) -> bool:
    """Record a send; False when the row is no longer pending (finished elsewhere, held)."""
    marked = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == "pending")
        .values(
            status="sent",
            sent_at=now,
            platform_message_id=outcome.platform_message_id,
            locked_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(marked.rowcount == 1)  # type: ignore[attr-defined]


async def _fail(
    session: AsyncSession,
    row: OutboxMessage,
    reason: str,
    now: datetime,
    app: App,
    failed: OnFailed,
) -> None:
    row.status = "failed"
    row.last_error = reason[:200]
    log.warning("outbox %s failed for good (kind %s, case %s)", row.id, row.kind, row.case_id)
    try:
        async with session.begin_nested():
            await failed(session, row, reason, now, app.settings)
    except Exception:
        # The row stays failed (visible); what its failure should have set off is logged.
        log.exception("outbox %s: handling the failure for case %s failed", row.id, row.case_id)
