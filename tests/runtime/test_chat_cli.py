"""`patbm chat`: the terminal runs the same flows; a newcomer reports a case in a few actions."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.admin.staff import add_staff
from bot.core.app import App
from bot.runtime.commands.chat import run_chat
from models import Area, ChatIdentity, OutboxMessage
from tests.support.report_support import KEL_SIMPANG_IV_SIPIN, all_cases, seed_areas

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"\b[A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{2}\b")

# What a newcomer types in `patbm chat --demo`, one action a line. The chat opens with the
# welcome and the first question, so no action is needed to start.
NEWCOMER_ACTIONS = [
    "2",  # no one is in danger right now
    "1",  # kekerasan fisik
    "10",  # continue
    "2",  # 6–12 years
    "1",  # perempuan
    "Telanaipura",  # the kecamatan, typed
    "1",  # the first kelurahan on the list
    "RT 05 dekat masjid",  # RT/RW or landmark
    "1",  # today
    "Anak tetangga sering dipukul ayahnya.",  # what happened
    "7",  # straight to the summary
    "1",  # send
]


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATBM_")}
    env["PYTHONPATH"] = str(ROOT)
    env["HOME"] = str(tmp_path)
    return env


@pytest.mark.slow
def test_newcomer_reports_a_case_in_at_most_14_actions(tmp_path: Path) -> None:
    assert len(NEWCOMER_ACTIONS) <= 14
    done = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", "chat", "--demo"],
        input="\n".join(NEWCOMER_ACTIONS) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Apakah ada orang yang dalam bahaya SEKARANG?" in out
    assert "Nomor laporan" in out and "PIN" in out
    match = REFERENCE.search(out.split("Nomor laporan", 1)[1])
    assert match is not None and match.group().startswith("JMB-")
    assert "Maaf" not in out  # no action was misunderstood
    assert list(tmp_path.iterdir()) == []  # the demo database was thrown away


@pytest.mark.slow
def test_demo_as_a_staff_member(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", "chat", "--demo", "--as", "081200000001"],
        input="/bantuan\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "(chatting as Kader Demo Satu)" in done.stdout


async def test_terminal_chat_prints_replies_and_marks_them_sent(app: App) -> None:
    await seed_areas(app)
    out = io.StringIO()
    lines = "\n".join(["2", "1", "10", "3", "2", "jelutung", "1", "1", "1", "cerita", "7", "1"])
    code = await run_chat(app, user_id="warga", as_phone=None, stdin=io.StringIO(lines), out=out)
    assert code == 0
    text = out.getvalue()
    assert "   1. Ya, ada bahaya sekarang" in text and "Nomor laporan" in text
    [case] = await all_cases(app)
    assert case.channel == "terminal" and case.kecamatan_code == "15.71.08"  # Jelutung
    async with app.db.transaction() as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.channel == "terminal", OutboxMessage.status == "pending")
        )
    assert pending == 0


async def test_terminal_chat_as_staff_links_the_identity(app: App) -> None:
    await seed_areas(app)
    async with app.db.transaction() as session:
        await add_staff(
            session,
            "Pak Koordinator",
            "081234500009",
            "koordinator_kecamatan",
            "15.71.01",
            app.clock.now(),
        )
    out = io.StringIO()
    code = await run_chat(
        app, user_id="staff-1", as_phone="0812-3450-0009", stdin=io.StringIO(""), out=out
    )
    assert code == 0 and "Pak Koordinator" in out.getvalue()
    async with app.db.transaction() as session:
        identity = await session.scalar(select(ChatIdentity))
    assert identity is not None and identity.staff_id is not None
    unknown = await run_chat(
        app, user_id="x", as_phone="081299999999", stdin=io.StringIO(""), out=io.StringIO()
    )
    assert unknown == 1


async def test_terminal_chat_as_staff_opens_on_the_staff_home(app: App) -> None:
    await seed_areas(app)
    async with app.db.transaction() as session:
        await add_staff(
            session, "Bu Kader", "081234500010", "kader", KEL_SIMPANG_IV_SIPIN, app.clock.now()
        )
    out = io.StringIO()
    code = await run_chat(
        app, user_id="staff-2", as_phone="081234500010", stdin=io.StringIO(""), out=out
    )
    assert code == 0
    text = out.getvalue()
    assert "   1. Kasus saya" in text and "Catat kasus" in text
    assert "bahaya SEKARANG" not in text  # not the resident's first question


async def test_terminal_resident_links_by_typing_their_number_after_daftar(app: App) -> None:
    await seed_areas(app)
    async with app.db.transaction() as session:
        staff = await add_staff(
            session, "Bu Kader", "081234500011", "kader", KEL_SIMPANG_IV_SIPIN, app.clock.now()
        )
    out = io.StringIO()
    lines = "\n".join(["1", "/daftar", "0812-3450-0011"])  # mid-report: staff after all
    code = await run_chat(app, user_id="warga-3", as_phone=None, stdin=io.StringIO(lines), out=out)
    assert code == 0
    text = out.getvalue()
    assert "Petugas PATBM: ketik /daftar" in text  # the welcome says how
    assert "terhubung sebagai petugas PATBM" in text and "   1. Kasus saya" in text
    async with app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == "warga-3")
        )
    assert identity is not None and identity.staff_id == staff.id


async def test_a_staff_chat_opens_with_what_is_waiting(app: App) -> None:
    """No chat was linked when the case came: opening `--as PHONE` shows it at once."""
    await seed_areas(app)
    async with app.db.transaction() as session:
        first = await session.scalar(
            select(Area.code).where(Area.parent_code == "15.71.08").order_by(Area.name, Area.code)
        )
        assert first is not None
        await add_staff(session, "Bu Kader", "081234500011", "kader", first, app.clock.now())
    lines = "\n".join(["2", "1", "10", "3", "2", "jelutung", "1", "1", "1", "cerita", "7", "1"])
    out = io.StringIO()
    await run_chat(app, user_id="warga", as_phone=None, stdin=io.StringIO(lines), out=out)
    [case] = await all_cases(app)
    staff_out = io.StringIO()
    code = await run_chat(
        app, user_id="staff-k", as_phone="081234500011", stdin=io.StringIO(""), out=staff_out
    )
    assert code == 0 and case.reference in staff_out.getvalue()
