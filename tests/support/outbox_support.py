"""A scripted Sender, a clock that runs faster than real time, and more App instances."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import Bot

from bot.channels.telegram.sender import build_bot
from bot.core.app import App
from bot.core.clock import Clock
from bot.core.db import Database
from bot.messaging.limits import RateLimiter
from bot.messaging.messages import Reply
from bot.messaging.outbox import enqueue
from bot.messaging.sending import SendResult
from tests.fakes.telegram_api import FakeTelegram


@dataclass
class Sent:
    chat_id: str
    text: str
    seq: int
    extra: dict[str, object]


@dataclass
class FakeSender:
    """Records every successful send; `script[chat_id]` lists exceptions to raise first."""

    channel: str = "fake"
    sent: list[Sent] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    script: dict[str, list[Exception]] = field(default_factory=dict)
    on_send: Callable[[str, Reply], Exception | None] | None = None
    pause: float = 0.0
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        self.attempts.append(chat_id)
        if self.pause:
            await asyncio.sleep(self.pause)
        else:
            await asyncio.sleep(0)
        queued = self.script.get(chat_id)
        if queued:
            raise queued.pop(0)
        if self.on_send is not None:
            error = self.on_send(chat_id, reply)
            if error is not None:
                raise error
        seq = next(self._seq)
        self.sent.append(Sent(chat_id, reply.text, seq, dict(reply.extra)))
        return SendResult(platform_message_id=f"m{seq}")


class FastClock:
    """Wall time from `start`, running `speed` times faster than the real clock."""

    def __init__(self, start: datetime, speed: float) -> None:
        self.start = start
        self.speed = speed
        self.t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.t0) * self.speed)


def unlimited() -> RateLimiter:
    return RateLimiter({}, 1.0)


def another_app(app: App, clock: Clock | None = None) -> App:
    """The same database through a separate engine: another instance, as far as the DB can tell."""
    return App(
        settings=app.settings,
        db=Database(app.settings.database_url),
        clock=clock or app.clock,
        keyring=app.keyring,
    )


async def queue(
    app: App, chats: list[str], per_chat: int, *, channel: str = "fake", kind: str = "reply"
) -> None:
    """`per_chat` numbered messages to each chat, interleaved the way real traffic is."""
    now = app.clock.now()
    async with app.db.transaction() as session:
        for n in range(per_chat):
            for chat in chats:
                enqueue(
                    session,
                    channel=channel,
                    chat_id=chat,
                    reply=Reply(text=f"{chat}#{n}"),
                    now=now,
                    kind=kind,
                )


@contextlib.asynccontextmanager
async def telegram_bot(fake: FakeTelegram, app: App, *, read_timeout: float) -> AsyncIterator[Bot]:
    """The real python-telegram-bot Bot, pointed at the fake Bot API, initialised and shut down."""
    configured = app.settings.model_copy(
        update={"telegram_token": fake.token_secret, "telegram_api_url": fake.api_url}
    )
    bot = build_bot(configured, read_timeout=read_timeout)
    await bot.initialize()
    try:
        yield bot
    finally:
        await bot.shutdown()
