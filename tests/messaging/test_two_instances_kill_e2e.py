"""At least once, bounded: two `patbm run` instances in webhook mode share one PostgreSQL
database; one is killed with SIGKILL in the middle of a burst.

Checked: every update is answered; messages sent twice are at most the killed instance's
concurrent sends (`PATBM_OUTBOX_BATCH_SIZE`, its sends in flight); the survivor takes over the
dead one's leases within seconds (instance heartbeats, bot/messaging/instances.py), not after the lease.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.core.db import Database
from models import InboxUpdate, OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.support import dbutil
from tests.support.e2e_helpers import PatbmProcess
from tests.support.factories import jambi
from tests.support.waiting import eventually

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not dbutil.is_postgres(),
        reason="several instances on one database is the PostgreSQL deployment (SQLite: one)",
    ),
]

SECRET = "two-instances-webhook-secret"
USERS = [6001 + n for n in range(30)]
CONCURRENT_SENDS = 6  # the killed instance's sends in flight at most
LEASE_SECONDS = 60  # the default: a take-over that waited for it would fail the test


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


async def _scalar(url: str, query: Any) -> int:
    database = Database(url)
    try:
        async with database.transaction() as session:
            return int(await session.scalar(query) or 0)
    finally:
        await database.dispose()


async def _post(client: httpx.AsyncClient, fake: FakeTelegram, user: int) -> None:
    update = fake.make_update(user, fake.message_body(user, text="/start"))
    answer = await client.post(
        "/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert answer.status_code == 200


async def test_a_kill_mid_burst_loses_nothing_and_repeats_at_most_the_sends_in_flight(
    db: Database, database_url: str, fake: FakeTelegram, tmp_path: Path, clock: Any
) -> None:
    async with db.transaction() as session:
        await jambi(session)
    env = {
        "PATBM_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram",
        "PATBM_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PATBM_OUTBOX_BATCH_SIZE": str(CONCURRENT_SENDS),
        "PATBM_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    doomed = PatbmProcess(database_url, fake.api_url, fake.token, tmp_path, extra_env=env)
    survivor = PatbmProcess(database_url, fake.api_url, fake.token, tmp_path, extra_env=env)
    half = len(USERS) // 2
    try:
        await asyncio.gather(asyncio.to_thread(doomed.start), asyncio.to_thread(survivor.start))
        # The first half of the burst reaches the doomed instance while sends stall, so it
        # holds leases (inbox and outbox) when it dies.
        fake.hang("sendMessage")
        async with httpx.AsyncClient(base_url=doomed.url) as client:
            for user in USERS[:half]:
                await _post(client, fake, user)
        await eventually(lambda: len(fake.calls_to("sendMessage")) >= 3, within=30)
        # Let the stalled sends through and kill at once: some are delivered, unrecorded.
        fake.release("sendMessage")
        doomed.kill()
        killed = time.monotonic()
        async with httpx.AsyncClient(base_url=survivor.url) as client:
            for user in USERS[half:]:
                await _post(client, fake, user)

        await eventually(lambda: all(fake.messages(u) for u in USERS), within=60)
        answered = time.monotonic() - killed

        async def all_sent() -> bool:
            unsent = select(func.count()).where(OutboxMessage.status != "sent")
            return await _scalar(database_url, unsent.select_from(OutboxMessage)) == 0

        await eventually(all_sent, within=60, what="every queued reply sent")
        sent = {
            user: await _scalar(
                database_url,
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.chat_id == str(user)),
            )
            for user in USERS
        }
        twice = sum(len(fake.messages(u)) - sent[u] for u in USERS)
        print(f"all answered {answered:.1f} s after the kill; {twice} sent twice")
        # Each update handled once: one inbox row each, the same replies for everyone.
        handled = select(func.count()).where(InboxUpdate.status == "done")
        assert await _scalar(database_url, handled.select_from(InboxUpdate)) == len(USERS)
        assert len(set(sent.values())) == 1
        assert 0 <= twice <= CONCURRENT_SENDS
        # Taken over after the dead instance's heartbeat went stale (3 beats of 2 s), plus a
        # claim: seconds, not the 60 s lease.
        assert answered < LEASE_SECONDS / 2
        assert survivor.terminate() == 0
    finally:
        doomed.ensure_stopped()
        survivor.ensure_stopped()
