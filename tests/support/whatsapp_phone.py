"""A person on a WhatsApp phone, against the real HTTP app and the fake Graph API (the
WhatsApp end-to-end tests, tests/channels/whatsapp/test_whatsapp_e2e*.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.channels.whatsapp.channel import setup
from bot.core.app import App
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.inbox import InboxProcessor
from bot.messaging.limits import RateLimiter
from bot.runtime.dispatch import dispatch
from bot.runtime.wiring import DELIVERY_HOOKS, inbox_channels
from tests.fakes import whatsapp_payloads as p
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.support.report_support import KEC_TELANAIPURA, KEL_SIMPANG_IV_SIPIN
from tests.support.whatsapp_support import (
    ACCESS_TOKEN,
    post_values,
    webhook_client,
    whatsapp_app,
)

RESIDENT = "6281311112222"
CADRE = "6281200000001"


@dataclass
class Phone:
    """One WhatsApp user: posts webhooks, lets the system run, reads what reached them."""

    number: str
    client: httpx.AsyncClient
    fake: FakeWhatsAppAPI
    processor: InboxProcessor
    worker: DeliveryWorker
    seen: int = 0
    _counter: list[int] = field(default_factory=lambda: [0])

    def _wamid(self) -> str:
        self._counter[0] += 1
        return f"wamid.{self.number}.{self._counter[0]}"

    async def post(self, value: p.Value) -> None:
        response = await post_values(self.client, value)
        assert response.status_code == 200
        await run_system(self.processor, self.worker)

    async def say(self, text: str) -> None:
        await self.post(p.text_message(self._wamid(), self.number, text))

    def inbox(self) -> list[dict[str, Any]]:
        return self.fake.to(self.number)

    def new_texts(self) -> str:
        texts = self.fake.texts_to(self.number)
        fresh, self.seen = texts[self.seen :], len(texts)
        return "\n".join(fresh)

    def _prompts(self) -> list[dict[str, Any]]:
        """Messages with buttons or a list, newest first (a person scrolls up if they must)."""
        prompts = [m for m in self.inbox() if m["type"] == "interactive"]
        assert prompts, "no buttons or list reached this phone"
        return prompts[::-1]

    @staticmethod
    def _choices(prompt: dict[str, Any]) -> list[tuple[str, str]]:
        interactive = prompt["interactive"]
        if interactive["type"] == "button":
            return [
                (b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]
            ]
        rows = [r for s in interactive["action"]["sections"] for r in s["rows"]]
        return [(r["id"], r["title"]) for r in rows]

    def _find(
        self, needle: str
    ) -> tuple[dict[str, Any], list[tuple[str, str]], list[tuple[str, str]]]:
        for prompt in self._prompts():
            choices = self._choices(prompt)
            hits = [c for c in choices if c[0].split(":")[-1] == needle] or [
                c for c in choices if needle in c[1]
            ]
            if hits:
                return prompt, choices, hits
        latest = self._prompts()[0]
        return latest, self._choices(latest), []

    async def press(self, needle: str) -> None:
        """Press the choice whose id ends in `needle` (or whose title has it), paging if needed."""
        for _ in range(6):
            prompt, choices, hits = self._find(needle)
            if not hits:
                pages = [c for c in choices if c[0].startswith("wa:pg:") and c[0] != "wa:pg:0"]
                assert pages, f"{needle!r} not among {choices}"
                hits = pages
            option_id, title = hits[0]
            build = p.button_reply if prompt["interactive"]["type"] == "button" else p.list_reply
            await self.post(
                build(self._wamid(), self.number, option_id, title, context_id=prompt["_wamid"])
            )
            if not option_id.startswith("wa:pg:"):
                return
        raise AssertionError(f"{needle!r} not found on any page")


async def run_system(processor: InboxProcessor, worker: DeliveryWorker) -> None:
    """Handle everything stored and send everything queued, until both are quiet."""
    for _ in range(10):
        handled = await processor.process_all()
        sent = await worker.drain()
        if handled == 0 and sent.claimed == 0:
            return


@dataclass
class System:
    app: App
    fake: FakeWhatsAppAPI
    client: httpx.AsyncClient
    processor: InboxProcessor
    worker: DeliveryWorker

    def phone(self, number: str) -> Phone:
        return Phone(number, self.client, self.fake, self.processor, self.worker)


@contextlib.asynccontextmanager
async def whatsapp_system(app: App) -> AsyncIterator[System]:
    """The app with WhatsApp configured, its inbox processor and delivery worker, a client."""
    async with (
        FakeWhatsAppAPI(token=ACCESS_TOKEN, phone_number_id=p.PHONE_NUMBER_ID) as fake,
        httpx.AsyncClient() as http,
    ):
        wa = whatsapp_app(app, fake.url)
        sender = setup(wa, http)
        processor = InboxProcessor(wa, dispatch=dispatch, channels=inbox_channels())
        # No rate limits here: the limiter has its own tests and would sleep for real.
        worker = DeliveryWorker(
            wa, {"whatsapp": sender}, limiter=RateLimiter({}, 1.0), hooks=DELIVERY_HOOKS
        )
        async with webhook_client(wa) as client:
            yield System(wa, fake, client, processor, worker)


async def report_on_whatsapp(resident: Phone) -> str:
    """A whole report, answering as a resident would; returns the confirmation text."""
    await resident.say("Halo")
    await resident.press("n")  # nobody in danger right now
    await resident.press("fisik")
    await resident.press("ok")
    await resident.press("6-12")
    await resident.press("p")
    # All 11 kecamatan in one Reply; the WhatsApp list pages them 9 + 2 (Telanaipura is last).
    await resident.press(KEC_TELANAIPURA)
    await resident.press(KEL_SIMPANG_IV_SIPIN)
    await resident.say("RT 03 RW 02, dekat masjid")
    await resident.post(p.location_message(resident._wamid(), resident.number, -1.6101, 103.6131))
    await resident.press("today")
    await resident.say("Anak tetangga sering dipukul ayahnya.")
    await resident.post(p.image_message(resident._wamid(), resident.number, "880011"))
    await resident.press("rumah_tangga")
    await resident.press("orang_tua")
    await resident.press("tetangga_saksi")
    resident.new_texts()
    await resident.press("send")
    return resident.new_texts()
