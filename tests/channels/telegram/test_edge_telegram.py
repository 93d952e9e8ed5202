"""Broken Telegram input is refused at the edge (issue 16): 400 or 413, nothing stored, one log
line without the payload, never a 500 for input; the poller skips a bad update and moves on."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram.poll import TelegramPoller
from bot.core import metrics
from bot.core.app import App
from bot.core.db import Database
from bot.messaging.inbox import InboxProcessor
from bot.runtime.wiring import inbox_channels
from models import ChatIdentity, InboxUpdate, OutboxMessage
from tests.channels.telegram.test_webhook_telegram import SECRET, _client
from tests.fakes.telegram_api import FakeTelegram
from tests.support.e2e_helpers import echo_dispatch

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
MARKER = "rahasia-warga"  # words a resident wrote: must never reach the log


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app) as client:
        yield client


def _update(**message: Any) -> dict[str, Any]:
    return {
        "update_id": 500,
        "message": {
            "message_id": 1,
            "from": {"id": 77, "is_bot": False, "first_name": "A"},
            "chat": {"id": 77, "type": "private"},
            "text": MARKER,
            **message,
        },
    }


async def _rows(app: App) -> list[InboxUpdate]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(InboxUpdate))).all())


def _bad_updates() -> list[Any]:
    bad: list[Any] = []
    for update_id in (True, 10**40, 0, -5, "500", 1.5, None):
        bad.append({**_update(), "update_id": update_id})
    for external_id in (None, 1.5, "abc", "1" * 70, 2**60, True):
        update = _update()
        update["message"]["from"]["id"] = external_id
        bad.append(update)
        chat = _update()
        chat["message"]["chat"]["id"] = external_id
        bad.append(chat)
    bad.append(_update(location={"latitude": "abc", "longitude": 1.0}))
    bad.append(_update(text={"not": "text"}))
    bad.append(_update(photo="junk"))
    bad.append({"update_id": 9, "callback_query": {"id": "q", "from": {"id": "leaf"}}})
    bad.append([1, 2, 3])
    return bad


@pytest.mark.parametrize("update", _bad_updates())
async def test_malformed_updates_are_400_and_nothing_stored(
    app: App, client: httpx.AsyncClient, update: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = await client.post("/webhooks/telegram", json=update, headers=HEADERS)
    assert response.status_code == 400
    assert await _rows(app) == []
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert MARKER not in caplog.text


def _refused(what: str) -> float:
    labels = {"channel": "telegram", "what": what}
    return metrics.REGISTRY.get_sample_value("patbm_inbound_refused_total", labels) or 0.0


async def test_a_5_mb_update_is_413_before_it_is_read(app: App, client: httpx.AsyncClient) -> None:
    counted = _refused("too_large")
    body = json.dumps(_update(text="x" * (5 * 1024 * 1024))).encode()
    declared = await client.post("/webhooks/telegram", content=body, headers=HEADERS)

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    # Without a Content-Length (chunked): refused once the streamed bytes pass the limit.
    streamed = await client.post("/webhooks/telegram", content=stream(), headers=HEADERS)
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert await _rows(app) == []
    assert _refused("too_large") == counted + 2


async def test_a_100000_deep_json_is_400_not_a_recursion_error(
    app: App, client: httpx.AsyncClient
) -> None:
    deep = b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await client.post("/webhooks/telegram", content=deep, headers=HEADERS)
    assert response.status_code == 400
    assert await _rows(app) == []


async def test_lone_surrogates_and_nul_are_cleaned_and_the_message_kept(
    app: App, client: httpx.AsyncClient
) -> None:
    body = json.dumps(_update(text="tolong\ud800 sekarang\u0000!")).encode()
    assert b"\\ud800" in body
    response = await client.post("/webhooks/telegram", content=body, headers=HEADERS)
    assert response.status_code == 200
    (row,) = await _rows(app)
    assert row.payload["message"]["text"] == "tolong\ufffd sekarang!"
    await InboxProcessor(app, dispatch=echo_dispatch, channels=inbox_channels()).process_all()
    async with app.db.transaction() as session:
        (reply,) = (await session.scalars(select(OutboxMessage))).all()
        (identity,) = (await session.scalars(select(ChatIdentity))).all()
    assert reply.payload["text"] == "echo: tolong\ufffd sekarang!"
    assert (identity.external_id, reply.chat_id) == ("77", "77")


async def test_invalid_utf8_is_400(app: App, client: httpx.AsyncClient) -> None:
    body = b'{"update_id": 5, "message": {"text": "\xed\xa0\x80"}}'
    response = await client.post("/webhooks/telegram", content=body, headers=HEADERS)
    assert response.status_code == 400


async def test_only_our_database_down_answers_500(app: App) -> None:
    working = app.db
    app.db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        async with _client(app) as client:
            down = await client.post("/webhooks/telegram", json=_update(), headers=HEADERS)
    finally:
        await app.db.dispose()
        app.db = working
    assert down.status_code == 500


async def test_the_poller_skips_a_bad_update_and_moves_on(app: App, fake: FakeTelegram) -> None:
    bad = _update()
    bad["update_id"] = fake.state.next_update_id
    bad["message"]["from"]["id"] = "1" * 70
    fake.add_update(bad)
    deep: dict[str, Any] = {"update_id": fake.state.next_update_id}
    nested = deep
    for _ in range(40):
        nested["message"] = {}
        nested = nested["message"]
    fake.add_update(deep)
    good = fake.text_update(88, "halo")
    poller = TelegramPoller(app, f"{fake.api_url}{fake.token}", timeout=0)
    assert await poller.poll_once() == 1
    assert [r.update_key for r in await _rows(app)] == [str(good)]
    assert poller.offset == good + 1
    assert await poller.poll_once() == 0
    assert fake.pending_updates() == []
    await poller.close()
