"""End to end over the fake Bot API with `patbm run` as a subprocess: a resident reports, the
cadre of the kelurahan is notified, accepts, and the reporter hears it.

No latency is asserted here (it depends on the machine's load): bench/ measures it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.admin.staff import add_staff
from bot.core.db import Database
from models import ChatIdentity, InboxUpdate, OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.support.e2e_helpers import PatbmProcess
from tests.support.report_support import KEC_TELANAIPURA, KEL_SIMPANG_IV_SIPIN
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

RESIDENT = 4301
WARM_UP = 4304
CADRE = 4302
OTHER_CADRE = 4303  # Buluran Kenali: must hear nothing


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def prepared(db: Database, database_url: str, clock: Any) -> str:
    # The `db` fixture made the schema (or emptied it) in the database the subprocess uses.
    database = db
    from bot.cases.areas import import_areas

    async with database.transaction() as session:
        await import_areas(session, "15.71")
        for name, phone, area, user in (
            ("Siti Kader", "081200000101", KEL_SIMPANG_IV_SIPIN, CADRE),
            ("Rina Kader", "081200000102", "15.71.01.1002", OTHER_CADRE),
        ):
            staff = await add_staff(session, name, phone, "kader", area, clock.now())
            session.add(
                ChatIdentity(
                    channel="telegram",
                    external_id=str(user),
                    chat_id=str(user),
                    staff_id=staff.id,
                    created_at=clock.now(),
                )
            )
    return database_url


class Driver:
    """Presses buttons and types in the fake, and waits until the bot has fully answered."""

    def __init__(self, fake: FakeTelegram, database: Database) -> None:
        self.fake = fake
        self.database = database

    def _snapshot(self, chat: int) -> list[tuple[Any, ...]]:
        return [(m["message_id"], m.get("text"), m.get("edited")) for m in self.fake.messages(chat)]

    async def _settled(self, chat: int) -> bool:
        async with self.database.transaction() as session:
            inbox = await session.scalar(
                select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status != "done")
            )
            outbox = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.chat_id == str(chat), OutboxMessage.status == "pending")
            )
        return not inbox and not outbox

    async def _after(self, chat: int, before: list[tuple[Any, ...]]) -> None:
        async def answered() -> bool:
            return self._snapshot(chat) != before and await self._settled(chat)

        await eventually(answered, within=60, what=f"an answer to chat {chat}")

    async def text(self, chat: int, text: str) -> None:
        before = self._snapshot(chat)
        self.fake.text_update(chat, text)
        await self._after(chat, before)

    def find(self, chat: int, needle: str) -> tuple[str, int]:
        for message in reversed(self.fake.messages(chat)):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    data = str(button.get("callback_data", ""))
                    if data.split(":")[-1] == needle or data.startswith(needle):
                        return data, int(message["message_id"])
        raise AssertionError(f"no button {needle!r} in chat {chat}: {self.fake.texts(chat)}")

    async def press(self, chat: int, needle: str) -> None:
        data, message_id = self.find(chat, needle)
        before = self._snapshot(chat)
        self.fake.callback_update(chat, data, message_id)
        await self._after(chat, before)


async def _report_until_send(bot: Driver, resident: int, category: str) -> None:
    await bot.text(resident, "/start")
    for choice in ("n", category, "ok", "6-12", "p", KEC_TELANAIPURA):
        await bot.press(resident, choice)
    await bot.press(resident, KEL_SIMPANG_IV_SIPIN)
    await bot.text(resident, "RT 03 RW 02, dekat masjid")
    await bot.press(resident, "today")
    await bot.text(resident, "Anak tetangga sering dipukul ayahnya.")
    for choice in ("rumah_tangga", "orang_tua", "tetangga_saksi"):
        await bot.press(resident, choice)


async def _send_and_await_the_offer(bot: Driver, resident: int) -> str:
    fake = bot.fake
    before = len(fake.messages(CADRE))
    data, message_id = bot.find(resident, "send")
    fake.callback_update(resident, data, message_id)
    offers = await eventually(
        lambda: [
            m for m in fake.messages(CADRE)[before:] if "k:acc:" in str(m.get("reply_markup"))
        ],
        within=60,
    )
    return str(offers[0]["text"])


async def test_report_reaches_the_cadre_and_acceptance_reaches_the_reporter(
    prepared: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    proc = PatbmProcess(
        prepared,
        fake.api_url,
        fake.token,
        tmp_path,
        extra_env={"PATBM_CHAT_RATE_PER_SECOND": "50"},
    )
    database = Database(prepared)
    try:
        await asyncio.to_thread(proc.start)
        bot = Driver(fake, database)
        # Two reports from two residents: the first after start (a fresh process), the next
        # one on a warm process; each reaches the cadre.
        await _report_until_send(bot, WARM_UP, "psikis")
        await _send_and_await_the_offer(bot, WARM_UP)

        await _report_until_send(bot, RESIDENT, "fisik")
        text = await _send_and_await_the_offer(bot, RESIDENT)
        assert "Simpang IV Sipin" in text and "JMB-" in text
        assert "dipukul" not in text and "RT 03" not in text and str(RESIDENT) not in text
        assert fake.messages(OTHER_CADRE) == []

        heard_before = len(fake.messages(RESIDENT))
        reference = text.split("Kasus ", 1)[1].split()[0]
        await bot.press(CADRE, "k:acc:")
        details = fake.texts(CADRE)[-1]
        assert reference in details and "Anak tetangga sering dipukul ayahnya." in details
        await eventually(
            lambda: (
                len(fake.messages(RESIDENT)) > heard_before
                and "diterima oleh kader" in fake.texts(RESIDENT)[-1]
            ),
            within=60,
        )
        assert reference in fake.texts(RESIDENT)[-1]
        assert not any("diterima oleh kader" in t for t in fake.texts(WARM_UP))
        assert proc.terminate() == 0
    finally:
        proc.ensure_stopped()
        await database.dispose()
