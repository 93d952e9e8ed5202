"""The Telegram webhook: secret checked in constant time, stored before 200, handled once."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import select

from bot.core.app import App
from bot.messaging.inbox import InboxProcessor
from bot.runtime.http import TELEGRAM_SECRET_HEADER, build_http_app
from bot.runtime.wiring import inbox_channels
from models import InboxUpdate, OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.support.claim_counter import count_claims
from tests.support.e2e_helpers import echo_dispatch

SECRET = "s3cret-webhook-value"


def _client(
    app: App, woken: list[int] | None = None, inbox: InboxProcessor | None = None
) -> httpx.AsyncClient:
    app.settings = app.settings.model_copy(
        update={
            "telegram_token": SecretStr("1:abc"),
            "telegram_webhook_url": "https://bot.example.org/webhooks/telegram",
            "telegram_webhook_secret": SecretStr(SECRET),
        }
    )
    sink = woken if woken is not None else []
    http_app = build_http_app(app, inbox_stored=lambda: sink.append(1), inbox=inbox)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=http_app), base_url="http://t")


def _update() -> dict[str, Any]:
    fake = FakeTelegram()
    return fake.make_update(77, fake.message_body(77, text="tolong"))


async def _rows(app: App) -> list[InboxUpdate]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(InboxUpdate))).all())


async def test_right_secret_is_stored_and_handled(app: App) -> None:
    woken: list[int] = []
    async with _client(app, woken) as client:
        response = await client.post(
            "/webhooks/telegram", json=_update(), headers={TELEGRAM_SECRET_HEADER: SECRET}
        )
    assert response.status_code == 200
    assert len(await _rows(app)) == 1 and woken == [1]
    await InboxProcessor(app, dispatch=echo_dispatch, channels=inbox_channels()).process_all()
    async with app.db.transaction() as session:
        outbox = (await session.scalars(select(OutboxMessage))).all()
    assert [o.payload["text"] for o in outbox] == ["echo: tolong"]
    assert [o.chat_id for o in outbox] == ["77"]


async def test_with_this_processs_inbox_the_update_is_handled_without_a_claim(app: App) -> None:
    processor = InboxProcessor(app, dispatch=echo_dispatch, channels=inbox_channels())
    assert await processor.process_once() == 0  # nothing left over by a previous process
    counter = count_claims(processor)
    woken: list[int] = []
    async with _client(app, woken, inbox=processor) as client:
        response = await client.post(
            "/webhooks/telegram", json=_update(), headers={TELEGRAM_SECRET_HEADER: SECRET}
        )
    assert response.status_code == 200
    # Stored already leased to this process and handed over: nobody needs waking to claim it.
    assert woken == []
    (row,) = await _rows(app)
    assert row.lease_owner == processor.instance_id
    await processor.drain()
    async with app.db.transaction() as session:
        outbox = (await session.scalars(select(OutboxMessage))).all()
    assert [o.payload["text"] for o in outbox] == ["echo: tolong"]
    assert counter.claims == 0


async def test_wrong_or_missing_secret_is_403_and_nothing_stored(app: App) -> None:
    async with _client(app) as client:
        wrong = await client.post(
            "/webhooks/telegram", json=_update(), headers={TELEGRAM_SECRET_HEADER: "nope"}
        )
        missing = await client.post("/webhooks/telegram", json=_update())
        prefix = await client.post(
            "/webhooks/telegram", json=_update(), headers={TELEGRAM_SECRET_HEADER: SECRET[:-1]}
        )
    assert (wrong.status_code, missing.status_code, prefix.status_code) == (403, 403, 403)
    assert await _rows(app) == []


async def test_same_update_twice_is_handled_once(app: App) -> None:
    update = _update()
    async with _client(app) as client:
        for _ in range(2):
            response = await client.post(
                "/webhooks/telegram", json=update, headers={TELEGRAM_SECRET_HEADER: SECRET}
            )
            assert response.status_code == 200
        bad = await client.post(
            "/webhooks/telegram", content=b"{not json", headers={TELEGRAM_SECRET_HEADER: SECRET}
        )
        assert bad.status_code == 400
    assert len(await _rows(app)) == 1
    processor = InboxProcessor(app, dispatch=echo_dispatch, channels=inbox_channels())
    assert await processor.process_all() == 1
    assert await processor.process_all() == 0
    async with app.db.transaction() as session:
        assert len((await session.scalars(select(OutboxMessage))).all()) == 1


async def test_healthz_reports_the_database(app: App) -> None:
    async with _client(app) as client:
        ok = await client.get("/healthz")
    assert (ok.status_code, ok.json()) == (200, {"database": "ok"})
    from bot.core.db import Database

    working = app.db
    # A server that refuses connections (nothing listens on port 1).
    app.db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        async with _client(app) as client:
            down = await client.get("/healthz")
    finally:
        await app.db.dispose()
        app.db = working
    assert (down.status_code, down.json()) == (503, {"database": "unavailable"})
