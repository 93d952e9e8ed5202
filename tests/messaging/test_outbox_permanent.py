"""Rows that can never be delivered fail at once; 429, 5xx and the network are retried.

Over real HTTP: python-telegram-bot's Bot against the fake Bot API (tests/fakes).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import select, update
from telegram import Bot

from bot.channels.telegram.sender import TelegramSender
from bot.core.app import App
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.messages import Reply
from bot.messaging.outbox import enqueue
from bot.runtime.wiring import DELIVERY_HOOKS
from models import CaseEvent, OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.support.casework_fixtures import build_world, get_case, report
from tests.support.outbox_support import telegram_bot, unlimited


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def bot(fake: FakeTelegram, app: App) -> AsyncIterator[Bot]:
    async with telegram_bot(fake, app, read_timeout=2.0) as configured:
        yield configured


def worker(app: App, bot: Bot) -> DeliveryWorker:
    return DeliveryWorker(
        app,
        {"telegram": TelegramSender(bot)},
        limiter=unlimited(),
        rng=random.Random(3),
        hooks=DELIVERY_HOOKS,
    )


async def outcomes(app: App) -> dict[str, tuple[str, int]]:
    async with app.db.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return {row.chat_id: (row.status, row.attempts) for row in rows}


async def test_impossible_chats_fail_at_once_and_passing_errors_are_retried(
    app: App, fake: FakeTelegram, bot: Bot
) -> None:
    fake.block_chat(3001)  # 403: the bot was blocked
    fake.forget_chat(3002)  # 400: chat not found
    await queue(app, ["abc", "None", "leaf", "3001", "3002"])
    result = await worker(app, bot).drain()
    # Before: "abc", "None" and "leaf" raised ValueError in the sender and were retried up to
    # 12 times over hours; now they fail on their first attempt, like a 400 or a 403.
    assert await outcomes(app) == dict.fromkeys(
        ["abc", "None", "leaf", "3001", "3002"], ("failed", 1)
    )
    assert result.failed == 5
    # A 429 and a 502 are passing: retried later.
    await queue(app, ["3003", "3004"])
    fake.fail_next("sendMessage", 1, status=429, retry_after=1)
    fake.fail_next("sendMessage", 1, status=502)
    result = await worker(app, bot).drain()
    got = await outcomes(app)
    assert got["3003"][0] == got["3004"][0] == "pending" and result.retried == 2


async def queue(app: App, chats: list[str]) -> None:
    async with app.db.transaction() as session:
        for chat in chats:
            enqueue(
                session, channel="telegram", chat_id=chat, reply=Reply("x"), now=app.clock.now()
            )


async def test_an_assignment_to_an_impossible_chat_moves_the_case_on(
    app: App, fake: FakeTelegram, bot: Bot
) -> None:
    world = await build_world(app)
    case_id = await report(app)
    async with app.db.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == "assignment", OutboxMessage.staff_id == world.kader_a)
            .values(chat_id="abc")
        )
    await worker(app, bot).drain()
    case = await get_case(app, case_id)
    assert case.assignee_id == world.kader_b  # the rerouting of a blocked cadre, at once
    async with app.db.transaction() as session:
        events = (
            await session.scalars(
                select(CaseEvent).where(
                    CaseEvent.case_id == case_id, CaseEvent.kind == "delivery_failed"
                )
            )
        ).all()
    assert [e.data["reason"] for e in events] == ["error: ValueError"]
