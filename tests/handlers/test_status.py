"""`/status REF PIN`: plain words, one neutral 'not found', throttled wrong tries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core import metrics
from bot.core.app import App
from bot.core.clock import FixedClock
from models import Case, CaseEvent, CaseStatus
from tests.support.chat import Chat
from tests.support.report_support import all_cases, report_until_summary, seed_areas

NOT_FOUND = "tidak ditemukan"


async def _reported(app: App) -> tuple[Chat, str, str]:
    await seed_areas(app)
    chat = Chat(app, user_id="reporter")
    await report_until_summary(chat)
    await chat.press("send")
    words = chat.texts.replace("\n", " ").split()
    reference = next(w for w in words if w.count("-") == 2 and w[:3].isalpha())
    pin = next(w for w in words if w.isdigit() and len(w) == 6)
    return chat, reference, pin


async def test_status_from_another_chat_in_plain_words(app: App) -> None:
    _, reference, pin = await _reported(app)
    other = Chat(app, user_id="someone-else", channel="whatsapp")
    await other.text(f"/status {reference} {pin}")
    answer = other.texts
    assert reference in answer and "diteruskan" in answer
    assert "23-11-2026 09:00 WIB" in answer
    assert "dipukul" not in answer  # never the description
    async with app.db.transaction() as session:
        kinds = (await session.scalars(select(CaseEvent.kind))).all()
    assert "status_checked" in kinds


async def test_status_reads_typed_references_forgivingly(app: App) -> None:
    _, reference, pin = await _reported(app)
    chat = Chat(app, user_id="x")
    await chat.text(f"/status {reference.lower().replace('-', ' ')} {pin}")
    assert reference in chat.texts


async def test_status_words_follow_the_case(app: App) -> None:
    _, reference, pin = await _reported(app)
    async with app.db.transaction() as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        case.status = CaseStatus.DIRUJUK
    chat = Chat(app, user_id="x", language_hint="en")
    await chat.text(f"/status {reference} {pin}")
    assert "referred to the Dinas PPPA" in chat.texts


async def test_wrong_pin_and_wrong_reference_look_the_same(app: App) -> None:
    _, reference, pin = await _reported(app)
    chat = Chat(app, user_id="guesser")
    wrong_pin = "000000" if pin != "000000" else "111111"
    await chat.text(f"/status {reference} {wrong_pin}")
    first = chat.texts
    await chat.text(f"/status JMB-2222-22 {pin}")
    second = chat.texts
    await chat.text("/status tidak-ada 123")
    third = chat.texts
    assert NOT_FOUND in first and first == second == third


async def test_too_many_wrong_tries_are_throttled(app: App, clock: FixedClock) -> None:
    _, reference, pin = await _reported(app)
    chat = Chat(app, user_id="guesser")
    for _ in range(app.settings.status_max_failures):
        await chat.text(f"/status {reference} 999999")
        assert NOT_FOUND in chat.texts
    await chat.text(f"/status {reference} {pin}")  # even the right PIN: wait first
    assert "Terlalu banyak percobaan" in chat.texts and "15 menit" in chat.texts
    # Another chat user is not affected.
    other = Chat(app, user_id="owner")
    await other.text(f"/status {reference} {pin}")
    assert reference in other.texts
    clock.advance(timedelta(minutes=app.settings.status_window_minutes))
    await chat.text(f"/status {reference} {pin}")
    assert reference in chat.texts and "Terlalu" not in chat.texts


async def test_status_asks_for_reference_and_pin_and_keeps_the_draft(app: App) -> None:
    _, reference, pin = await _reported(app)
    chat = Chat(app, user_id="asker")
    await chat.text("/start")
    await chat.press("n")
    await chat.text("/status")
    assert "nomor laporan dan PIN" in chat.texts
    await chat.text(reference)
    assert "PIN" in chat.texts
    await chat.text(pin)
    assert reference in chat.texts and "masih tersimpan" in chat.texts
    assert "Kekerasan apa yang terjadi?" in chat.texts  # the interrupted question again
    state = await chat.state()
    assert state is not None and (state.flow, state.step) == ("report", "cat")
    await chat.text("/status")
    await chat.text(f"{reference} {pin}")
    assert reference in chat.texts
    await chat.text("/status")
    await chat.text("/batal")  # leaves the status check, back to the draft
    state = await chat.state()
    assert state is not None and (state.flow, state.step) == ("report", "cat")
    await chat.text("/batal")
    state = await chat.state()
    assert state is not None and state.flow is None


async def test_status_with_reference_only_then_pin(app: App) -> None:
    _, reference, pin = await _reported(app)
    chat = Chat(app, user_id="asker")
    await chat.text(f"/status {reference}")
    assert "PIN" in chat.texts
    await chat.text(pin)
    assert reference in chat.texts
    assert len(await all_cases(app)) == 1


async def test_wrong_pins_from_many_chats_lock_the_reference_for_a_while(
    app: App, clock: FixedClock
) -> None:
    """Thirty chats, one guess each: the reference is locked after ten, for everyone."""
    _, reference, pin = await _reported(app)
    wrong = "000000" if pin != "000000" else "111111"
    before = metrics.STATUS_LOOKUPS.labels(outcome="throttled_reference")._value.get()
    answers = []
    for n in range(30):
        guesser = Chat(app, user_id=f"guesser-{n}")
        await guesser.text(f"/status {reference} {wrong}")
        answers.append("Terlalu banyak percobaan" in guesser.texts)
    most = app.settings.status_reference_max_failures
    assert answers == [False] * most + [True] * (30 - most)
    after = metrics.STATUS_LOOKUPS.labels(outcome="throttled_reference")._value.get()
    assert after - before == 30 - most
    # Even the right PIN, from a chat that never guessed: wait for the lock to lift.
    owner = Chat(app, user_id="owner-31")
    await owner.text(f"/status {reference} {pin}")
    assert "Terlalu banyak percobaan" in owner.texts and reference not in owner.texts
    # The lock is fixed from the first wrong try: the guesses refused meanwhile did not extend
    # it, so the reporter gets through once the stated time has passed.
    clock.advance(timedelta(minutes=app.settings.status_reference_lock_minutes))
    await owner.text(f"/status {reference} {pin}")
    assert reference in owner.texts and "Terlalu" not in owner.texts


async def test_the_reporters_own_chat_gets_through_a_locked_reference(app: App) -> None:
    """Someone who keeps guessing cannot keep the reporter from their status."""
    reporter, reference, pin = await _reported(app)
    wrong = "000000" if pin != "000000" else "111111"
    for n in range(app.settings.status_reference_max_failures):
        await Chat(app, user_id=f"guesser-{n}").text(f"/status {reference} {wrong}")
    stranger = Chat(app, user_id="stranger")
    await stranger.text(f"/status {reference} {pin}")
    assert "Terlalu banyak percobaan" in stranger.texts and reference not in stranger.texts
    await reporter.text(f"/status {reference} {pin}")
    assert reference in reporter.texts and "Terlalu" not in reporter.texts


async def test_the_reference_lock_lasts_its_minutes_from_the_first_wrong_pin_only(
    app: App, clock: FixedClock
) -> None:
    _, reference, pin = await _reported(app)
    wrong = "000000" if pin != "000000" else "111111"
    owner = Chat(app, user_id="owner")
    await owner.text(f"/status {reference} {pin}")  # a right look-up opens no window
    clock.advance(timedelta(minutes=10))
    for n in range(app.settings.status_reference_max_failures):
        await Chat(app, user_id=f"g{n}").text(f"/status {reference} {wrong}")
    lock = timedelta(minutes=app.settings.status_reference_lock_minutes)
    clock.advance(lock - timedelta(minutes=1))
    # Guessing on while locked: refused, not counted, and the lock does not grow.
    await Chat(app, user_id="late-guesser").text(f"/status {reference} {wrong}")
    await owner.text(f"/status {reference} {pin}")
    assert "Terlalu banyak percobaan" in owner.texts and "1 menit" in owner.texts
    clock.advance(timedelta(minutes=1))
    await owner.text(f"/status {reference} {pin}")
    assert reference in owner.texts
