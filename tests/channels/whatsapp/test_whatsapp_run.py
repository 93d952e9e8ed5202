"""`patbm run` as a real subprocess with the WhatsApp channel on: the runner mounts the webhook,
stores what it receives, and the delivery worker sends through the WhatsApp sender to the fake
Graph API. (The flows themselves are covered in process by test_whatsapp_e2e.)"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.admin.staff import add_staff
from bot.core.db import Database
from tests.fakes import whatsapp_payloads as p
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.support.e2e_helpers import PatbmProcess
from tests.support.factories import KELURAHAN, jambi
from tests.support.waiting import eventually
from tests.support.whatsapp_support import ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN

pytestmark = pytest.mark.slow

CADRE = "6281200000101"
RESIDENT = "6281399990000"


@pytest.fixture
async def whatsapp() -> AsyncIterator[FakeWhatsAppAPI]:
    async with FakeWhatsAppAPI(token=ACCESS_TOKEN, phone_number_id=p.PHONE_NUMBER_ID) as fake:
        yield fake


@pytest.fixture
async def prepared(db: Database, database_url: str, clock: Any) -> str:
    # The `db` fixture made the schema (or emptied it) in the database the subprocess uses.
    database = db
    async with database.transaction() as session:
        await jambi(session)
        await add_staff(session, "Siti Kader", "+" + CADRE, "kader", KELURAHAN, clock.now())
    return database_url


async def test_patbm_run_serves_the_whatsapp_webhook_and_answers(
    prepared: str,
    whatsapp: FakeWhatsAppAPI,
    tmp_path: Path,
) -> None:
    proc = PatbmProcess(
        prepared,
        "http://127.0.0.1:9/bot",
        "unused",
        tmp_path,
        extra_env={
            "PATBM_WHATSAPP_TOKEN": ACCESS_TOKEN,
            "PATBM_WHATSAPP_PHONE_NUMBER_ID": p.PHONE_NUMBER_ID,
            "PATBM_WHATSAPP_APP_SECRET": APP_SECRET,
            "PATBM_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
            "PATBM_WHATSAPP_API_URL": whatsapp.url,
            "PATBM_CHAT_RATE_PER_SECOND": "50",
            # HOME is a fresh folder: without a cache kept between runs matplotlib (the digest
            # chart) rebuilds its font list at every start, about 8 s.
            "MPLCONFIGDIR": str(Path(tempfile.gettempdir()) / "patbm-tests-matplotlib"),
        },
    )
    # WhatsApp only: this deployment has no Telegram bot.
    del proc.env["PATBM_TELEGRAM_TOKEN"], proc.env["PATBM_TELEGRAM_API_URL"]
    try:
        await asyncio.to_thread(proc.start)
        async with httpx.AsyncClient(base_url=proc.url, timeout=10) as client:
            challenge = await client.get(
                "/webhooks/whatsapp",
                params={
                    "hub.mode": "subscribe",
                    "hub.verify_token": VERIFY_TOKEN,
                    "hub.challenge": "1158201444",
                },
            )
            assert (challenge.status_code, challenge.text) == (200, "1158201444")

            forged = p.envelope(p.text_message("wamid.X", RESIDENT, "Halo"))
            refused = await client.post(
                "/webhooks/whatsapp", content=forged, headers=p.signed(forged, "wrong")
            )
            assert refused.status_code == 403

            # A registered cadre writes for the first time: linked by number, told so.
            body = p.envelope(p.text_message("wamid.C1", CADRE, "Halo"))
            ok = await client.post(
                "/webhooks/whatsapp", content=body, headers=p.signed(body, APP_SECRET)
            )
            assert ok.status_code == 200
            await eventually(
                lambda: any("terhubung" in t for t in whatsapp.texts_to(CADRE)),
                within=15,
                what="the cadre told they are linked",
            )

            # A resident writes: the welcome with buttons comes back through the Graph API.
            body = p.envelope(p.text_message("wamid.R1", RESIDENT, "Halo"))
            ok = await client.post(
                "/webhooks/whatsapp", content=body, headers=p.signed(body, APP_SECRET)
            )
            assert ok.status_code == 200
            await eventually(
                lambda: any(m["type"] == "interactive" for m in whatsapp.to(RESIDENT)),
                within=15,
                what="the welcome with buttons",
            )
        assert whatsapp.refused == []
        assert proc.terminate() == 0
    finally:
        proc.ensure_stopped()
    assert "wamid" not in proc.log() and "Halo" not in proc.log()
