"""What a platform tells us later about a message it accepted: delivered, or failed after all.

A channel's webhook translates the platform's status callback and calls these in its own
transaction; rows are found by `(channel, platform_message_id)`, unknown ids are ignored.
- `delivered`: `delivered_at` is set (once: the first report counts).
- `failed_later`, for a row still `sent`: outside the platform's window after all (and not yet
  sent as the template) → queued again at once with `extra[FORCE_TEMPLATE]`: the sender templates
  it for staff and drops it for anyone else; otherwise → `failed`, and what that means for its
  case goes through `DeliveryHooks.failed` (wired by bot/runtime/), as when a send fails for good.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from bot.messaging.held import FORCE_TEMPLATE
from bot.messaging.messages import Reply
from bot.messaging.outcomes import DeliveryHooks
from models import OutboxMessage

log = logging.getLogger(__name__)


async def _rows(
    session: AsyncSession, channel: str, platform_message_id: str
) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(
        OutboxMessage.channel == channel,
        OutboxMessage.platform_message_id == platform_message_id,
    )
    return list((await session.scalars(query)).all())


async def delivered(
    session: AsyncSession, channel: str, platform_message_id: str, at: datetime
) -> None:
    for row in await _rows(session, channel, platform_message_id):
        if row.delivered_at is None:
            row.delivered_at = at


async def failed_later(
    session: AsyncSession,
    channel: str,
    platform_message_id: str,
    *,
    reason: str,
    outside_window: bool,
    now: datetime,
    settings: Settings,
    hooks: DeliveryHooks,
) -> int:
    """The platform accepted the message but could not deliver it: how many rows are queued."""
    queued = 0
    for row in await _rows(session, channel, platform_message_id):
        if row.status == "sent":
            queued += await _failed(session, row, reason, outside_window, now, settings, hooks)
    return queued


async def _failed(
    session: AsyncSession,
    row: OutboxMessage,
    reason: str,
    outside_window: bool,
    now: datetime,
    settings: Settings,
    hooks: DeliveryHooks,
) -> int:
    reply = Reply.from_json(row.payload)
    if outside_window and not reply.extra.get(FORCE_TEMPLATE):
        row.payload = Reply.from_json(
            {**reply.to_json(), "extra": {**reply.extra, FORCE_TEMPLATE: True}}
        ).to_json()
        row.status = "pending"
        row.next_attempt_at = now
        row.platform_message_id = None
        row.last_error = reason
        return 1
    row.status = "failed"
    row.last_error = reason
    log.warning("%s outbox %s failed on delivery: %s", row.channel, row.id, reason)
    # No savepoint, unlike the delivery worker: an error here fails the whole webhook (500), so
    # the platform sends the callback again.
    await hooks.failed(session, row, reason, now, settings)
    return 0
