"""A person on WhatsApp: writes to the bot (signed webhook POSTs into `patbm run`, as Meta
sends them) and reads what the bot sent them through the fake Graph API.

They press the reply button or list row whose title holds the words of their story, as the
phone shows it (the id sent back is the one on that button, as WhatsApp does); when a long list
is paged, they open the next page by its "Berikutnya" row. Every action is counted (a page
turn too), and each
waits until the bot has answered it (World.settled).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx

from tests.fakes import whatsapp_payloads as wa
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.journeys.harness import World
from tests.journeys.telegram_person import normalised
from tests.support.waiting import eventually
from tests.support.whatsapp_support import APP_SECRET

_wamids = itertools.count(1)
MAX_PAGES = 6


class WhatsAppPerson:
    def __init__(self, world: World, number: str) -> None:
        assert world.whatsapp is not None
        self.world = world
        self.fake: FakeWhatsAppAPI = world.whatsapp
        self.number = number
        self.actions = 0
        self.read_up_to = 0

    # -- reading ------------------------------------------------------------------------------

    def messages(self) -> list[dict[str, Any]]:
        return self.fake.to(self.number)

    def texts(self) -> list[str]:
        return self.fake.texts_to(self.number)

    def _choices(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        if message.get("type") != "interactive":
            return []
        interactive = message["interactive"]
        action = interactive["action"]
        if interactive["type"] == "button":
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        return [(r["id"], r["title"]) for s in action["sections"] for r in s["rows"]]

    def labels(self) -> list[str]:
        prompts = [m for m in reversed(self.messages()) if self._choices(m)]
        return [title for _, title in self._choices(prompts[0])] if prompts else []

    # -- acting -------------------------------------------------------------------------------

    async def _post(self, value: wa.Value, wamid: str) -> str:
        # Sent now, as a phone does (the payload builders' fixed time is the unit tests' clock).
        value["messages"][0]["timestamp"] = str(int(time.time()))
        body = wa.envelope(value)
        async with httpx.AsyncClient(base_url=self.world.running.url, timeout=30) as client:
            response = await client.post(
                "/webhooks/whatsapp", content=body, headers=wa.signed(body, APP_SECRET)
            )
        assert response.status_code == 200, response.text
        await self.world.settled("whatsapp", self.number, wamid)
        fresh = self.texts()[self.read_up_to :]
        self.read_up_to = len(self.texts())
        return "\n\n".join(fresh)

    def _wamid(self) -> str:
        return f"wamid.journey.{self.number}.{next(_wamids)}"

    async def say(self, text: str) -> str:
        self.actions += 1
        wamid = self._wamid()
        return await self._post(wa.text_message(wamid, self.number, text), wamid)

    async def press(self, *words: str) -> str:
        """Press the button or row (newest message first) whose title holds every word."""
        self.actions += 1
        wanted = [normalised(w) for w in words]
        for _ in range(MAX_PAGES):
            prompts = [m for m in reversed(self.messages()) if self._choices(m)]
            assert prompts, f"{self.number} has no buttons to press"
            for message in prompts:
                hits = [
                    c for c in self._choices(message) if all(w in normalised(c[1]) for w in wanted)
                ]
                if hits:
                    return await self._choose(message, *hits[0])
            # Not on this page of the newest list: open the next page, as a person scrolls on.
            newest = prompts[0]
            pages = [c for c in self._choices(newest) if "berikutnya" in normalised(c[1])]
            assert pages, f"no {words} among {self.labels()}"
            self.actions += 1  # opening the next page is a press too
            await self._choose(newest, *pages[0])
        raise AssertionError(f"{words} not found on {MAX_PAGES} pages")

    async def _choose(self, message: dict[str, Any], option_id: str, title: str) -> str:
        wamid = self._wamid()
        build = wa.button_reply if message["interactive"]["type"] == "button" else wa.list_reply
        value = build(wamid, self.number, option_id, title, context_id=message["_wamid"])
        return await self._post(value, wamid)

    def catch_up(self) -> None:
        self.read_up_to = len(self.texts())

    async def hear(self, *words: str, within: float = 30.0) -> str:
        """Wait until a message holding every one of `words` arrives (others' actions)."""
        wanted = [normalised(w) for w in words]
        start = self.read_up_to

        def arrived() -> str:
            fresh = self.texts()[start:]
            return next((t for t in fresh if all(w in normalised(t) for w in wanted)), "")

        text = await eventually(
            arrived,
            within=within,
            what=lambda: f"{self.number} did not hear {words}: {self.texts()[start:]}",
        )
        self.read_up_to = len(self.texts())
        return text
