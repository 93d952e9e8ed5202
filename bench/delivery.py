"""Benchmark 3: outbox delivery against a fake that enforces Telegram's limits.

N messages to C chats are queued (round robin over the chats, as replies and notifications
would come), then `bot.messaging.delivery.DeliveryWorker` with the real Telegram Sender
(`bot.channels.telegram.sender.TelegramSender` on python-telegram-bot) delivers them to
`LimitedFakeTelegram` (30 a second overall, 1 a second per chat, 429 + retry_after past them).
Figures: achieved rate as a fraction of 30 a second (from the first to the last accepted
message), and the number of 429s. SQLite file database, default settings.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import Results, Row
from bench.fakes import LimitedFakeTelegram

ALLOWED_RATE = 30.0


async def _queue(app: object, messages: int, chats: int) -> None:
    from bot.core.app import App
    from bot.messaging.messages import Reply
    from bot.messaging.outbox import enqueue

    assert isinstance(app, App)
    now = app.clock.now()
    batch = 1000
    for start in range(0, messages, batch):
        async with app.db.transaction() as session:
            for index in range(start, min(messages, start + batch)):
                chat = 500_000 + index % chats
                enqueue(
                    session,
                    channel="telegram",
                    chat_id=str(chat),
                    reply=Reply(text=f"Pesan uji nomor {index} untuk pengiriman."),
                    now=now,
                )


async def _deliver(database_url: str, messages: int, chats: int, key: str) -> dict[str, object]:
    from pydantic import SecretStr

    from bot.channels.telegram.sender import TelegramSender, build_bot
    from bot.core.app import App
    from bot.core.crypto import KeyRing, set_keyring
    from bot.core.db import Database
    from bot.core.settings import Settings
    from bot.messaging.delivery import DeliveryWorker
    from bot.runtime.wiring import DELIVERY_HOOKS
    from models import Base

    fake = LimitedFakeTelegram()
    fake.start()
    settings = Settings(
        database_url=database_url,
        telegram_token=SecretStr(fake.token),
        telegram_api_url=fake.api_url,
        encryption_key=SecretStr(key),
    )
    set_keyring(KeyRing([key]))
    app = App(settings=settings, db=Database(database_url))
    bot = build_bot(settings)
    worker: DeliveryWorker | None = None
    task: asyncio.Task[None] | None = None
    try:
        async with app.db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await _queue(app, messages, chats)
        await bot.initialize()
        worker = DeliveryWorker(app, {"telegram": TelegramSender(bot)}, hooks=DELIVERY_HOOKS)
        started = time.monotonic()
        task = asyncio.create_task(worker.run())
        deadline = started + messages / ALLOWED_RATE * 3 + 60
        while len(fake.calls_to("sendMessage")) - fake.too_many < messages:
            if task.done():
                task.result()
                raise RuntimeError("the delivery worker stopped")
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        delivered = fake.replies_seen
        # From the worker's start (claims included) to the last message the fake accepted.
        span = (fake.last_reply_at or started) - started
        rate = delivered / span if span > 0 else 0.0
        return {
            "messages": messages,
            "chats": chats,
            "delivered": delivered,
            "seconds": round(span, 1),
            "rate_per_s": round(rate, 2),
            "fraction_of_30": round(rate / ALLOWED_RATE, 3),
            "http_429": fake.too_many,
            "429_overall": fake.too_many_overall,
            "429_per_chat": fake.too_many_chat,
            "send_calls": len(fake.calls_to("sendMessage")),
        }
    finally:
        if worker is not None:
            await worker.stop()
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        await bot.shutdown()
        await app.close()
        fake.stop()


def run_delivery(results: Results, *, messages: int, chats: int, key: str) -> Row:
    with tempfile.TemporaryDirectory(prefix="patbm-bench-outbox-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'outbox.db'}"
        figures = asyncio.run(_deliver(url, messages, chats, key))
    fraction = float(str(figures["fraction_of_30"]))
    met = fraction >= 0.95 and figures["http_429"] == 0 and figures["delivered"] == messages
    return results.add(
        Row(
            "delivery",
            f"{messages} msgs / {chats} chats",
            figures,
            target="≥ 95 % of 30/s, zero 429",
            met=met,
            note="DeliveryWorker + TelegramSender (PTB) → fake with 30/s overall, 1/s per chat",
        )
    )
