"""The reporter's voice after closing: asked once, a while after `ditutup`, only if they agreed;
never an anonymous reporter, never outside WhatsApp's window; answers counted, words never shown."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.admin.staff import add_staff
from bot.casework.followup import followup_counts, sweep_followups
from bot.core.app import App
from bot.core.clock import FixedClock
from bot.reporting.digest import digest_text_for
from bot.runtime.cli import main
from models import Case, CaseEvent, CaseFollowUp, CaseStatus, ChatIdentity, Staff
from tests.fakes import whatsapp_payloads as p
from tests.fakes.telegram_api import FakeTelegram
from tests.support.cli_helpers import patbm_env
from tests.support.evidence_support import TwoChannels, two_channels
from tests.support.report_support import KEC_TELANAIPURA, KEL_SIMPANG_IV_SIPIN, seed_areas

pytestmark = pytest.mark.slow

CONSENTING = 5201
ANONYMOUS = 5202
STRANGER = 5203
WA_REPORTER = "6281355550002"
CAPTION = "Ini foto memar di tangan anak itu, diambil kemarin sore."


@pytest.fixture
def fake_tg() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def system(app: App, fake_tg: FakeTelegram) -> AsyncIterator[TwoChannels]:
    await seed_areas(app)
    async with app.db.transaction() as session:
        await add_staff(
            session, "Siti Kader", "081200005201", "kader", KEL_SIMPANG_IV_SIPIN, app.clock.now()
        )
    async with two_channels(app, fake_tg) as both:
        yield both


STEPS = (
    ("danger", "n"),
    ("cat", "psikis"),
    ("cat", "ok"),
    ("age", "13-17"),
    ("sex", "l"),
    ("kec", KEC_TELANAIPURA),
    ("kel", KEL_SIMPANG_IV_SIPIN),
    ("loc", "-"),
    ("when", "week"),
)
TAIL = (("place", "sekolah"), ("rel", "-"), ("role", "-"))


async def report_on_telegram(system: TwoChannels, user: int, contact: str) -> Case:
    """A Telegram report whose story is a photo's caption (as many people send it)."""
    system.tg.add_file(f"PHOTO-{user}", b"\xff\xd8 photo bytes " * 50)
    await system.tg_text(user, "/lapor")
    for step, value in STEPS:
        await system.tg_press(user, f"r:{step}:{value}")
    body = system.tg.message_body(
        user,
        photo=[
            {"file_id": f"PHOTO-{user}-s", "file_unique_id": "s", "width": 90, "height": 90},
            {
                "file_id": f"PHOTO-{user}",
                "file_unique_id": "b",
                "width": 800,
                "height": 800,
                "file_size": 850,
            },
        ],
        caption=CAPTION,
    )
    await system.telegram(system.tg.make_update(user, body))
    assert "tulisan Anda diterima" in system.tg.texts(user)[-1]
    await system.tg_press(user, "r:desc:ok")
    for step, value in TAIL:
        await system.tg_press(user, f"r:{step}:{value}")
    summary = system.tg.texts(user)[-1]
    assert CAPTION in summary and "(dilewati)" not in summary.split("Cerita:")[1].split("\n")[0]
    # The send buttons carry the consent: "Kirim, boleh dihubungi" or "Kirim anonim".
    await system.tg_press(user, "r:summary:send" if contact == "y" else "r:summary:anon")
    async with system.app.db.transaction() as session:
        case = await session.scalar(
            select(Case).where(Case.channel == "telegram").order_by(Case.id.desc()).limit(1)
        )
    assert case is not None and case.description == CAPTION
    return case


async def _close(app: App, case_id: int) -> None:
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        case.status = CaseStatus.DITUTUP
        case.closed_at = app.clock.now()


async def _followups(app: App) -> list[CaseFollowUp]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(CaseFollowUp).order_by(CaseFollowUp.id))).all())


