"""Setting aside inbound parts refused at the edge (models.RejectedInbound).

Reason plus a bounded, encrypted excerpt rather than the reason alone: when Meta changes a
format or adds a message type, the excerpt is what lets an operator see what was refused (and
whose message it was) without the logs ever carrying content; cut to `EXCERPT_CHARS` so a flood
of junk cannot fill the database; encrypted because it may hold a resident's words. The nightly
cleanup (bot/runtime/scheduler.py) deletes them after `inbox_retention_days`, as handled inbox rows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import metrics
from models import RejectedInbound

log = logging.getLogger(__name__)

EXCERPT_CHARS = 4000
# A junk POST of 1 MB could hold 100,000 broken parts: the first few tell the story.
MAX_ROWS_PER_POST = 20


class RefusedPart(Protocol):
    @property
    def part(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def content(self) -> Any: ...


def excerpt(content: Any) -> str:
    return json.dumps(content, ensure_ascii=False, default=str)[:EXCERPT_CHARS]


def set_aside(
    session: AsyncSession, channel: str, refused: Sequence[RefusedPart], now: datetime
) -> int:
    """Add a row per refused part (committed with the caller's transaction), at most
    `MAX_ROWS_PER_POST` of them and then one row counting the rest; how many rows."""
    for item in refused[:MAX_ROWS_PER_POST]:
        # One line per part: where and why, never what it said.
        log.warning("%s inbound part %s set aside: %s", channel, item.part[:120], item.reason)
        session.add(
            RejectedInbound(
                channel=channel,
                part=item.part[:120],
                reason=item.reason[:200],
                excerpt=excerpt(item.content),
                received_at=now,
            )
        )
    metrics.inbound_refused(channel, "part", len(refused))
    more = len(refused) - MAX_ROWS_PER_POST
    if more > 0:
        log.warning("%s inbound: %s more parts of one post set aside", channel, more)
        reason = f"{more} more parts of this post set aside"
        session.add(RejectedInbound(channel=channel, part="*", reason=reason, received_at=now))
    return min(len(refused), MAX_ROWS_PER_POST + 1)
