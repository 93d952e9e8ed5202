"""Token buckets for outgoing messages: per channel (Telegram about 30/s) and per chat (1/s).

The per-chat rule: a private chat may get `chat_burst` messages at once (3 by default, from
the settings), then one a second sustained (a bucket of 3 tokens refilled at 1/s), so a reply
of two or three messages arrives whole instead of a second apart; Telegram allows such short
bursts in a private chat. A group chat gets no burst and 20 a minute. The channel's limit (30/s
for Telegram) holds over all chats, bursts included.

A send *reserves* a token: the bucket may go below zero, and the caller sleeps exactly until its
token is due (deficit / rate), never a full period when the token comes sooner. Time is a
monotonic function and sleeping is a function too, so tests drive both.

A channel's tokens are handed out one sender at a time, each counted from the moment the
previous sender actually went (woke from its sleep), not from when it was due. Reserving them
all ahead of time let event-loop lag wake several senders late at once, and they then reached
Telegram in a bunch, over its limit (429s in the delivery bench).

These limits hold per process. Several instances share the platform's limit, so give each a
share of it (`PATBM_TELEGRAM_RATE_PER_SECOND`); per-chat order across instances is the outbox's
job (one row of a chat at a time), not this module's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.settings import Settings

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Telegram allows about 20 messages a minute in a group (negative chat ids).
TELEGRAM_GROUP_RATE = 20 / 60


class TokenBucket:
    def __init__(self, rate: float, capacity: float, now: float) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a bucket needs a positive rate and room for one token")
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)

    def reserve(self, now: float) -> float:
        """Take one token; returns how long to wait before using it (0 when it is there)."""
        self._refill(now)
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def restart(self, now: float) -> None:
        """Count the next token from `now`: the moment the message actually went out."""
        self._refill(now)
        self.tokens = min(self.tokens, 0.0)

    def skip(self, start: float, end: float) -> None:
        """Credit no tokens for `start`..`end` (the message waited for the channel's token), so
        the chat's next token is counted from the moment this message actually went out."""
        self._refill(start)
        self.updated = max(self.updated, end)

    def is_full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


class RateLimiter:
    """Waits until a message to (channel, chat) may go out; channels without a rate are free."""

    MAX_CHAT_BUCKETS = 10_000
    # How late (in token periods) a channel's sender may wake before the next token is counted
    # from its actual send: sends come at most this much closer together than 1/rate.
    LATE_TOLERANCE = 0.25

    def __init__(
        self,
        channel_rates: dict[str, float],
        chat_rate: float,
        *,
        chat_burst: float = 1.0,
        channel_burst: float = 1.0,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.channel_rates = dict(channel_rates)
        self.chat_rate = chat_rate
        self.chat_burst = chat_burst
        self.channel_burst = channel_burst
        self.monotonic = monotonic
        self.sleep = sleep
        self._channels: dict[str, TokenBucket] = {}
        self._channel_turns: dict[str, asyncio.Lock] = {}
        self._chats: dict[tuple[str, str], TokenBucket] = {}

    def _chat_bucket(self, channel: str, chat_id: str, now: float) -> TokenBucket:
        if channel == "telegram" and chat_id.startswith("-"):
            return TokenBucket(min(self.chat_rate, TELEGRAM_GROUP_RATE), 1.0, now)
        return TokenBucket(self.chat_rate, self.chat_burst, now)

    async def acquire(self, channel: str, chat_id: str) -> None:
        if channel not in self.channel_rates:
            return
        now = self.monotonic()
        key = (channel, chat_id)
        chat = self._chats.get(key)
        if chat is None:
            self._prune(now)
            chat = self._chats[key] = self._chat_bucket(channel, chat_id, now)
        wait = chat.reserve(now)
        if wait > 0:
            await self.sleep(wait)
        # The channel's token is taken only when the chat's is due, so waiting for a slow chat
        # does not hold back a token other chats could use.
        await self._channel_token(channel)
        # Waiting for the channel's token delayed this send; the chat's next message must still
        # come a full period after it (the outbox sends one message of a chat at a time).
        chat.skip(now + wait, self.monotonic())

    async def _channel_token(self, channel: str) -> None:
        turn = self._channel_turns.get(channel)
        if turn is None:
            turn = self._channel_turns[channel] = asyncio.Lock()
        async with turn:
            bucket = self._channels.get(channel)
            now = self.monotonic()
            if bucket is None:
                rate = self.channel_rates[channel]
                bucket = self._channels[channel] = TokenBucket(rate, self.channel_burst, now)
            wait = bucket.reserve(now)
            if wait > 0:
                await self.sleep(wait)
                # Woken late (a busy event loop), the next token comes a full period after
                # this one actually goes, not when it was due. A timer's usual lateness (a
                # millisecond or two) is let pass: restarting on it would cost that much rate
                # on every message.
                woke = self.monotonic()
                if woke - (now + wait) > self.LATE_TOLERANCE / bucket.rate:
                    bucket.restart(woke)

    def _prune(self, now: float) -> None:
        if len(self._chats) < self.MAX_CHAT_BUCKETS:
            return
        for key in [k for k, b in self._chats.items() if b.is_full(now)]:
            del self._chats[key]


def limiter_from_settings(s: Settings, **time_source: Any) -> RateLimiter:
    """The limits of the settings; `monotonic=`, `sleep=` replace the time source (tests)."""
    return RateLimiter(
        {"telegram": s.telegram_rate_per_second, "whatsapp": s.whatsapp_rate_per_second},
        s.chat_rate_per_second,
        chat_burst=s.chat_burst,
        **time_source,
    )
