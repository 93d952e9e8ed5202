"""The project's fake Bot API (tests/fakes/telegram_api.py), extended for measuring.

- `TimedFakeTelegram`: remembers when each update became available and when each reply (a sent
  or edited message) reached it, and tells a listener at once (no polling by the residents).
  With `push` set it plays Telegram's side of webhook mode: new updates go to `push` (which
  POSTs them to the bot), not to the getUpdates queue.
- `LimitedFakeTelegram`: also enforces Telegram's limits on sending (30 a second overall, 1 a
  second per chat) and answers 429 with `parameters.retry_after` past them, counting the 429s.

Both only subclass the fake; the fake itself is unchanged.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse

from tests.fakes.telegram_api import FakeTelegram

# Called in the fake's thread: (chat id, monotonic time the reply arrived).
ReplyListener = Callable[[int, float], None]
_SENDING = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})


class TimedFakeTelegram(FakeTelegram):
    def __init__(self) -> None:
        super().__init__()
        self.available_at: dict[int, float] = {}
        self.first_get_updates: float | None = None
        self.last_reply_at: float | None = None
        self.replies_seen = 0
        self.on_reply: ReplyListener | None = None
        # Webhook mode (bench/residents.py `Webhook`): each new update goes here instead of
        # into the getUpdates queue, as Telegram posts it to a bot that has set a webhook.
        self.push: Callable[[dict[str, Any]], None] | None = None
        self._timing_lock = threading.Lock()

    def _next_message_id(self, chat_id: int) -> int:
        # The fake's own per-chat counter (its update-builder mixin only declares this method;
        # which one wins depends on the fake's base-class order, so say it here).
        with self._lock:
            value = self.state.next_message_id.get(chat_id, 1)
            self.state.next_message_id[chat_id] = value + 1
            return value

    def add_update(self, update: dict[str, Any]) -> int:
        push = self.push
        if push is None:
            update_id = super().add_update(update)
            self.available_at[update_id] = time.monotonic()
            return update_id
        with self._lock:
            update_id = int(update.get("update_id", self.state.next_update_id))
            self.state.next_update_id = max(self.state.next_update_id, update_id) + 1
        self.available_at[update_id] = time.monotonic()
        push({**update, "update_id": update_id})
        return update_id

    def add_updates_quietly(self, updates: list[dict[str, Any]]) -> None:
        """Queue many updates at once (one wake-up), all available from now."""
        now = time.monotonic()
        with self._lock:
            for update in updates:
                update_id = self.state.next_update_id
                self.state.next_update_id += 1
                self.state.updates.append({"update_id": update_id, **update})
                self.available_at[update_id] = now
        self._notify()

    def _replied(self, chat_id: int) -> None:
        now = time.monotonic()
        with self._timing_lock:
            self.last_reply_at = now
            self.replies_seen += 1
        listener = self.on_reply
        if listener is not None:
            listener(chat_id, now)

    async def _api_getUpdates(self, params: dict[str, Any]) -> JSONResponse:
        if self.first_get_updates is None:
            self.first_get_updates = time.monotonic()
        return await super()._api_getUpdates(params)

    def _store_message(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        message = super()._store_message(params, content)
        self._replied(int(params["chat_id"]))
        return message

    def _edit(self, params: dict[str, Any], text: str | None) -> JSONResponse:
        response = super()._edit(params, text)
        if response.status_code == 200:
            self._replied(int(params["chat_id"]))
        return response


def _too_many(retry_after: int) -> JSONResponse:
    """Telegram's 429, as the fake's own faults answer it."""
    return JSONResponse(
        {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        },
        status_code=429,
    )


class _Bucket:
    """A token bucket: `take(now)` is 0 when a token was there, else the seconds until one is."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now

    def take(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class LimitedFakeTelegram(TimedFakeTelegram):
    """Telegram's sending limits, as a strict server would apply them.

    Overall: 30 a second with a burst of `overall_burst` (3: ~100 ms of network jitter).
    Per chat: 1 a second; a message is refused when it comes less than `chat_spacing` seconds
    (0.9: again ~100 ms of jitter) after the last one this chat accepted.
    A refused call is a 429 with `retry_after` = the wait, rounded up to whole seconds, as
    Telegram does; it does not count against the limits.
    """

    def __init__(
        self,
        overall_rate: float = 30.0,
        overall_burst: float = 3.0,
        chat_spacing: float = 0.9,
    ) -> None:
        super().__init__()
        self.overall = _Bucket(overall_rate, overall_burst, time.monotonic())
        self.chat_spacing = chat_spacing
        self.last_in_chat: dict[int, float] = {}
        self.too_many = 0
        self.too_many_overall = 0
        self.too_many_chat = 0
        self._limit_lock = threading.Lock()

    def _refusal(self, method: str, params: dict[str, Any]) -> float:
        if method not in _SENDING and not method.startswith("send"):
            return 0.0
        chat_id = int(params.get("chat_id") or 0)
        now = time.monotonic()
        with self._limit_lock:
            last = self.last_in_chat.get(chat_id)
            if last is not None and now - last < self.chat_spacing:
                self.too_many += 1
                self.too_many_chat += 1
                return 1.0 - (now - last)
            wait = self.overall.take(now)
            if wait > 0:
                self.too_many += 1
                self.too_many_overall += 1
                return wait
            self.last_in_chat[chat_id] = now
        return 0.0

    async def _api_sendMessage(self, params: dict[str, Any]) -> JSONResponse:
        wait = self._refusal("sendMessage", params)
        if wait > 0:
            return _too_many(max(1, math.ceil(wait)))
        return await super()._api_sendMessage(params)
