"""`patbm chat --demo` as a person uses it: the whole story, in one throw-away database.

The person reads each numbered list and types the number next to the label they want.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.journeys.terminal_person import ROOT, WAIT, TerminalPerson, clean_env

pytestmark = [pytest.mark.journey, pytest.mark.slow]
REFERENCE = re.compile(r"\b[A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{2}\b")
# A Monday morning with no holiday near: the working-day deadlines fall where the story says.
MONDAY = "2026-12-07T09:00+07:00"
CATEGORY_QUESTION = "Kekerasan apa yang terjadi?"


@pytest.fixture
def person(tmp_path: Path) -> Iterator[TerminalPerson]:
    someone = TerminalPerson(tmp_path, "--at", MONDAY)
    yield someone
    someone.kill()


def _kader_kelurahan(banner: str) -> tuple[str, str]:
    line = next(li for li in banner.splitlines() if li.strip().startswith("kader "))
    match = re.search(r"Kelurahan (.+?) \(Kecamatan (.+?)\)", line)
    assert match is not None, line
    return match.group(1), match.group(2)


def test_a_resident_reports_and_the_kader_accepts(person: TerminalPerson) -> None:
    screen = person.read()
    assert "kader PATBM" in screen and "koordinator kecamatan" in screen
    kelurahan, kecamatan = _kader_kelurahan(screen)
    assert person.who == "warga"
    screen = person.choose("Tidak sekarang")
    assert CATEGORY_QUESTION in screen
    # A stray minus, a zero, a number past the list: refused kindly, the question again.
    for typed in ("-1", "-3", "0", "99", "1.5", "+1"):
        screen = person.type(typed)
        assert "Maaf, kami belum mengerti" in screen and CATEGORY_QUESTION in screen
        assert "✅" not in screen, typed  # nothing was ticked
    screen = person.type("/foo")
    assert "tidak kami kenal" in screen and CATEGORY_QUESTION in screen
    person.choose("Kekerasan fisik")
    assert "✅ Kekerasan fisik" in person.screen and "✅ Kekerasan seksual" not in person.screen
    person.choose("Lanjut")
    person.choose("6–12 tahun")
    person.choose("Perempuan")
    screen = person.type(kecamatan)
    assert f"Kecamatan {kecamatan}" in screen
    person.choose(kelurahan)
    person.type("RT 05 dekat masjid")
    person.choose("Hari ini")
    person.type("Anak tetangga sering dipukul ayahnya.")
    person.choose("Langsung ke ringkasan")
    screen = person.choose("Kirim anonim")
    match = REFERENCE.search(screen.split("Nomor laporan", 1)[1])
    assert match is not None
    reference = match.group()

    screen = person.type("/sebagai kader")
    assert person.who == "kader"
    assert reference in screen and "Ada laporan baru" in screen  # waiting for them at once
    screen = person.choose("Terima")
    # The case view: the kader now reads the details in words.
    assert reference in screen and "Cerita pelapor" in screen
    assert "Anak tetangga sering dipukul ayahnya." in screen and "RT 05 dekat masjid" in screen
    assert "Status: diterima" in screen
    screen = person.type("-1")  # no option is picked by a minus on the staff side either
    assert "Sedang ditangani" not in screen.split("🤖", 1)[0]
    code, err = person.quit()
    assert code == 0, err
    assert "WARNING" not in person.transcript and "INFO" not in person.transcript


def test_a_typed_name_outside_the_list_is_asked_back(person: TerminalPerson) -> None:
    person.read()
    person.choose("Tidak sekarang")
    person.choose("Kekerasan psikis")
    person.choose("Lanjut")
    person.choose("13–17 tahun")
    person.choose("Laki-laki")
    person.choose("Alam Barajo")
    screen = person.type("telanai")  # Telanaipura is a kelurahan of another kecamatan
    assert "Maksud Anda Telanaipura (Kecamatan Telanaipura)?" in screen
    assert "Bagan Pete" in person.options()  # the list again
    screen = person.type("ya")
    assert "Tulis RT/RW" in screen
    person.quit()


# The story's comments must hold whatever day it is told on (it once said "four days" and
# reminded nobody when told on a Thursday).
@pytest.mark.parametrize("start", [MONDAY, "2026-12-03T14:45+07:00", "2026-12-04T16:00+07:00"])
def test_the_docs_story_script(tmp_path: Path, start: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.runtime.cli",
            "chat",
            "--demo",
            "--at",
            start,
            "--script",
            str(ROOT / "docs" / "demo-story.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=WAIT,
        cwd=tmp_path,
        env=clean_env(tmp_path),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Maaf" not in out  # every line was understood
    reference = REFERENCE.search(out.split("Nomor laporan", 1)[1])
    assert reference is not None
    kader = out.split("kader> Terima", 1)
    assert len(kader) == 2 and "sekarang Anda tangani" in kader[1]
    first_sweep = out.split("kader> /jobs escalation", 2)[1]
    assert "Pengingat: kasus " + reference.group() in first_sweep
    dinas = out.split("/sebagai dinas", 1)[1]
    assert "Eskalasi: kasus " + reference.group() in dinas
    assert list(tmp_path.iterdir()) == []  # the demo database was thrown away
