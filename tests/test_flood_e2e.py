"""A flood over real HTTP: one resident sends 100 messages at once to `patbm run` (long polling,
the fake Bot API). Before: every message handled and answered, 100 replies at one a second
(47 still queued after 152 s). Now: 30 handled, the rest kept and answered once, re-asks
coalesced, so a handful of messages reach the chat and nothing stays queued for long."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from models import InboxUpdate, OutboxMessage
from tests.e2e_helpers import PatbmProcess, eventually
from tests.factories import jambi
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow

USER = 4711


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


async def _count(url: str, model: Any, *conditions: Any) -> int:
    database = Database(url)
    try:
        async with database.transaction() as session:
            query = select(func.count()).select_from(model).where(*conditions)
            return int(await session.scalar(query) or 0)
    finally:
        await database.dispose()


async def _statuses(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            query = select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
            return {str(status): int(count) for status, count in await session.execute(query)}
    finally:
        await database.dispose()


async def test_a_hundred_messages_at_once_cost_a_few_replies(
    db: Database, database_url: str, fake: FakeTelegram, tmp_path: Path, clock: Any
) -> None:
    async with db.transaction() as session:
        await jambi(session)
    proc = PatbmProcess(database_url, fake.api_url, fake.token, tmp_path)
    try:
        # The whole burst waits at the fake before the bot starts: one getUpdates takes it all.
        for n in range(100):
            fake.text_update(USER, f"asdf {n}")
        started = time.monotonic()
        await asyncio.to_thread(proc.start)

        async def settled() -> bool:
            left = await _count(database_url, InboxUpdate, InboxUpdate.status == "pending")
            unsent = await _count(database_url, OutboxMessage, OutboxMessage.status != "sent")
            return await _count(database_url, InboxUpdate) == 100 and left == 0 and unsent == 0

        await eventually(settled, within=60, what="flood handled and its replies sent")
        seconds = time.monotonic() - started
        texts = fake.texts(USER)
        print(f"{len(texts)} messages reached the chat, all within {seconds:.1f} s")
        throttled = await _count(database_url, InboxUpdate, InboxUpdate.status == "throttled")
        statuses = await _statuses(database_url)
        assert throttled == 70, (statuses, proc.log()[-4000:])
        assert sum("Mohon tunggu sebentar" in t for t in texts) == 1
        # The welcome, the wait notice, and the re-asks that were already in flight when the
        # next one came (one a second after a burst of 3): a handful, not a hundred.
        assert len(texts) <= 10, texts
        assert proc.terminate() == 0
    finally:
        proc.ensure_stopped()
