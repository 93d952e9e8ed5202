"""Long polling: stored and committed before the offset confirms; nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from unittest import mock

import pytest
from sqlalchemy import select

from bot.channels.telegram import poll as telegram_poll
from bot.channels.telegram.poll import TelegramPoller
from bot.core.app import App
from models import InboxUpdate
from tests.fakes.telegram_api import FakeTelegram
from tests.support.waiting import eventually


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


def _api_base(fake: FakeTelegram) -> str:
    return f"{fake.api_url}{fake.token}"


async def _keys(app: App) -> list[str]:
    async with app.db.transaction() as session:
        rows = (await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id))).all()
        return [r.update_key for r in rows]


async def test_updates_are_confirmed_only_after_they_are_stored(
    app: App, fake: FakeTelegram
) -> None:
    first = fake.text_update(1, "a")
    second = fake.text_update(2, "b")
    stored: list[int] = []
    poller = TelegramPoller(app, _api_base(fake), timeout=0, on_stored=lambda: stored.append(1))
    assert await poller.poll_once() == 2
    assert await _keys(app) == [str(first), str(second)]
    # Still pending at Telegram until the next call carries the higher offset.
    assert len(fake.pending_updates()) == 2
    assert await poller.poll_once() == 0
    assert fake.pending_updates() == []
    assert fake.calls_to("getUpdates")[-1].params["offset"] == second + 1
    assert stored == [1]
    await poller.close()


async def test_a_crash_before_the_commit_loses_nothing(app: App, fake: FakeTelegram) -> None:
    update_id = fake.text_update(3, "jangan hilang")
    poller = TelegramPoller(app, _api_base(fake), timeout=0)
    with (
        mock.patch.object(telegram_poll, "store_updates", side_effect=RuntimeError("db down")),
        pytest.raises(RuntimeError),
    ):
        await poller.poll_once()
    assert poller.offset is None
    assert len(fake.pending_updates()) == 1
    # A new process (no offset in memory) gets it again; a second delivery is ignored.
    again = TelegramPoller(app, _api_base(fake), timeout=0)
    assert await again.poll_once() == 1
    third = TelegramPoller(app, _api_base(fake), timeout=0)
    assert await third.poll_once() == 0
    assert await _keys(app) == [str(update_id)]
    for poller_ in (poller, again, third):
        await poller_.close()


async def test_run_honours_long_poll_limit_retry_after_and_stops(
    app: App, fake: FakeTelegram
) -> None:
    for index in range(5):
        fake.text_update(10 + index, f"m{index}")
    fake.fail_next("getUpdates", 1, status=429, retry_after=1)
    poller = TelegramPoller(app, _api_base(fake), timeout=1, limit=2)
    task = asyncio.create_task(poller.run())
    await eventually(lambda: len(fake.calls_to("getUpdates")) >= 5, within=30)
    assert len(await _keys(app)) == 5
    calls = fake.calls_to("getUpdates")
    # The 429 paused the loop for retry_after before the next call.
    assert calls[1].at - calls[0].at >= 0.9
    assert all(c.params["limit"] == 2 for c in calls)
    # Idle long poll: the call waits up to its timeout.
    fake.text_update(20, "late")
    await eventually(lambda: len(fake.pending_updates()) == 0, within=30)
    poller.stop()
    await asyncio.wait_for(task, 30)
    assert len(await _keys(app)) == 6


async def test_conflict_while_a_webhook_is_set_is_retried(app: App, fake: FakeTelegram) -> None:
    fake.state.webhook = {"url": "https://example.org/hook"}
    poller = TelegramPoller(app, _api_base(fake), timeout=0)
    with pytest.raises(telegram_poll.PollError):
        await poller.poll_once()
    await poller.close()