async def test_a_consenting_reporter_is_asked_once_and_an_anonymous_one_never(
    system: TwoChannels,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, tg = system.app, system.tg
    consenting = await report_on_telegram(system, CONSENTING, "y")
    anonymous = await report_on_telegram(system, ANONYMOUS, "n")
    # The photo was fetched with getFile and stored with the case.
    assert [c.params["file_id"] for c in tg.calls_to("getFile")] == [
        f"PHOTO-{CONSENTING}",
        f"PHOTO-{ANONYMOUS}",
    ]
    await _close(app, consenting.id)
    await _close(app, anonymous.id)
    seen = {user: len(tg.messages(user)) for user in (CONSENTING, ANONYMOUS)}

    # Not yet: the question waits for the configured time (3 days by default).
    clock.advance(timedelta(days=2))
    assert (await sweep_followups(app, clock.now())).sent == 0
    clock.advance(timedelta(days=1, minutes=1))
    result = await sweep_followups(app, clock.now())
    await system.settle()
    assert (result.sent, result.skipped) == (1, 0)
    question = tg.messages(CONSENTING)[-1]
    assert consenting.reference in question["text"]
    buttons = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["Ya", "Sebagian", "Tidak", "Lewati"]
    assert len(tg.messages(ANONYMOUS)) == seen[ANONYMOUS]

    # Never twice, however often the job runs.
    clock.advance(timedelta(hours=1))
    assert (await sweep_followups(app, clock.now())).sent == 0
    (followup,) = await _followups(app)
    assert followup.case_id == consenting.id

    # Someone else pressing the reporter's button: refused and recorded.
    await system.tg_press(STRANGER, f"fu:{followup.id}:tidak")
    async with app.db.transaction() as session:
        denied = await session.scalar(
            select(CaseEvent).where(
                CaseEvent.kind == "access_denied", CaseEvent.case_id == consenting.id
            )
        )
    assert denied is not None and denied.data == {"action": "followup"}

    await system.tg_press(CONSENTING, f"fu:{followup.id}:ya", int(question["message_id"]))
    await system.tg_text(CONSENTING, "cepat dan ramah")
    (answered,) = await _followups(app)
    assert (answered.status, answered.answer, answered.note) == (
        "answered",
        "ya",
        "cepat dan ramah",
    )
    await system.tg_press(CONSENTING, f"fu:{followup.id}:tidak", int(question["message_id"]))
    assert "sudah kami catat" in tg.texts(CONSENTING)[-1]
    assert (await _followups(app))[0].answer == "ya"

    async with app.db.transaction() as session:
        counts = await followup_counts(session)
        dinas = await add_staff(
            session, "Dewi Dinas", "081200005299", "dinas", "15.71", clock.now()
        )
    assert (counts.asked, counts.answered, counts.by_answer) == (1, 1, {"ya": 1})
    async with app.db.transaction() as session:
        staff = await session.get(Staff, dinas.id)
        assert staff is not None
        digest = await digest_text_for(session, staff, clock.now(), app.settings)
    assert "1 ditanya, 100% menjawab, 100% dari jawaban “Ya”" in digest
    assert "cepat" not in digest

    with patbm_env(monkeypatch, database_url, tmp_path):
        assert await asyncio.to_thread(main, ["stats"]) == 0
    out = capsys.readouterr().out
    assert "Tindak lanjut pelapor" in out and "cepat" not in out
    assert re.search(r"^Menjawab +1 +100%$", out, re.M)
    assert re.search(r"^  Ya +1 +100%$", out, re.M)
    assert re.search(r"^  Tidak +0 +0%$", out, re.M)


async def test_outside_the_whatsapp_window_the_question_is_skipped_and_recorded(
    system: TwoChannels, clock: FixedClock
) -> None:
    app = system.app
    await system.whatsapp(p.text_message(system.wamid(), WA_REPORTER, "Halo"))
    for step, value in (*STEPS, ("desc", "-"), *TAIL, ("contact", "y"), ("summary", "send")):
        await system.whatsapp(
            p.button_reply(system.wamid(), WA_REPORTER, f"r:{step}:{value}", "Pilih")
        )
    async with app.db.transaction() as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.contact_consent
    await _close(app, case.id)
    clock.advance(timedelta(days=3, minutes=1))
    sent_before = len(system.wa.to(WA_REPORTER))
    result = await sweep_followups(app, clock.now())
    await system.settle()
    assert (result.sent, result.reasons) == (0, {"whatsapp_window": 1})
    assert len(system.wa.to(WA_REPORTER)) == sent_before
    (followup,) = await _followups(app)
    assert (followup.status, followup.reason) == ("skipped", "whatsapp_window")
    async with app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.chat_id == WA_REPORTER)
        )
        assert identity is not None
        skipped = await session.scalar(
            select(CaseEvent).where(CaseEvent.kind == "followup_skipped")
        )
    assert skipped is not None and skipped.data == {"reason": "whatsapp_window"}
    # Skipped is final: the reporter writing later does not bring a late question.
    assert (await sweep_followups(app, clock.now())).skipped == 0
