"""The resident's report flow end to end through the dispatcher: happy paths, emergency, skips,
edit, cancel (restarts and duplicates: tests/handlers/test_report_durability.py)."""

from __future__ import annotations

from sqlalchemy import select, text

from bot.cases.references import check_pin
from bot.core.app import App
from models import CaseEvent
from tests.support.chat import Chat
from tests.support.report_support import (
    KEL_SIMPANG_IV_SIPIN,
    all_cases,
    case_count,
    report_until_summary,
    seed_areas,
)


def _reference_and_pin(confirmation: str) -> tuple[str, str]:
    words = confirmation.replace("\n", " ").split()
    reference = next(w for w in words if w.count("-") == 2 and w[:3].isalpha())
    pin = next(w for w in words if w.isdigit() and len(w) == 6)
    return reference, pin


async def test_happy_path_indonesian(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await report_until_summary(chat)
    assert await chat.step() == "summary"
    assert "Mohon periksa laporan Anda" in chat.texts
    assert "Simpang IV Sipin, Telanaipura" in chat.texts
    assert await case_count(app) == 0
    await chat.press("send")
    confirmation = chat.texts
    assert "Nomor laporan" in confirmation and "/status" in confirmation
    assert "112" in confirmation and "menghapus percakapan" in confirmation
    reference, pin = _reference_and_pin(confirmation)
    [case] = await all_cases(app)
    assert case.reference == reference and reference.startswith("JMB-")
    assert check_pin(reference, pin, case.pin_hash)
    assert case.status == "baru" and case.priority == "biasa"
    assert case.categories == ["fisik"]
    assert (case.victim_age_group, case.victim_sex) == ("6-12", "p")
    assert (case.kecamatan_code, case.kelurahan_code) == ("15.71.01", KEL_SIMPANG_IV_SIPIN)
    assert case.location_detail == "RT 03 RW 02, dekat masjid"
    assert case.description == "Anak tetangga sering dipukul ayahnya."
    assert (case.place, case.perpetrator_relation, case.reporter_role) == (
        "rumah_tangga",
        "orang_tua",
        "tetangga_saksi",
    )
    assert case.incident_when == "today" and case.incident_at == app.clock.now()
    assert case.contact_consent and not case.anonymous
    assert case.reporter_contact == {"channel": "telegram", "chat_id": "1001", "user_id": "1001"}
    state = await chat.state()
    assert state is not None and state.flow is None and state.data == {}
    async with app.db.transaction() as session:
        events = (await session.scalars(select(CaseEvent))).all()
        raw = (await session.execute(text("SELECT description FROM cases"))).scalar_one()
    assert any(e.kind == "created" and e.actor_kind == "reporter" for e in events)
    assert "dipukul" not in raw  # encrypted at rest


async def test_happy_path_english(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app, language_hint="en-GB")
    await chat.text("/start")
    assert "Is anyone in danger RIGHT NOW?" in chat.texts
    await chat.press("n")
    assert "What kind of violence" in chat.texts
    assert "Physical violence" in [o.label for o in chat.options]
    await chat.press("fisik")
    await chat.press("ok")
    await chat.press("6-12")
    await chat.press("p")
    assert "Which kecamatan" in chat.texts
    await chat.text("telanaipura")
    await chat.text("simpang 4 sipin")  # a near miss of "Simpang IV Sipin": candidates or a match
    if await chat.step() == "kel":
        await chat.press(KEL_SIMPANG_IV_SIPIN)
    assert "RT/RW" in chat.texts
    await chat.press("-")
    await chat.press("week")
    await chat.text("My neighbour's child is beaten.")
    await chat.press(">")
    assert "Please check your report" in chat.texts
    assert "anonymous" in chat.texts
    assert "✅ Send anonymously" in [o.label for o in chat.options]
    await chat.press("anon")
    assert "Report number" in chat.texts and "PIN" in chat.texts
    [case] = await all_cases(app)
    assert case.language == "en" and case.anonymous and case.reporter_contact is None


async def test_emergency_path_shows_numbers_at_once_and_asks_less(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    await chat.press("y")
    first = chat.replies[0].text
    assert "112" in first and "110" in first and "129" in first and "08111-129-129" in first
    assert "DARURAT" in first
    assert "Kekerasan apa" in first  # the numbers and the next question: one message
    await chat.press("seksual")
    await chat.press("ok")
    await chat.press("13-17")
    await chat.press("p")
    await chat.press("15.71.01")
    await chat.press(KEL_SIMPANG_IV_SIPIN)
    await chat.location()
    # short version: no "when", straight to what happened
    assert await chat.step() == "desc"
    await chat.text("Sedang terjadi sekarang.")
    assert await chat.step() == "summary"  # no place, relation, role
    await chat.press("send")
    [case] = await all_cases(app)
    assert case.priority == "darurat"
    assert case.location_point == {"lat": -1.6, "lon": 103.6}
    assert case.incident_when == "ongoing"
    assert "08111-129-129" in chat.texts


async def test_every_question_after_the_location_can_be_skipped(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    await chat.press("n")
    await chat.press("penelantaran")
    await chat.press("ok")
    await chat.press("unk")
    await chat.press("unk")
    await chat.press("15.71.01")
    await chat.press(KEL_SIMPANG_IV_SIPIN)
    for step in ("loc", "when", "desc", "place", "rel", "role"):
        assert await chat.step() == step
        await chat.press("-")
    assert await chat.step() == "summary"
    assert chat.texts.count("(dilewati)") >= 5
    await chat.text("kirim")  # not clear: contact or anonymous? The buttons again
    assert await chat.step() == "summary" and await case_count(app) == 0
    await chat.text("anonim")  # typed, as well as pressed

    [case] = await all_cases(app)
    assert case.description is None and case.location_detail is None
    assert case.place is None and case.perpetrator_relation is None and case.reporter_role is None
    assert case.victim_age_group is None and case.victim_sex is None  # "tidak tahu"
    assert case.anonymous and not case.contact_consent


async def test_straight_to_summary_from_an_optional_question(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    for value in ("n", "psikis", "ok", "0-5", "l", "15.71.01", KEL_SIMPANG_IV_SIPIN, "-"):
        await chat.press(value)
    await chat.press(">")
    assert await chat.step() == "summary"
    await chat.press("send")
    assert await case_count(app) == 1


async def test_edit_from_the_summary_comes_back_to_it(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await report_until_summary(chat)
    await chat.press("edit")
    assert await chat.step() == "edit"
    await chat.press("victim")
    assert await chat.step() == "age"
    await chat.press("13-17")
    assert await chat.step() == "sex"
    await chat.press("l")
    assert await chat.step() == "summary"
    await chat.press("edit")
    await chat.press("area")
    await chat.text("Kel. Kenali Besar")  # another kecamatan's kelurahan, typed at the kecamatan
    assert await chat.step() == "summary"
    await chat.press("edit")
    await chat.press("desc")
    await chat.text("Cerita yang sudah diperbaiki.")
    assert await chat.step() == "summary"
    assert "Cerita yang sudah diperbaiki." in chat.texts
    await chat.press("edit")
    await chat.press("back")
    await chat.press("send")
    [case] = await all_cases(app)
    assert (case.victim_age_group, case.victim_sex) == ("13-17", "l")
    assert case.kecamatan_code == "15.71.09"  # Alam Barajo
    assert case.description == "Cerita yang sudah diperbaiki."


async def test_cancel_anywhere_and_from_the_summary(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    await chat.press("n")
    await chat.text("/batal")
    assert "Dibatalkan" in chat.texts
    state = await chat.state()
    assert state is not None and state.flow is None
    await chat.text("/start")
    await chat.press("n")
    await chat.press("fisik")
    await chat.text("Batal")  # the plain word works too
    state = await chat.state()
    assert state is not None and state.flow is None
    await report_until_summary(chat)
    await chat.press("cancel")
    assert "dibatalkan" in chat.texts.lower()
    await chat.text("/batal")
    assert "Tidak ada yang sedang diisi" in chat.texts
    assert await case_count(app) == 0
