"""Helpers for the WhatsApp tests: settings with the channel on, the HTTP app, signed posts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
from pydantic import SecretStr
from sqlalchemy import select

from bot.core.app import App
from bot.core.settings import Settings
from bot.runtime.http import build_http_app
from models import ChatIdentity, InboxUpdate, OutboxMessage
from tests.fakes import whatsapp_payloads as p

APP_SECRET = "wa-app-secret-for-tests"
VERIFY_TOKEN = "wa-verify-token-for-tests"
ACCESS_TOKEN = "wa-access-token-for-tests"


def whatsapp_settings(settings: Settings, api_url: str = "http://127.0.0.1:9") -> Settings:
    return settings.model_copy(
        update={
            "whatsapp_token": SecretStr(ACCESS_TOKEN),
            "whatsapp_phone_number_id": p.PHONE_NUMBER_ID,
            "whatsapp_app_secret": SecretStr(APP_SECRET),
            "whatsapp_verify_token": SecretStr(VERIFY_TOKEN),
            "whatsapp_api_url": api_url,
        }
    )


def whatsapp_app(app: App, api_url: str = "http://127.0.0.1:9") -> App:
    return App(
        settings=whatsapp_settings(app.settings, api_url),
        db=app.db,
        clock=app.clock,
        keyring=app.keyring,
    )


@asynccontextmanager
async def webhook_client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    """The real HTTP app of `patbm run`, in process."""
    transport = httpx.ASGITransport(app=build_http_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://patbm.test") as client:
        yield client


async def post_values(client: httpx.AsyncClient, *values: p.Value) -> httpx.Response:
    body = p.envelope(*values)
    return await client.post("/webhooks/whatsapp", content=body, headers=p.signed(body, APP_SECRET))


async def inbox_rows(app: App) -> list[InboxUpdate]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id))).all())


async def outbox_rows(app: App) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def add_identity(
    app: App,
    chat_id: str,
    *,
    last_inbound_at: datetime | None,
    staff_id: int | None = None,
) -> ChatIdentity:
    async with app.db.transaction() as session:
        identity = ChatIdentity(
            channel="whatsapp",
            external_id=chat_id,
            chat_id=chat_id,
            staff_id=staff_id,
            last_inbound_at=last_inbound_at,
            created_at=app.clock.now(),
        )
        session.add(identity)
    return identity
