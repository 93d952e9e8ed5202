"""A person on Telegram, as the fake Bot API shows the chat to them.

They read the chat's messages (edits applied) and the buttons under them, and act as a person
does: press the button whose label holds the words their story gives (`press("fisik")` presses
"Kekerasan fisik"), type a plain answer, share their own contact (Telegram's "share my contact":
`contact.user_id` is their own id), or press the contact button of a reply keyboard. They never
use an option id known from the code: the callback data they send is the one on the button
they pressed, as Telegram does. Every action is counted (`actions`), and each one waits until
the bot has answered it (World.settled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakes.telegram_api import Call, FakeTelegram
from tests.journeys.harness import World
from tests.support.waiting import eventually


def normalised(text: str) -> str:
    """What a reader matches on: case, dashes and spacing do not matter."""
    for dash in ("–", "—", "‑"):
        text = text.replace(dash, "-")
    return " ".join(text.lower().split())


class TelegramPerson:
    def __init__(self, world: World, user_id: int, phone: str = "") -> None:
        assert world.telegram is not None
        self.world = world
        self.fake: FakeTelegram = world.telegram
        self.user_id = user_id
        self.phone = phone
        self.actions = 0
        self.read_up_to = 0  # how many messages were read (by `hear`)
        self.last_calls: list[Call] = []  # the Bot API calls that answered the last action

    # -- reading ------------------------------------------------------------------------------

    def messages(self) -> list[dict[str, Any]]:
        return self.fake.messages(self.user_id)

    def texts(self) -> list[str]:
        return self.fake.texts(self.user_id)

    def everything(self) -> str:
        return "\n\n".join(self.texts())

    def _seen(self) -> dict[int, tuple[Any, ...]]:
        return {
            int(m["message_id"]): (m.get("text"), m.get("caption"), m.get("edited"))
            for m in self.messages()
        }

    def _changed_since(self, before: dict[int, tuple[Any, ...]]) -> str:
        """The messages that are new or were edited since `before` (what the person reads)."""
        changed = [
            str(m.get("text") or m.get("caption") or "")
            for m in self.messages()
            if before.get(int(m["message_id"]))
            != (m.get("text"), m.get("caption"), m.get("edited"))
        ]
        return "\n\n".join(changed)

    def prompts(self) -> list[dict[str, Any]]:
        """Messages with buttons, newest first (a person scrolls up only when they must)."""
        return [m for m in reversed(self.messages()) if _buttons(m)]

    def labels(self) -> list[str]:
        prompts = self.prompts()
        return [b["text"] for b in _buttons(prompts[0])] if prompts else []

    def reply_keyboard(self) -> list[dict[str, Any]]:
        """The reply keyboard shown under the input field (the newest one not removed)."""
        for message in reversed(self.messages()):
            markup = message.get("reply_markup") or {}
            if markup.get("remove_keyboard"):
                return []
            if markup.get("keyboard"):
                return [b for row in markup["keyboard"] for b in row]
        return []

    # -- acting -------------------------------------------------------------------------------

    async def _act(self, put: Callable[[], int]) -> str:
        self.actions += 1
        calls_before = len(self.fake.calls)
        before = self._seen()
        update_id = put()
        await self.world.settled("telegram", str(self.user_id), str(update_id))
        self.last_calls = [
            c
            for c in self.fake.calls[calls_before:]
            if str(c.params.get("chat_id")) == str(self.user_id)
        ]
        self.read_up_to = len(self.messages())
        return self._changed_since(before)

    async def type(self, text: str) -> str:
        return await self._act(lambda: self.fake.text_update(self.user_id, text))

    async def start(self) -> str:
        """Press START (Telegram sends /start)."""
        return await self.type("/start")

    async def press(self, *words: str) -> str:
        """Press the button (newest message first) whose label holds every one of `words`."""
        found = self._find(words)
        if found is not None:
            data, message_id = found
            return await self._act(
                lambda: self.fake.callback_update(self.user_id, data, message_id)
            )
        wanted = [normalised(w) for w in words]
        for button in self.reply_keyboard():
            if all(w in normalised(button["text"]) for w in wanted):
                if button.get("request_contact"):
                    return await self.share_own_contact()
                return await self.type(str(button["text"]))
        raise AssertionError(f"no button {words} on screen; last buttons: {self.labels()}")

    def _find(self, words: tuple[str, ...]) -> tuple[str, int] | None:
        """The callback data and message of the inline button that fits, newest first."""
        wanted = [normalised(w) for w in words]
        for message in self.prompts():
            hits = [b for b in _buttons(message) if all(w in normalised(b["text"]) for w in wanted)]
            if len(hits) > 1:
                raise AssertionError(f"{words} fits {[b['text'] for b in hits]}")
            if hits:
                return str(hits[0]["callback_data"]), int(message["message_id"])
        return None

    async def share_own_contact(self) -> str:
        """Share my own number (attachment menu or the contact button): user_id is mine."""
        assert self.phone, "this person has no phone number"
        return await self._act(
            lambda: self.fake.contact_update(self.user_id, self.phone, contact_user_id=self.user_id)
        )

    async def forward_contact_of(self, phone: str, user_id: int | None) -> str:
        return await self._act(lambda: self.fake.contact_update(self.user_id, phone, user_id))

    def catch_up(self) -> None:
        """Read everything so far: `hear` then waits for what arrives after this."""
        self.read_up_to = len(self.messages())

    async def hear(self, *words: str, within: float = 30.0) -> str:
        """Wait until a message holding every one of `words` arrives (sent by others' actions)."""
        wanted = [normalised(w) for w in words]
        start = self.read_up_to

        def arrived() -> str:
            fresh = self.texts()[start:]
            return next((t for t in fresh if all(w in normalised(t) for w in wanted)), "")

        text = await eventually(
            arrived,
            within=within,
            what=lambda: f"{self.user_id} did not hear {words}; heard {self.texts()[start:]}",
        )
        self.read_up_to = len(self.texts())
        return text


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]
