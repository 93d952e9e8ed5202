"""A linked cadre records a case over real HTTP: `patbm run` as a subprocess, the fake Bot API.

The cadre links by sharing their own contact, sends /lapor and answers every question by
pressing the buttons whose labels a person reads (never option ids) or typing; the actions are
counted. The confirmation's reference and PIN then work with /status from another chat.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.admin.staff import add_staff
from bot.core.db import Database
from models import Case
from tests.fakes.telegram_api import FakeTelegram
from tests.support.e2e_helpers import PatbmProcess, TelegramUser
from tests.support.factories import KELURAHAN, jambi

pytestmark = pytest.mark.slow

PHONE = "+6281234567891"
CADRE, SOURCE = 4801, 4802


class Person(TelegramUser):
    """Presses a button of the newest keyboard by (a part of) its label only."""

    actions = 0

    async def say(self, text: str) -> str:
        self.actions += 1
        return "\n".join(await self.text(text))

    async def choose(self, label: str) -> str:
        message = self.keyboard_message()
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        hits = [b["callback_data"] for b in buttons if label in b["text"]]
        assert hits, f"no button {label!r} in {[b['text'] for b in buttons]}"
        self.actions += 1
        message_id = int(message["message_id"])
        replies = await self._exchange(
            lambda: self.fake.callback_update(self.user_id, hits[0], message_id)
        )
        return "\n".join(replies)

    async def photo_story(self, file_id: str, caption: str) -> str:
        self.actions += 1
        replies = await self._exchange(
            lambda: self.fake.photo_update(self.user_id, file_id, caption=caption)
        )
        return "\n".join(replies)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


async def _prepared(db: Database, clock: Any) -> None:
    async with db.transaction() as session:
        await jambi(session)
        await add_staff(session, "Siti Kader", PHONE, "kader", KELURAHAN, clock.now())


async def test_a_cadre_records_a_case_over_telegram_and_the_source_checks_it(
    db: Database, database_url: str, clock: Any, fake: FakeTelegram, tmp_path: Path
) -> None:
    await _prepared(db, clock)
    proc = PatbmProcess(database_url, fake.api_url, fake.token, tmp_path)
    try:
        await asyncio.to_thread(proc.start)
        cadre = Person(fake, database_url, CADRE)
        await cadre._exchange(lambda: fake.contact_update(CADRE, PHONE, contact_user_id=CADRE))
        assert "Siti Kader" in "\n".join(cadre.last_texts)
        cadre.actions = 0
        first = await cadre.say("/lapor")
        assert "Catat kasus yang Anda temui" in first
        for label in ("Tidak sekarang", "Kekerasan fisik", "6–12 tahun", "Perempuan"):
            await cadre.choose(label)
        await cadre.say("RT 05 RW 01, belakang posyandu")
        await cadre.choose("Hari ini")
        await cadre.photo_story("FIELD-PHOTO-1", "Tetangga melihat anak dipukul di teras rumah.")
        for label in ("Rumah tangga", "Orang tua", "Tetangga", "Bertemu, boleh dikontak"):
            await cadre.choose(label)
        summary = await cadre.say("Pak Joko 081299990000")
        assert "Pak Joko" in summary and "Simpang IV Sipin" in summary
        confirmation = await cadre.choose("Simpan kasus")
        assert cadre.actions <= 14, cadre.actions
        found = re.search(r"/status (\S+) (\d+)", confirmation)
        assert found, confirmation
        source = Person(fake, database_url, SOURCE)
        answer = await source.say(f"/status {found.group(1)} {found.group(2)}")
        assert found.group(1) in answer and "sudah menerima" in answer
        database = Database(database_url)
        try:
            async with database.transaction() as session:
                [case] = (await session.scalars(select(Case))).all()
                assert case.reference == found.group(1)
                assert (case.status, case.source, case.source_teller) == (
                    "diterima",
                    "dicatat_kader",
                    "tetangga",
                )
                assert case.description and "teras" in case.description
                assert "FIELD-PHOTO-1" in str(case.evidence)
        finally:
            await database.dispose()
        assert proc.terminate() == 0
    finally:
        proc.ensure_stopped()
