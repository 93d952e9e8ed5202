"""kill -9 during a send: the restarted `patbm run` (long polling) sends the reply again at
once, through the lease take-over, not when the lease runs out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.db import Database
from tests.fakes.telegram_api import FakeTelegram
from tests.support.e2e_helpers import PatbmProcess
from tests.support.factories import jambi
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

# Far longer than the test waits: a resend can only come from the take-over at start.
LEASE_SECONDS = 600


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


async def test_a_message_in_flight_at_a_kill_is_sent_again_right_after_the_restart(
    db: Database, database_url: str, fake: FakeTelegram, tmp_path: Path, clock: Any
) -> None:
    async with db.transaction() as session:
        await jambi(session)
    env = {"PATBM_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS)}
    first = PatbmProcess(database_url, fake.api_url, fake.token, tmp_path, extra_env=env)
    second = PatbmProcess(database_url, fake.api_url, fake.token, tmp_path, extra_env=env)
    try:
        await asyncio.to_thread(first.start)
        fake.hang("sendMessage")
        fake.text_update(4301, "halo")
        await eventually(lambda: fake.calls_to("sendMessage"), within=30)
        first.kill()
        fake.release("sendMessage")
        assert fake.messages(4301) == []
        sends_before = len(fake.calls_to("sendMessage"))

        launched = time.monotonic()
        await asyncio.to_thread(second.start)
        await eventually(lambda: fake.messages(4301), within=60)
        resend = fake.calls_to("sendMessage")[sends_before]
        # From the launch of the new process, its start-up (imports, getMe) included.
        seconds = resend.at - launched
        print(f"resent {seconds:.2f} s after the restart (lease {LEASE_SECONDS} s)")
        assert seconds < LEASE_SECONDS
        assert second.terminate() == 0
    finally:
        first.ensure_stopped()
        second.ensure_stopped()
