"""Token buckets on a virtual clock: the limits hold and no allowance is wasted."""

from __future__ import annotations

import asyncio
import heapq
import itertools

import pytest

from bot.messaging.limits import RateLimiter, TokenBucket


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


class StallingTime:
    """Virtual time for concurrent senders, with an event loop that stalls now and then.

    `sleep` parks the caller until the virtual clock reaches its wake time; `run` moves the
    clock from one wake time to the next. A stall holds the loop for a while: everyone due in
    it wakes together at its end, as when a busy event loop runs late timers all at once.
    """

    def __init__(self, stalls: dict[int, float], lateness: float = 0.0) -> None:
        self.now = 0.0
        self.stalls = dict(stalls)  # the n-th wake-up (counted from 0) -> seconds held
        self.lateness = lateness  # every timer fires this much late
        self._wakes = 0
        self._parked: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._parked, (self.now + seconds, next(self._seq), future))
        await future

    async def _settle(self) -> None:
        for _ in range(50):  # a real yield: lets woken tasks run until they park again
            await asyncio.sleep(0)

    async def run(self, tasks: list[asyncio.Task[None]]) -> None:
        await self._settle()
        while self._parked:
            due = self._parked[0][0]
            stall = self.stalls.pop(self._wakes, 0.0) + self.lateness
            self._wakes += 1
            self.now = max(self.now, due + stall)
            while self._parked and self._parked[0][0] <= self.now:
                heapq.heappop(self._parked)[2].set_result(None)
            await self._settle()
        await asyncio.gather(*tasks)


def refused_by_telegram(times: list[float], rate: float = 30, burst: float = 3) -> int:
    """How many of these arrivals a strict token bucket (the bench's fake) would refuse."""
    tokens, last, refused = burst, 0.0, 0
    for t in sorted(times):
        tokens = min(burst, tokens + (t - last) * rate)
        last = t
        if tokens >= 1:
            tokens -= 1
        else:
            refused += 1
    return refused


async def test_a_stalled_event_loop_does_not_bunch_the_channels_sends() -> None:
    """Senders woken late together still go out 1/rate apart, counted from the actual send."""
    clock = StallingTime(stalls={5: 0.3, 40: 0.5})
    limiter = RateLimiter({"telegram": 30}, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    sent: list[float] = []

    async def send(chat: str) -> None:
        await limiter.acquire("telegram", chat)
        sent.append(clock.now)

    tasks = [asyncio.create_task(send(str(n))) for n in range(120)]
    await clock.run(tasks)
    assert len(sent) == 120
    gaps = [b - a for a, b in itertools.pairwise(sorted(sent))]
    assert min(gaps) >= (1 - RateLimiter.LATE_TOLERANCE) / 30 - 1e-9
    assert refused_by_telegram(sent) == 0
    # Not slower than the rate plus the time the loop was held.
    assert max(sent) <= 119 / 30 + 0.8 + 1e-6


async def test_a_timers_usual_lateness_costs_no_rate() -> None:
    clock = StallingTime(stalls={}, lateness=0.002)
    limiter = RateLimiter({"telegram": 30}, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    sent: list[float] = []

    async def send(chat: str) -> None:
        await limiter.acquire("telegram", chat)
        sent.append(clock.now)

    tasks = [asyncio.create_task(send(str(n))) for n in range(300)]
    await clock.run(tasks)
    # Counting every token from the late wake-up would take 299 * (1/30 + 0.002) = 10.6 s.
    assert max(sent) == pytest.approx(299 / 30 + 0.002, abs=1e-6)
    assert refused_by_telegram(sent) == 0
