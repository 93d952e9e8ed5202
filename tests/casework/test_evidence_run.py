"""`patbm run` as a subprocess: a resident's photo (the story as its caption) is fetched right
after the report is sent, stored encrypted, and reaches the cadre who presses "Lihat bukti"."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.admin.staff import add_staff
from bot.core.db import Database
from models import Case, CaseEvidence, ChatIdentity
from tests.cases.test_routing_e2e import Driver
from tests.fakes.telegram_api import FakeTelegram
from tests.support.e2e_helpers import PatbmProcess
from tests.support.report_support import KEC_TELANAIPURA, KEL_SIMPANG_IV_SIPIN
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

RESIDENT = 5401
CADRE = 5402
PHOTO = b"\xff\xd8\xff\xe0" + b"memar di lengan kiri " * 2000
STORY = "Anak tetangga sering dipukul ayahnya, ini fotonya."


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def prepared(db: Database, database_url: str, clock: Any) -> str:
    from bot.cases.areas import import_areas

    async with db.transaction() as session:
        await import_areas(session, "15.71")
        staff = await add_staff(
            session, "Siti Kader", "081200005402", "kader", KEL_SIMPANG_IV_SIPIN, clock.now()
        )
        session.add(
            ChatIdentity(
                channel="telegram",
                external_id=str(CADRE),
                chat_id=str(CADRE),
                staff_id=staff.id,
                created_at=clock.now(),
            )
        )
    return database_url


async def test_the_photo_is_fetched_after_sending_and_reaches_the_cadre(
    prepared: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    fake.add_file("RES-PHOTO", PHOTO)
    proc = PatbmProcess(
        prepared, fake.api_url, fake.token, tmp_path, {"PATBM_CHAT_RATE_PER_SECOND": "50"}
    )
    database = Database(prepared)
    try:
        await asyncio.to_thread(proc.start)
        bot = Driver(fake, database)
        await bot.text(RESIDENT, "/start")
        for choice in ("n", "fisik", "ok", "6-12", "p", KEC_TELANAIPURA):
            await bot.press(RESIDENT, choice)
        await bot.press(RESIDENT, KEL_SIMPANG_IV_SIPIN)
        await bot.text(RESIDENT, "RT 03 RW 02")
        await bot.press(RESIDENT, "today")
        before = bot._snapshot(RESIDENT)
        fake.photo_update(RESIDENT, "RES-PHOTO", caption=STORY)
        await bot._after(RESIDENT, before)
        await bot.press(RESIDENT, "r:desc:ok")
        for choice in ("rumah_tangga", "orang_tua", "tetangga_saksi"):
            await bot.press(RESIDENT, choice)
        assert STORY in fake.texts(RESIDENT)[-1]  # the summary shows the story
        await bot.press(RESIDENT, "anon")

        async def stored() -> bool:
            async with database.transaction() as session:
                row = await session.scalar(select(CaseEvidence))
                return row is not None and row.status == "stored"

        # Kicked by the commit that created the case (the worker's own poll is 30 s).
        await eventually(stored, within=20, what="the photo stored")
        async with database.transaction() as session:
            case = await session.scalar(select(Case))
            row = await session.scalar(select(CaseEvidence))
        assert case is not None and case.description == STORY
        assert row is not None and row.sha256 == hashlib.sha256(PHOTO).hexdigest()

        await bot.press(CADRE, "k:acc:")
        assert STORY in "\n".join(fake.texts(CADRE))
        await bot.press(CADRE, "k:ev:")
        await eventually(lambda: fake.uploads(CADRE), within=20)
        (upload,) = fake.uploads(CADRE)
        assert (upload.method, upload.content) == ("sendPhoto", PHOTO)
        assert proc.terminate() == 0
    finally:
        proc.ensure_stopped()
        await database.dispose()
