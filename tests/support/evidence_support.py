"""Both channels at once, over real HTTP to the fakes: a WhatsApp resident, Telegram staff.

WhatsApp webhooks (signed) and Telegram webhook updates (with the secret) go into the real HTTP
app of `patbm run` in process; the inbox processor, the evidence fetcher and the delivery worker
run as in production, against the fake Graph API and the fake Bot API on 127.0.0.1.
`await system.settle()` runs them all until nothing is left to do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from bot.channels.telegram import sender as tg
from bot.channels.whatsapp.channel import setup as whatsapp_setup
from bot.core.app import App
from bot.evidence.fetch import TelegramFetcher, WhatsAppFetcher
from bot.evidence.worker import fetch_due
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.inbox import InboxProcessor
from bot.messaging.limits import RateLimiter
from bot.messaging.sending import Sender
from bot.runtime.dispatch import dispatch
from bot.runtime.http import TELEGRAM_SECRET_HEADER, build_http_app
from bot.runtime.wiring import DELIVERY_HOOKS, inbox_channels
from tests.fakes import whatsapp_payloads as p
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.support.whatsapp_support import ACCESS_TOKEN, post_values, whatsapp_settings

TG_SECRET = "evidence-webhook-secret"


@dataclass
class TwoChannels:
    app: App
    wa: FakeWhatsAppAPI
    tg: FakeTelegram
    client: httpx.AsyncClient
    processor: InboxProcessor
    worker: DeliveryWorker
    fetchers: dict[str, Any]
    counter: list[int] = field(default_factory=lambda: [0])

    async def settle(self) -> None:
        for _ in range(20):
            handled = await self.processor.process_all()
            fetched = await fetch_due(self.app, self.fetchers)
            sent = await self.worker.drain()
            if handled == 0 and fetched.handled == 0 and sent.claimed == 0:
                return
        raise AssertionError("the system did not settle")

    def wamid(self) -> str:
        self.counter[0] += 1
        return f"wamid.EV{self.counter[0]:05d}"

    async def whatsapp(self, value: p.Value) -> None:
        response = await post_values(self.client, value)
        assert response.status_code == 200
        await self.settle()

    async def telegram(self, update: dict[str, Any]) -> None:
        response = await self.client.post(
            "/webhooks/telegram", json=update, headers={TELEGRAM_SECRET_HEADER: TG_SECRET}
        )
        assert response.status_code == 200
        await self.settle()

    async def tg_text(self, user_id: int, text: str) -> None:
        await self.telegram(self.tg.make_update(user_id, self.tg.message_body(user_id, text=text)))

    async def tg_press(self, user_id: int, data: str, message_id: int | None = None) -> None:
        """Press a button (by its data) on the chat's newest message, or on `message_id`."""
        messages = self.tg.messages(user_id)
        target = message_id or (int(messages[-1]["message_id"]) if messages else 1)
        body = self.tg.callback_body(user_id, data, target)
        await self.telegram(self.tg.make_update(user_id, body, kind="callback_query"))

    def tg_buttons(self, user_id: int) -> list[tuple[str, str, int]]:
        """(data, label, message id) of every button the chat has, newest message first."""
        found: list[tuple[str, str, int]] = []
        for message in reversed(self.tg.messages(user_id)):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    found.append(
                        (button["callback_data"], button["text"], int(message["message_id"]))
                    )
        return found


def _settings(app: App, wa_url: str, fake: FakeTelegram) -> App:
    settings = whatsapp_settings(app.settings, wa_url).model_copy(
        update={
            "telegram_token": fake.token_secret,
            "telegram_api_url": fake.api_url,
            "telegram_webhook_url": "https://bot.example.org/webhooks/telegram",
            "telegram_webhook_secret": SecretStr(TG_SECRET),
        }
    )
    return App(settings=settings, db=app.db, clock=app.clock, keyring=app.keyring)


@asynccontextmanager
async def two_channels(app: App, fake_tg: FakeTelegram) -> AsyncIterator[TwoChannels]:
    async with (
        FakeWhatsAppAPI(token=ACCESS_TOKEN, phone_number_id=p.PHONE_NUMBER_ID) as wa,
        httpx.AsyncClient() as http,
    ):
        both = _settings(app, wa.url, fake_tg)
        wa_sender = whatsapp_setup(both, http)
        bot = tg.build_bot(both.settings, read_timeout=5.0)
        await bot.initialize()
        senders: dict[str, Sender] = {"whatsapp": wa_sender, "telegram": tg.TelegramSender(bot)}
        worker = DeliveryWorker(
            both, senders, limiter=RateLimiter({}, 1000.0), hooks=DELIVERY_HOOKS
        )
        fetchers: dict[str, Any] = {
            "telegram": TelegramFetcher(http, fake_tg.api_url, fake_tg.token),
            "whatsapp": WhatsAppFetcher(http, wa.url, "v23.0", ACCESS_TOKEN),
        }
        transport = httpx.ASGITransport(app=build_http_app(both))
        async with httpx.AsyncClient(transport=transport, base_url="http://patbm.test") as client:
            try:
                yield TwoChannels(
                    both,
                    wa,
                    fake_tg,
                    client,
                    InboxProcessor(both, dispatch=dispatch, channels=inbox_channels()),
                    worker,
                    fetchers,
                )
            finally:
                await bot.shutdown()


def running_fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake
