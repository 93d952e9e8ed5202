"""Scripted residents: each completes a full report through the fake, one step at a time.

A resident sends its next message only when the bot's answer to the previous one has arrived
(the prompt of the next question is the chat's latest message), pressing buttons by the
callback data in that message's inline keyboard. Choices are random but sensible (a category,
an age group, a kecamatan and kelurahan among those shown, ...). Option ids are those of
handlers/report/ (`r:<step>:<value>`).

Latency of a step: from the update becoming available at the fake to the first reply (a sent or
edited message) for that chat reaching the fake.

Without a `Pace` a resident answers the instant the question arrives: a closed loop that keeps
N updates outstanding at all times, which measures throughput at saturation. With a `Pace` it
first "reads and taps" (or types) for a random time, as a person on a phone does, which measures
the latency people feel when N of them report at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from bench.fakes import TimedFakeTelegram

STEP_TIMEOUT = 60.0
LOCATIONS = ("RT 03 RW 02, dekat masjid", "Jl. Kapten Pattimura, gang 5", "dekat SD negeri")
STORIES = (
    "Anak tetangga sering dipukul ayahnya, terdengar menangis tiap malam.",
    "Seorang anak tidak sekolah dan disuruh bekerja sampai malam.",
    "Anak perempuan diejek dan didorong teman-temannya setiap pulang sekolah.",
)

Message = dict[str, Any]


@dataclass(frozen=True)
class Pace:
    """Think time before each step, in seconds: (low, high) for a tap, and for typing a text."""

    tap: tuple[float, float] = (1.0, 3.0)
    typing: tuple[float, float] = (4.0, 8.0)

    def think(self, rng: random.Random, typing: bool) -> float:
        low, high = self.typing if typing else self.tap
        return rng.uniform(low, high)


HUMAN_PACE = Pace()
Check = Callable[[list[Message]], bool]


def buttons(message: Message) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [
        str(button.get("callback_data"))
        for row in markup.get("inline_keyboard", [])
        for button in row
        if button.get("callback_data")
    ]


def latest(messages: list[Message]) -> Message | None:
    return messages[-1] if messages else None


def asks(step: str) -> Check:
    """The chat's latest message is the question of `step`."""

    def check(messages: list[Message]) -> bool:
        last = latest(messages)
        return last is not None and any(b.startswith(f"r:{step}:") for b in buttons(last))

    return check


def category_ticked(messages: list[Message]) -> bool:
    last = latest(messages)
    if last is None:
        return False
    markup = last.get("reply_markup") or {}
    return any(
        "✅" in str(button.get("text"))
        for row in markup.get("inline_keyboard", [])
        for button in row
    )


def confirmed(messages: list[Message]) -> bool:
    return any("/status " in str(m.get("text") or "") for m in messages[-2:])


class Webhook:
    """Telegram's side of webhook mode: POSTs each update to `patbm run` with the secret token.

    A method in the 200's body (the answer to a button press, `answerCallbackQuery`) is what
    Telegram would then call; it needs nothing from the fake, so it is not replayed there.
    """

    def __init__(self, url: str, secret: str) -> None:
        self.url = url
        self.secret = secret
        self.errors: list[str] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Webhook:
        # Telegram opens up to 40 connections to a webhook by default.
        self._client = httpx.AsyncClient(limits=httpx.Limits(max_connections=40), timeout=60)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def push(self, update: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._post(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, update: dict[str, Any]) -> None:
        assert self._client is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret}
        response = await self._client.post(self.url, json=update, headers=headers)
        if response.status_code != 200:
            self.errors.append(f"webhook answered {response.status_code}")


class Driver:
    """Hears every reply from the fake (in its thread) and wakes the resident of that chat."""

    def __init__(self, fake: TimedFakeTelegram, loop: asyncio.AbstractEventLoop) -> None:
        self.fake = fake
        self.loop = loop
        self.reply_times: dict[int, list[float]] = {}
        self.events: dict[int, asyncio.Event] = {}
        fake.on_reply = self._heard

    def _heard(self, chat_id: int, at: float) -> None:
        self.loop.call_soon_threadsafe(self._signal, chat_id, at)

    def _signal(self, chat_id: int, at: float) -> None:
        self.reply_times.setdefault(chat_id, []).append(at)
        event = self.events.get(chat_id)
        if event is not None:
            event.set()

    async def act(self, chat: int, send: Callable[[], int], expect: Check) -> tuple[float, float]:
        """Send one update; wait until `expect` holds. The latency of the first reply, and the
        time from the first reply to the last one heard by then (a reply of several messages,
        or an edit and a new message, arrives spread over this)."""
        event = self.events.setdefault(chat, asyncio.Event())
        event.clear()
        update_id = send()
        available = self.fake.available_at[update_id]
        deadline = time.monotonic() + STEP_TIMEOUT
        while not expect(self.fake.messages(chat)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"chat {chat}: no answer in {STEP_TIMEOUT:.0f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 1.0))
            event.clear()
        heard = [t for t in self.reply_times.get(chat, []) if t >= available]
        if not heard:
            return time.monotonic() - available, 0.0
        return heard[0] - available, heard[-1] - heard[0]


@dataclass
class Resident:
    chat: int
    rng: random.Random
    pace: Pace | None = None
    latencies: list[float] = field(default_factory=list)
    spreads: list[float] = field(default_factory=list)  # first to last message of a reply
    updates: int = 0
    error: str | None = None
    # A file id the fake serves (bench/load.py): the story goes as this photo's caption.
    photo: str | None = None

    def _press(self, driver: Driver, choose: Callable[[list[str]], str]) -> Callable[[], int]:
        def send() -> int:
            last = latest(driver.fake.messages(self.chat))
            assert last is not None
            data = choose(buttons(last))
            return driver.fake.callback_update(self.chat, data, int(last["message_id"]))

        return send

    def _pick(self, step: str, exclude: tuple[str, ...] = ()) -> Callable[[list[str]], str]:
        def choose(found: list[str]) -> str:
            values = [
                b for b in found if b.startswith(f"r:{step}:") and b.split(":", 2)[2] not in exclude
            ]
            return self.rng.choice(values)

        return choose

    @staticmethod
    def _exact(data: str) -> Callable[[list[str]], str]:
        return lambda found: data

    async def _step(
        self, driver: Driver, send: Callable[[], int], expect: Check, *, typing: bool = False
    ) -> None:
        if self.pace is not None:
            await asyncio.sleep(self.pace.think(self.rng, typing))
        latency, spread = await driver.act(self.chat, send, expect)
        self.latencies.append(latency)
        self.spreads.append(spread)
        self.updates += 1

    async def report(self, driver: Driver) -> None:
        fake, rng = driver.fake, self.rng
        skip = ("-", ">")
        try:
            await self._step(driver, lambda: fake.text_update(self.chat, "/lapor"), asks("danger"))
            await self._step(driver, self._press(driver, self._exact("r:danger:n")), asks("cat"))
            await self._step(
                driver, self._press(driver, self._pick("cat", ("ok",))), category_ticked
            )
            await self._step(driver, self._press(driver, self._exact("r:cat:ok")), asks("age"))
            await self._step(driver, self._press(driver, self._pick("age")), asks("sex"))
            await self._step(driver, self._press(driver, self._pick("sex")), asks("kec"))
            # Only places (codes with dots), not the page buttons.
            await self._step(driver, self._press(driver, self._place("kec")), asks("kel"))
            await self._step(driver, self._press(driver, self._place("kel")), asks("loc"))
            location = rng.choice(LOCATIONS)
            await self._step(
                driver, lambda: fake.text_update(self.chat, location), asks("when"), typing=True
            )
            await self._step(driver, self._press(driver, self._pick("when", skip)), asks("desc"))
            story = rng.choice(STORIES)
            if self.photo is None:
                await self._step(
                    driver, lambda: fake.text_update(self.chat, story), asks("place"), typing=True
                )
            else:
                photo, answered = self._photo(driver, self.photo, story)
                await self._step(driver, photo, answered, typing=True)
                await self._step(
                    driver, self._press(driver, self._exact("r:desc:ok")), asks("place")
                )
            await self._step(driver, self._press(driver, self._pick("place", skip)), asks("rel"))
            await self._step(driver, self._press(driver, self._pick("rel", skip)), asks("role"))
            await self._step(driver, self._press(driver, self._pick("role", skip)), asks("summary"))
            # Contact or anonymous is chosen with the send button.
            send = rng.choice(("r:summary:send", "r:summary:anon"))
            await self._step(driver, self._press(driver, self._exact(send)), confirmed)
        except (TimeoutError, AssertionError, IndexError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"

    def _photo(self, driver: Driver, file_id: str, caption: str) -> tuple[Callable[[], int], Check]:
        """Send the photo; answered when a newer message asks the story's question again."""
        before: list[int] = []

        def send() -> int:
            last = latest(driver.fake.messages(self.chat))
            before.append(int(last["message_id"]) if last is not None else 0)
            return driver.fake.photo_update(self.chat, file_id, caption=caption)

        def answered(messages: list[Message]) -> bool:
            last = latest(messages)
            return last is not None and int(last["message_id"]) > before[0] and asks("desc")([last])

        return send, answered

    def _place(self, step: str) -> Callable[[list[str]], str]:
        def choose(found: list[str]) -> str:
            values = [b for b in found if b.startswith(f"r:{step}:") and "." in b]
            return self.rng.choice(values)

        return choose
