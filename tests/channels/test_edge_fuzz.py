"""Fuzz over real HTTP against `patbm run` (issue 16): thousands of generated updates per
webhook, valid ones mixed with junk. Zero 500s, zero tracebacks in the process log, every valid
update stored once and answered once, the process healthy after.

Bounded for CI by the `edge-fuzz` hypothesis profile below (`PATBM_FUZZ_EXAMPLES` raises it
for a longer local run); the posting runs in a thread so the fakes' event loop stays free.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.db import Database
from models import InboxUpdate, OutboxMessage
from tests.fakes import whatsapp_payloads as p
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.support.e2e_helpers import PatbmProcess
from tests.support.edge_fuzz_support import (
    broken_telegram_body,
    fresh,
    parts,
    sender,
    telegram_update,
    whatsapp_payload,
)
from tests.support.factories import jambi
from tests.support.waiting import eventually
from tests.support.whatsapp_support import ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("PATBM_FUZZ_EXAMPLES", "100"))
settings.register_profile(
    "edge-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("edge-fuzz")
SECRET = "fuzz-webhook-secret"
# Posts per generated example: a few thousand updates per CI run in all.
TELEGRAM_BATCH = 20


async def _count(database_url: str, *where: Any, of: Any = InboxUpdate) -> int:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            return int(
                await session.scalar(select(func.count()).select_from(of).where(*where)) or 0
            )
    finally:
        await database.dispose()


async def _replies_per_chat(database_url: str, chats: set[str]) -> Counter[str]:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            rows = await session.scalars(
                select(OutboxMessage.chat_id).where(OutboxMessage.chat_id.in_(chats))
            )
            return Counter(rows.all())
    finally:
        await database.dispose()


def _assert_clean(proc: PatbmProcess) -> None:
    assert proc.proc is not None and proc.proc.poll() is None, proc.log()
    assert httpx.get(f"{proc.url}/healthz", timeout=5).status_code == 200
    log = proc.log()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-4000:]


async def _settle(database_url: str, chats: set[str]) -> Counter[str]:
    """Wait until nothing is pending and every chat of a valid update has its answer."""
    pending = InboxUpdate.status == "pending"
    await eventually(lambda: _nothing(database_url, pending), within=120, what="inbox handled")
    replies = await _replies_per_chat(database_url, chats)
    assert set(replies) == chats
    return replies


async def _nothing(database_url: str, *where: Any) -> bool:
    return await _count(database_url, *where) == 0


def _fuzz(run: Callable[[Any], None], strategy: st.SearchStrategy[Any]) -> None:
    given(strategy)(settings(PROFILE)(run))()


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def prepared(db: Database, database_url: str) -> str:
    async with db.transaction() as session:
        await jambi(session)
    return database_url


async def test_fuzz_the_telegram_webhook(
    prepared: str, telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = {
        "PATBM_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram",
        "PATBM_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PATBM_CHAT_RATE_PER_SECOND": "50",
        "PATBM_TELEGRAM_RATE_PER_SECOND": "1000",
    }
    proc = PatbmProcess(prepared, telegram.api_url, telegram.token, tmp_path, extra_env=env)
    statuses: Counter[int] = Counter()
    valid: list[int] = []
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    try:
        await asyncio.to_thread(proc.start)
        with httpx.Client(base_url=proc.url, timeout=30) as client:

            def run(bodies: list[bytes]) -> None:
                for body in bodies:
                    # One post in ten a valid update from a new person, the rest broken.
                    is_junk = sum(statuses.values()) % 10 != 0
                    if not is_junk:
                        user = 3_000_000 + fresh()
                        body = json.dumps(telegram_update(user)).encode()
                    status = client.post("/webhooks/telegram", content=body, headers=headers)
                    statuses[status.status_code] += 1
                    if not is_junk:
                        assert status.status_code == 200
                        valid.append(user)
                    assert status.status_code in (200, 400), status.status_code

            bodies = st.lists(
                broken_telegram_body(), min_size=TELEGRAM_BATCH, max_size=TELEGRAM_BATCH
            )
            await asyncio.to_thread(_fuzz, run, bodies)
        print(f"telegram fuzz: {dict(statuses)} ({len(valid)} valid)")
        assert sum(statuses.values()) >= EXAMPLES * TELEGRAM_BATCH and valid
        chats = {str(user) for user in valid}
        replies = await _settle(prepared, chats)
        # Each valid update answered once: every fresh resident got the same welcome.
        assert len(set(replies.values())) == 1
        for user in valid:
            key = InboxUpdate.chat_key == f"tg:{user}"
            assert await _count(prepared, key, InboxUpdate.status == "done") == 1
        _assert_clean(proc)
        assert proc.terminate() == 0
    finally:
        proc.ensure_stopped()


@pytest.fixture
async def graph() -> Any:
    async with FakeWhatsAppAPI(token=ACCESS_TOKEN, phone_number_id=p.PHONE_NUMBER_ID) as fake:
        yield fake


async def test_fuzz_the_whatsapp_webhook(
    prepared: str, graph: FakeWhatsAppAPI, tmp_path: Path
) -> None:
    env = {
        "PATBM_WHATSAPP_TOKEN": ACCESS_TOKEN,
        "PATBM_WHATSAPP_PHONE_NUMBER_ID": p.PHONE_NUMBER_ID,
        "PATBM_WHATSAPP_APP_SECRET": APP_SECRET,
        "PATBM_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "PATBM_WHATSAPP_API_URL": graph.url,
        "PATBM_CHAT_RATE_PER_SECOND": "50",
        "PATBM_WHATSAPP_RATE_PER_SECOND": "1000",
    }
    proc = PatbmProcess(prepared, "http://127.0.0.1:9/bot", "unused", tmp_path, extra_env=env)
    del proc.env["PATBM_TELEGRAM_TOKEN"], proc.env["PATBM_TELEGRAM_API_URL"]
    statuses: Counter[int] = Counter()
    valid: list[str] = []
    try:
        await asyncio.to_thread(proc.start)
        with httpx.Client(base_url=proc.url, timeout=30) as client:

            def run(example: tuple[dict[str, Any], list[p.Value]]) -> None:
                payload, values = example
                body = json.dumps(payload).encode()
                response = client.post(
                    "/webhooks/whatsapp", content=body, headers=p.signed(body, APP_SECRET)
                )
                statuses[response.status_code] += 1
                statuses[0] += parts(payload)
                assert response.status_code == 200, response.status_code
                valid.extend(v["messages"][0]["from"] for v in values)

            await asyncio.to_thread(_fuzz, run, whatsapp_payload())
        # statuses[0]: the parts posted in all.
        print(f"whatsapp fuzz: {dict(statuses)} ({len(valid)} valid messages)")
        assert valid and statuses[0] >= 8 * EXAMPLES
        replies = await _settle(prepared, set(valid))
        assert len(set(replies.values())) == 1
        for number in valid:
            key = InboxUpdate.chat_key == f"wa:{number}"
            assert await _count(prepared, key, InboxUpdate.status == "done") == 1
        assert sender(0) not in replies
        _assert_clean(proc)
        assert proc.terminate() == 0
    finally:
        proc.ensure_stopped()
