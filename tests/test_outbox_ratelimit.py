"""Token buckets on a virtual clock: the limits hold and no allowance is wasted."""

from __future__ import annotations

import itertools

import pytest

from bot.ratelimit import RateLimiter, TokenBucket


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window - 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_bucket_reserves_future_tokens_precisely() -> None:
    bucket = TokenBucket(rate=2, capacity=1, now=0.0)
    assert bucket.reserve(0.0) == 0.0
    assert bucket.reserve(0.0) == pytest.approx(0.5)
    assert bucket.reserve(0.0) == pytest.approx(1.0)
    assert bucket.reserve(10.0) == 0.0  # refilled, never above capacity
    assert bucket.reserve(10.0) == pytest.approx(0.5)


async def test_one_chat_waits_exactly_its_second_not_more() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"telegram": 30}, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    await limiter.acquire("telegram", "1")
    clock.now += 0.25  # some time passes before the next message
    await limiter.acquire("telegram", "1")
    assert clock.sleeps == [pytest.approx(0.75)]


async def test_many_chats_share_thirty_a_second() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"telegram": 30}, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    sent: list[tuple[float, str]] = []
    for n in range(300):
        chat = str(n % 50)
        await limiter.acquire("telegram", chat)
        sent.append((clock.now, chat))
    times = [t for t, _ in sent]
    assert max_in_window(times, 1.0) <= 30
    # Not wasted: 300 messages over 50 chats take about 10 s at 30/s, not more.
    assert times[-1] == pytest.approx(299 / 30, abs=0.01)
    for chat in {c for _, c in sent}:
        assert max_in_window([t for t, c in sent if c == chat], 1.0) <= 1


async def test_group_chats_are_held_to_twenty_a_minute() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"telegram": 30}, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    times = []
    for _ in range(25):
        await limiter.acquire("telegram", "-100123")
        times.append(clock.now)
    assert max_in_window(times, 60.0) <= 20


async def test_channels_without_a_rate_are_not_held() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"telegram": 30}, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(100):
        await limiter.acquire("terminal", "1")
    assert clock.sleeps == []


def test_bucket_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0, capacity=1, now=0)


async def test_a_chat_is_spaced_from_its_actual_send_not_its_reservation() -> None:
    """Waiting for the channel's token must not let the chat's next message come early."""
    clock = VirtualTime()
    limiter = RateLimiter({"telegram": 2}, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    sent: dict[str, list[float]] = {"a": [], "b": []}
    for chat in ("b", "a"):  # "a" waits 0.5 s for the channel's token behind "b"
        await limiter.acquire("telegram", chat)
        sent[chat].append(clock.now)
    await limiter.acquire("telegram", "a")
    sent["a"].append(clock.now)
    assert sent["a"][0] == pytest.approx(0.5)
    assert sent["a"][1] - sent["a"][0] >= 1.0 - 1e-9


async def test_back_to_back_messages_to_one_chat_go_once_a_second_not_slower() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"telegram": 30}, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    times = []
    for _ in range(10):
        await limiter.acquire("telegram", "1")
        times.append(clock.now)
        clock.now += 0.05  # the send itself
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps == [pytest.approx(1.0)] * 9
