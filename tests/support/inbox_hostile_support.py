"""Telegram updates stored in the inbox and handled by the real dispatch (hostile-input tests)."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select

from bot.channels.telegram import parse as telegram_parse
from bot.core.app import App
from bot.messaging.inbox import InboxProcessor
from bot.messaging.inbox_store import store
from bot.runtime.dispatch import dispatch
from bot.runtime.wiring import inbox_channels
from models import InboxUpdate, OutboxMessage

_IDS = itertools.count(1)


def message(user_id: int, language: str = "id", **fields: Any) -> dict[str, Any]:
    number = next(_IDS)
    return {
        "update_id": number,
        "message": {
            "message_id": number,
            "from": {"id": user_id, "is_bot": False, "first_name": "W", "language_code": language},
            "chat": {"id": user_id, "type": "private"},
            "date": 0,
            **fields,
        },
    }


async def store_updates(app: App, *updates: dict[str, Any]) -> None:
    async with app.db.transaction() as session:
        for update in updates:
            await store(
                session,
                channel=telegram_parse.CHANNEL,
                update_key=telegram_parse.update_key(update),
                chat_key=telegram_parse.chat_key(update),
                payload=update,
                now=app.clock.now(),
            )


async def handle_all(app: App) -> int:
    """Handle what is free now, round after round (one row per chat a round)."""
    return await InboxProcessor(app, dispatch=dispatch, channels=inbox_channels()).process_all(
        max_rounds=1000
    )


async def inbox_rows(app: App) -> list[InboxUpdate]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id))).all())


async def queued_texts(app: App, chat_id: int) -> list[str]:
    """Texts queued (not yet sent) for a chat, oldest first."""
    async with app.db.transaction() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == str(chat_id), OutboxMessage.status == "pending")
            .order_by(OutboxMessage.id)
        )
        return [str(row.payload["text"]) for row in rows.all()]
