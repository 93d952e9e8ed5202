"""Delivery over real HTTP to the fake Bot API: a burst of 429s, 5xx and a hang.

Afterwards everything is delivered, in order per chat, nothing twice, and the sending rate
stayed within the limits (measured where the fake receives the calls).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.channels.telegram.sender import TelegramSender
from bot.core.app import App
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.limits import RateLimiter
from bot.runtime.wiring import DELIVERY_HOOKS
from models import OutboxMessage
from tests.conftest import START
from tests.fakes.telegram_api import FakeTelegram
from tests.support.outbox_support import FastClock, queue, telegram_bot
from tests.support.waiting import eventually

CHATS = [str(2001 + n) for n in range(6)]
PER_CHAT = 5
CHANNEL_RATE = 30.0
CHAT_RATE = 5.0  # the test's per-chat limit (1/s in production) keeps the test short


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def bot(fake: FakeTelegram, app: App) -> AsyncIterator[Bot]:
    async with telegram_bot(fake, app, read_timeout=0.5) as configured:
        yield configured


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def all_sent(app: App) -> bool:
    async with app.db.transaction() as session:
        found = await session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status != "sent")
        )
        return not found.all()


async def test_burst_of_429_5xx_and_a_hang(app: App, fake: FakeTelegram, bot: Bot) -> None:
    # Retries are due in app time; this clock runs 20x faster, so a 1 s retry_after is 50 ms.
    # A short poll: waits are computed in app seconds, which pass 20x faster here.
    settings = app.settings.model_copy(update={"outbox_poll_seconds": 0.25})
    fast = App(settings=settings, db=app.db, clock=FastClock(START, 20), keyring=app.keyring)
    await queue(fast, CHATS, PER_CHAT, channel="telegram")
    fake.fail_next("sendMessage", 4, status=429, retry_after=1)
    fake.fail_next("sendMessage", 3, status=500)

    def make_worker() -> DeliveryWorker:
        limiter = RateLimiter({"telegram": CHANNEL_RATE}, CHAT_RATE)
        return DeliveryWorker(
            fast, {"telegram": TelegramSender(bot)}, limiter=limiter, hooks=DELIVERY_HOOKS
        )

    def delivered() -> int:
        return sum(len(fake.texts(int(chat))) for chat in CHATS)

    first = make_worker()
    task = asyncio.create_task(first.run())
    await eventually(lambda: delivered() >= 8, within=20)

    # The API stops answering: sends time out (0.5 s) and are retried later.
    fake.hang("sendMessage")
    mark = len(fake.calls_to("sendMessage"))
    await eventually(lambda: len(fake.calls_to("sendMessage")) >= mark + 3, within=20)
    await first.stop()
    await asyncio.wait_for(task, 30)
    # What hung never reached a chat (like a gateway time-out); then the API is back.
    hung = len(fake.calls_to("sendMessage")) - mark
    fake.fail_next("sendMessage", hung, status=500)
    fake.release("sendMessage")
    # Hung handlers resume within 20 ms (or were dropped with their connection, and the
    # errors meant for them meet the next sends instead: more retries, nothing lost).
    await asyncio.sleep(0.3)

    second = make_worker()
    task = asyncio.create_task(second.run())
    await eventually(lambda: all_sent(fast), within=30, step=0.05)
    await second.stop()
    await asyncio.wait_for(task, 30)

    for chat in CHATS:
        assert fake.texts(int(chat)) == [f"{chat}#{n}" for n in range(PER_CHAT)]
    calls = fake.calls_to("sendMessage")
    assert len(calls) > len(CHATS) * PER_CHAT  # the faults really happened
    per_chat: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        per_chat[str(call.params["chat_id"])].append(call.at)
    # A little slack for the network between reserving a token and the call arriving.
    for times in per_chat.values():
        assert max_in_window(times, 1.0 - 0.05) <= CHAT_RATE
    assert max_in_window([c.at for c in calls], 1.0 - 0.02) <= CHANNEL_RATE
    assert first.totals.retried + second.totals.retried >= 7
