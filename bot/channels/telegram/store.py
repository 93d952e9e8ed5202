"""Telegram updates into the inbox: by long polling (poll.py) and by webhook (runtime/http.py).

One transaction per batch (a webhook's batch is its one update). With the inbox processor of
this process, what it has room for is stored already leased to it and handed over after the
commit, so the update is handled without a claim transaction in between.
"""

from __future__ import annotations

from typing import Any

from bot.channels.telegram import parse as telegram_parse
from bot.core.app import App
from bot.messaging.inbox import InboxProcessor
from bot.messaging.inbox_claim import LEASE
from bot.messaging.inbox_store import store_and_lease
from models import InboxUpdate


async def store_updates(
    app: App, updates: list[dict[str, Any]], processor: InboxProcessor | None = None
) -> tuple[int, int]:
    """Store a batch with one INSERT in one transaction; how many were new, and how many of
    those were handed to `processor`.

    With the `processor` of this process, the updates it has room for are stored already
    leased to it and handed over after the commit (no claim transaction in between).
    """
    # A key twice in one batch: one multi-row INSERT may not touch a row twice (PostgreSQL's
    # ON CONFLICT refuses it), so the first copy is kept, as separate inserts would have done.
    batch: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for update in updates:
        key = telegram_parse.update_key(update)
        batch.setdefault(key, (key, telegram_parse.chat_key(update), update))
    room = processor.reserve() if processor is not None else 0
    committed: list[tuple[InboxUpdate, bool]] = []
    try:
        async with app.db.transaction() as session:
            new, leased = await store_and_lease(
                session,
                telegram_parse.CHANNEL,
                list(batch.values()),
                app.clock.now(),
                limit=room,
                lease=processor.lease if processor is not None else LEASE,
                owner=processor.instance_id if processor is not None else None,
            )
        committed = leased
    finally:
        if processor is not None:
            processor.take(room, committed)
    return new, len(committed)
