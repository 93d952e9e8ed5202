"""Whole stories on Telegram, as people live them (issue 15), through `patbm run` in long-polling
mode against the fake Bot API: staff press START and share their own contact, residents report,
the cadre handles the case, an operator catches up a sweep with the CLI, the bot is killed mid-send.

Each person reads the chat and presses the button whose label fits their story (tests/journeys/
telegram_person.py); the staff are registered with `patbm staff import` as the README says.
Figures (actions per report, first→last message of a reply, seconds to resend after a restart)
go to the terminal summary (tests/journeys/figures.py); only the issue's bounds are asserted.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.db import Database
from tests.fakes.telegram_api import FakeTelegram
from tests.journeys.figures import record
from tests.journeys.harness import World
from tests.journeys.telegram_person import TelegramPerson
from tests.journeys.words import codes_shown
from tests.support.factories import jambi
from tests.support.waiting import eventually

pytestmark = pytest.mark.journey

STAFF_CSV = """name,phone,role,area_code
Siti Kader,081200000101,kader,15.71.01.1001
Budi Koordinator,081200000102,koordinator_kecamatan,15.71.01
Dewi Dinas,081200000103,dinas,15.71
Rina Kader,081200000104,kader,15.71.01.1002
"""
REFERENCE = re.compile(r"\b[A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{2}\b")
PIN = re.compile(r"PIN: (\d+)")
STORY = "Anak tetangga sering dipukul ayahnya."
LOCATION = "RT 03 RW 02, dekat masjid"


@pytest.fixture
def world_env() -> dict[str, str]:
    """Settings for `patbm run` (a test may parametrize this)."""
    return {}


@pytest.fixture
async def world(
    db: Database,
    database_url: str,
    telegram: FakeTelegram,
    tmp_path: Path,
    world_env: dict[str, str],
) -> AsyncIterator[World]:
    async with db.transaction() as session:  # the `db` fixture made (or emptied) the schema
        await jambi(session)
    (tmp_path / "staff.csv").write_text(STAFF_CSV)
    world = World(database_url, tmp_path, telegram=telegram, extra_env=world_env)
    done = await world.patbm_async("staff", "import", "staff.csv")
    assert "4 added" in done.stdout
    try:
        await world.start()
        yield world
    finally:
        await world.close()


async def link_from_start(person: TelegramPerson) -> None:
    """START, then "share my contact": linked, whatever the first screen was."""
    welcome = await person.start()
    # The welcome and the first question are one message (issue 15 #5), with a line for staff.
    assert "/daftar" in welcome and "dalam bahaya SEKARANG" in welcome
    assert [c.method for c in person.last_calls] == ["sendMessage"]
    linked = await person.share_own_contact()
    assert "sekarang terhubung sebagai petugas PATBM" in linked, linked  # issue 15 #1
    assert "dibatalkan" not in linked  # they had answered nothing: no draft to speak of
    assert "Kasus saya" in person.labels()


async def full_report(resident: TelegramPerson) -> tuple[str, str]:
    """Every question answered; returns the reference and the PIN."""
    await resident.start()
    for words in ("tidak sekarang", "kekerasan fisik", "lanjut", "6-12", "perempuan"):
        await resident.press(words)
    await resident.press("telanaipura")  # every kecamatan on one keyboard: no paging (#4)
    await resident.press("simpang iv sipin")
    await resident.type(LOCATION)
    await resident.press("hari ini")
    await resident.type(STORY)
    await resident.press("rumah tangga")
    await resident.press("orang tua")
    await resident.press("tetangga")
    confirmation = await resident.press("kirim, boleh dihubungi")
    reference, pin = REFERENCE.search(confirmation), PIN.search(confirmation)
    assert reference is not None and pin is not None, confirmation
    return reference.group(), pin.group(1)


async def quickest_report(resident: TelegramPerson) -> str:
    """Everything skippable skipped, anonymous."""
    await resident.start()
    for words in ("tidak sekarang", "kekerasan psikis", "lanjut", "tidak tahu", "tidak tahu"):
        await resident.press(words)
    await resident.press("telanaipura")
    await resident.press("simpang iv sipin")
    await resident.press("langsung ke ringkasan")
    confirmation = await resident.press("kirim anonim")
    reference = REFERENCE.search(confirmation)
    assert reference is not None, confirmation
    return reference.group()


async def test_staff_link_a_resident_reports_and_the_cadre_handles_the_case(world: World) -> None:
    cadre = TelegramPerson(world, 5101, "+6281200000101")
    coordinator = TelegramPerson(world, 5102, "+6281200000102")
    dinas = TelegramPerson(world, 5103, "+6281200000103")
    for person in (cadre, coordinator, dinas):
        await link_from_start(person)
    # The other way the README gives: /daftar and the contact button of the reply keyboard.
    other = TelegramPerson(world, 5104, "6281200000104")
    await other.type("/daftar")
    assert [b["text"] for b in other.reply_keyboard()] == ["📱 Kirim nomor HP saya"]
    assert "terhubung" in await other.press("kirim nomor hp saya")
    assert other.reply_keyboard() == []  # the contact button went away
    sends = [c.at for c in other.last_calls if c.method == "sendMessage"]
    assert len(sends) == 2  # Telegram cannot remove a reply keyboard and show buttons at once
    record("first→last message of a 2-message reply (Telegram)", sends[-1] - sends[0], "s")

    # "Maaf" and the question asked again come as one message too (issue 15 #5).
    newcomer = TelegramPerson(world, 5202)
    await newcomer.start()
    sorry = await newcomer.type("hmm")
    assert "Maaf" in sorry and "dalam bahaya SEKARANG" in sorry, sorry
    assert [c.method for c in newcomer.last_calls] == ["sendMessage"]

    # A contact card of someone else never links (the resident forwards the cadre's card).
    resident = TelegramPerson(world, 5201)
    assert "terhubung" not in await resident.forward_contact_of("+6281200000101", 5101)
    resident.actions = 0
    reference, pin = await full_report(resident)
    assert resident.actions <= 15, resident.actions  # issue 15 #4 (was 17)
    record("actions, report answering every question (Telegram)", resident.actions)

    offer = await cadre.hear("Ada laporan baru", reference)
    assert STORY not in offer and "RT 03" not in offer and "Kekerasan fisik" in offer
    details = await cadre.press("terima")
    assert reference in details and STORY in details and LOCATION in details
    for words in ("Perempuan", "Pada hari laporan", "Rumah tangga", "Orang tua", "Tetangga"):
        assert words in details, words
    assert codes_shown(details) == [], details  # issue 15 #3
    await resident.hear("diterima oleh kader", reference)

    assert "Tulis catatan" in await cadre.press("tambah catatan")
    assert "disimpan" in await cadre.type("Sudah dikunjungi, anak aman bersama neneknya.")
    assert "hasil penanganan" in await cadre.press("selesai")
    assert "ditandai selesai" in await cadre.type("Anak aman, keluarga didampingi puskesmas.")
    await resident.hear("selesai ditangani", reference)
    status = await resident.type(f"/status {reference} {pin}")
    assert reference in status and codes_shown(status) == [], status
    assert "selesai" in status.lower()

    assert not any(reference in text for text in other.texts())  # another kelurahan's cadre
    for person in (coordinator, dinas):  # a case handled in time climbs nowhere
        assert not any(reference in text for text in person.texts())
    await world.stop()


async def test_an_untouched_case_escalates_by_an_operators_catch_up_run(world: World) -> None:
    cadre = TelegramPerson(world, 5101, "+6281200000101")
    coordinator = TelegramPerson(world, 5102, "+6281200000102")
    dinas = TelegramPerson(world, 5103, "+6281200000103")
    for person in (cadre, coordinator, dinas):
        await link_from_start(person)
    resident = TelegramPerson(world, 5202)
    reference = await quickest_report(resident)
    assert resident.actions <= 10, resident.actions
    record("actions, quickest report (Telegram)", resident.actions)
    await cadre.hear("Ada laporan baru", reference)  # and nobody touches it

    # Telegram makes the coordinator's next message wait 10 minutes (a flood limit): it must not
    # hold back what comes after it for that long (issue 15 #2, head-of-line blocking).
    assert world.telegram is not None
    world.telegram.fail_next(
        "sendMessage", status=429, retry_after=600, chat_id=coordinator.user_id
    )
    assert await coordinator.type("/kasus") == ""  # its answer waits out the 429
    for person in (cadre, coordinator, dinas):
        person.catch_up()
    later = (datetime.now(UTC) + timedelta(days=15)).isoformat()
    swept = await world.patbm_async("jobs", "run", "escalation", "--at", later)
    finished = time.monotonic()
    # Queued for now, not for 15 days later, and nothing holds them back (issue 15 #2).
    assert reference in await coordinator.hear(reference)
    assert not any("masih terbuka" in text for text in coordinator.texts())  # still held
    assert "Dinas" in await dinas.hear("Eskalasi", reference)
    record("seconds from a catch-up sweep to the Dinas' chat", time.monotonic() - finished, "s")
    assert "to_dinas=1" in swept.stdout, swept.stdout

    for person in (coordinator, dinas):
        person.catch_up()
    digested = await world.patbm_async("jobs", "run", "digest", "--at", later)
    assert "digests=2" in digested.stdout, digested.stdout
    for person in (coordinator, dinas):
        digest = await person.hear("Ringkasan harian", reference)
        assert STORY not in digest and codes_shown(digest) == [], digest

    queued = await world.outbox_count()
    await world.patbm_async("jobs", "run", "escalation", "--at", later)
    await world.patbm_async("jobs", "run", "digest", "--at", later)
    assert await world.outbox_count() == queued  # a second sweep sends nothing new
    await world.stop()


# A lease and a heartbeat far longer than the test waits: a resend within 5 s can only come
# from the new process taking over every lease at start (long polling: the only process).
SLOW_LEASES = {"PATBM_OUTBOX_LEASE_SECONDS": "600", "PATBM_INSTANCE_HEARTBEAT_SECONDS": "30"}


@pytest.mark.parametrize("world_env", [SLOW_LEASES], ids=["slow-leases"])
async def test_a_reply_in_flight_at_kill_9_arrives_within_5_s_of_the_restart(
    world: World,
) -> None:
    telegram = world.telegram
    assert telegram is not None
    resident = TelegramPerson(world, 5203)
    telegram.hang("sendMessage")  # the fake holds the send: the kill lands while it is in flight
    telegram.text_update(resident.user_id, "/start")
    await eventually(lambda: telegram.calls_to("sendMessage"), within=60)
    await world.kill()
    await eventually(lambda: telegram.abandoned, within=30)  # the fake saw it go
    telegram.release("sendMessage")
    assert resident.messages() == []  # nothing was delivered
    sends = len(telegram.calls_to("sendMessage"))

    await world.start()
    ready = time.monotonic()
    await eventually(resident.messages, within=60)
    resent = telegram.calls_to("sendMessage")[sends].at
    record("seconds to resend after kill -9, from the launch", resent - world.launched_at, "s")
    record("seconds to resend after kill -9, from ready", resent - ready, "s")
    # The lease used to run out first (60 s); the new process takes it over at start (#6).
    assert resent - ready < 5, resent - ready
    assert "dalam bahaya SEKARANG" in resident.texts()[0]
    await world.stop()
