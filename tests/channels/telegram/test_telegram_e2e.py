"""`patbm run` as a real subprocess against the fake Bot API: polling, webhook, kill -9, SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.admin.staff import add_staff
from bot.core.db import Database
from models import Case, ChatIdentity, InboxUpdate, OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.support.e2e_helpers import PatbmProcess, TelegramUser
from tests.support.factories import KELURAHAN, jambi
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

PHONE = "+6281234567890"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def prepared(db: Database, database_url: str, clock: Any) -> str:
    """The schema (and Kota Jambi with one cadre) in the database the subprocess will use."""
    # The `db` fixture made the schema (or emptied it) in the database the subprocess uses.
    database = db
    async with database.transaction() as session:
        await jambi(session)
        await add_staff(session, "Siti Kader", PHONE, "kader", KELURAHAN, clock.now())
    return database_url


@pytest.fixture
def processes() -> Iterator[list[PatbmProcess]]:
    started: list[PatbmProcess] = []
    yield started
    for proc in started:
        proc.ensure_stopped()


def _process(
    processes: list[PatbmProcess],
    url: str,
    fake: FakeTelegram,
    tmp_path: Path,
    **env: str,
) -> PatbmProcess:
    proc = PatbmProcess(url, fake.api_url, fake.token, tmp_path, extra_env=env)
    processes.append(proc)
    return proc


async def _start(proc: PatbmProcess) -> None:
    await asyncio.to_thread(proc.start)


async def _count(url: str, model: Any, *conditions: Any) -> int:
    database = Database(url)
    try:
        async with database.transaction() as session:
            return int(
                await session.scalar(select(func.count()).select_from(model).where(*conditions))
                or 0
            )
    finally:
        await database.dispose()


async def _none_unsent(url: str, chat_id: str) -> bool:
    unsent = await _count(
        url, OutboxMessage, OutboxMessage.chat_id == chat_id, OutboxMessage.status != "sent"
    )
    return unsent == 0


async def test_resident_is_answered_and_staff_links_by_own_contact_only(
    prepared: str, fake: FakeTelegram, tmp_path: Path, processes: list[PatbmProcess]
) -> None:
    proc = _process(processes, prepared, fake, tmp_path)
    await _start(proc)
    assert fake.calls_to("deleteWebhook")
    fake.text_update(4001, "halo")
    await eventually(lambda: fake.messages(4001), within=30)
    first = fake.messages(4001)[0]
    assert first["text"]
    # A button of the welcome is pressed: the prompt is edited in place, the spinner stopped.
    buttons = first.get("reply_markup", {}).get("inline_keyboard", [])
    if buttons:
        fake.callback_update(4001, buttons[0][0]["callback_data"], first["message_id"])
        await eventually(lambda: fake.calls_to("answerCallbackQuery"), within=30)

    # A forwarded contact of the cadre, sent by someone else: nothing linked.
    fake.contact_update(4002, PHONE, contact_user_id=4999)
    await eventually(lambda: fake.messages(4002), within=30)
    # The cadre's own contact (Telegram puts their own user id on it): linked.
    fake.contact_update(4003, PHONE, contact_user_id=4003)
    await eventually(lambda: fake.messages(4003), within=30)
    assert "Siti Kader" in fake.texts(4003)[-1]
    linked = await _count(prepared, ChatIdentity, ChatIdentity.staff_id.is_not(None))
    assert linked == 1
    assert (
        await _count(
            prepared,
            ChatIdentity,
            ChatIdentity.external_id == "4002",
            ChatIdentity.staff_id.is_(None),
        )
        == 1
    )
    assert proc.terminate() == 0
    assert await _count(prepared, InboxUpdate, InboxUpdate.status != "done") == 0


async def test_kill_while_the_answer_hangs_then_restart_answers_once(
    prepared: str, fake: FakeTelegram, tmp_path: Path, processes: list[PatbmProcess]
) -> None:
    env = {"PATBM_OUTBOX_LEASE_SECONDS": "2"}
    first = _process(processes, prepared, fake, tmp_path, **env)
    await _start(first)
    fake.hang("sendMessage")
    fake.text_update(4101, "halo")
    await eventually(lambda: fake.calls_to("sendMessage"), within=30)
    first.kill()
    fake.release("sendMessage")
    assert fake.messages(4101) == []  # the hung call was never answered

    second = _process(processes, prepared, fake, tmp_path, **env)
    await _start(second)
    await eventually(lambda: fake.messages(4101), within=30)
    # Every answer sent and recorded as sent (not the crash window between the two).
    await eventually(
        lambda: _none_unsent(prepared, "4101"), within=30, what="answers recorded as sent"
    )
    # Killed right after answering: a restart sends nothing again and stores nothing twice.
    second.kill()
    answered = fake.texts(4101)
    third = _process(processes, prepared, fake, tmp_path, **env)
    await _start(third)
    # No sleep: another person's message is answered by this process, so its start-up pickup
    # of rows left pending or leased (what would resend) has run by then.
    fake.text_update(4102, "halo")
    await eventually(lambda: fake.messages(4102), within=60)
    assert fake.texts(4101) == answered
    assert len(answered) == await _count(prepared, OutboxMessage, OutboxMessage.chat_id == "4101")
    assert await _count(prepared, InboxUpdate, InboxUpdate.chat_key == "tg:4101") == 1
    assert await _count(prepared, ChatIdentity, ChatIdentity.external_id == "4101") == 1
    assert third.terminate() == 0


async def test_webhook_mode_sets_the_secret_and_refuses_forgeries(
    prepared: str, fake: FakeTelegram, tmp_path: Path, processes: list[PatbmProcess]
) -> None:
    secret = "e2e-webhook-secret-value"
    proc = _process(
        processes,
        prepared,
        fake,
        tmp_path,
        PATBM_TELEGRAM_WEBHOOK_URL="https://bot.example.org/webhooks/telegram",
        PATBM_TELEGRAM_WEBHOOK_SECRET=secret,
    )
    await _start(proc)
    assert fake.webhook is not None and fake.webhook["secret_token"] == secret
    update = fake.make_update(4201, fake.message_body(4201, text="halo"))
    async with httpx.AsyncClient(base_url=proc.url) as client:
        forged = await client.post(
            "/webhooks/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        )
        assert forged.status_code == 403
        assert (await client.post("/webhooks/telegram", json=update)).status_code == 403
        assert await _count(prepared, InboxUpdate) == 0
        for _ in range(2):
            ok = await client.post(
                "/webhooks/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )
            assert ok.status_code == 200
    await eventually(lambda: fake.messages(4201), within=30)
    await eventually(lambda: _none_unsent(prepared, "4201"), within=30, what="answers sent")
    assert await _count(prepared, InboxUpdate) == 1
    assert len(fake.messages(4201)) == await _count(
        prepared, OutboxMessage, OutboxMessage.chat_id == "4201"
    )
    # A button press is answered in the webhook's own response: no answerCallbackQuery call.
    shown = fake.messages(4201)[-1]
    buttons = shown["reply_markup"]["inline_keyboard"]
    press = fake.callback_body(4201, buttons[0][0]["callback_data"], shown["message_id"])
    sent_before = len(fake.calls)
    async with httpx.AsyncClient(base_url=proc.url) as client:
        answered = await client.post(
            "/webhooks/telegram",
            json=fake.make_update(4201, press, kind="callback_query"),
            headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        )
    assert answered.status_code == 200
    assert answered.json() == {"method": "answerCallbackQuery", "callback_query_id": press["id"]}
    await eventually(lambda: len(fake.calls) > sent_before, within=30)
    await eventually(lambda: _none_unsent(prepared, "4201"), within=30, what="press answered")
    assert await _count(prepared, InboxUpdate) == 2
    assert fake.calls_to("answerCallbackQuery") == []
    assert proc.terminate() == 0


async def test_resident_completes_a_report_over_telegram(
    prepared: str, fake: FakeTelegram, tmp_path: Path, processes: list[PatbmProcess]
) -> None:
    proc = _process(processes, prepared, fake, tmp_path)
    await _start(proc)
    user = TelegramUser(fake, prepared, 4301)
    await user.text("/start")
    await user.press("n")  # nobody in danger right now
    await user.press("fisik")
    await user.press("ok")
    await user.press("6-12")
    await user.press("p")
    await user.text("Telanaipura")  # typed instead of paging through the kecamatan
    await user.text("Simpang IV Sipin")
    await user.text("RT 03 RW 02, dekat masjid")
    await user.press("today")
    await user.text("Anak tetangga sering dipukul ayahnya.")
    await user.photo("EVIDENCE-1")
    await user.press("rumah_tangga")
    await user.press("orang_tua")
    await user.press("tetangga_saksi")
    summary = "\n".join(user.last_texts)
    assert "Simpang IV Sipin" in summary
    confirmation = "\n".join(await user.press("send"))
    assert "Nomor laporan" in confirmation
    database = Database(prepared)
    try:
        async with database.transaction() as session:
            [case] = (await session.scalars(select(Case))).all()
            assert case.reference in confirmation
            assert case.kelurahan_code == KELURAHAN
            assert case.categories == ["fisik"]
            assert "EVIDENCE-1" in str(case.evidence)
    finally:
        await database.dispose()
    # Button presses edited their prompt in place and stopped the spinner; every update was
    # handled exactly once.
    assert any(m.get("edited") for m in fake.messages(4301))
    assert len(fake.calls_to("answerCallbackQuery")) >= 9
    assert await _count(prepared, InboxUpdate, InboxUpdate.status != "done") == 0
    assert proc.terminate() == 0
