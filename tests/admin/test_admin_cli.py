"""`patbm areas ...` and `patbm staff ...` as an administrator uses them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.db import Database
from models import Area, Staff
from tests.support.cli_helpers import patbm_env, run_cli


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, db: Database, database_url: str, tmp_path: Path
) -> Iterator[Path]:
    with patbm_env(monkeypatch, database_url, tmp_path):
        yield tmp_path


async def _count(db: Database, model: type[Area] | type[Staff]) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _run_in_thread(*argv: str) -> int:
    # The CLI runs its own event loop, so it cannot run inside the test's loop.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(run_cli, *argv).result()


async def test_areas_import_jambi(
    cli_env: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run_in_thread("areas", "import", "15.71") == 0
    assert "Kota Jambi (15.71): 11 kecamatan, 68 kelurahan/desa" in capsys.readouterr().out
    assert _run_in_thread("areas", "import", "15.71") == 0
    assert "(0 added, 0 updated)" in capsys.readouterr().out
    assert await _count(db, Area) == 80
    assert _run_in_thread("areas", "list", "15.71.01") == 0
    assert "Simpang IV Sipin" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("99.99", "there is no province 99"),
        ("15.79", "did you mean 15.72"),
        ("1571", "expected two numbers"),
        ("15.71.01", "expected two numbers"),
    ],
)
async def test_areas_import_refuses_bad_codes(
    cli_env: Path, db: Database, capsys: pytest.CaptureFixture[str], code: str, message: str
) -> None:
    assert _run_in_thread("areas", "import", code) == 1
    assert message in capsys.readouterr().err
    assert await _count(db, Area) == 0


GOOD = """name,phone,role,area_code
Siti Aminah,0812 3456 7890,kader,15.71.01.1001
Budi Santoso,+62 813-1111-2222,kader,15.71.01.1001
Rahmat,6281355556666,koordinator_kecamatan,15.71.01
Dinas PPPA,081277778888,dinas,15.71
"""


async def test_staff_import_and_reimport(
    cli_env: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run_in_thread("areas", "import", "15.71") == 0
    csv_file = cli_env / "staff.csv"
    csv_file.write_text(GOOD)
    assert _run_in_thread("staff", "import", str(csv_file)) == 0
    assert "4 added" in capsys.readouterr().out
    csv_file.write_text(GOOD.replace("Siti Aminah", "Siti Aminah S.Pd"))
    assert _run_in_thread("staff", "import", str(csv_file)) == 0
    assert "0 added, 1 updated, 3 unchanged" in capsys.readouterr().out
    assert await _count(db, Staff) == 4
    async with db.transaction() as session:
        phones = set((await session.scalars(select(Staff.phone))).all())
    assert phones == {"+6281234567890", "+6281311112222", "+6281355556666", "+6281277778888"}
    assert _run_in_thread("staff", "list") == 0
    assert "Siti Aminah S.Pd" in capsys.readouterr().out


BAD_ROWS = {
    "Ani,12345,kader,15.71.01.1001": "not a valid Indonesian phone number",
    "Ani,081299990000,ketua,15.71.01.1001": "unknown role 'ketua'",
    "Ani,081299990000,kader,15.71.99.9999": "unknown area '15.71.99.9999'",
    "Ani,081299990000,kader,15.71.01": "a kader belongs to a kelurahan",
    "Ani,081299990000,koordinator_kecamatan,15.71.01.1001": "belongs to a kecamatan",
    ",081299990000,kader,15.71.01.1001": "the name is empty",
    "Ani,081299990000,kader": "expected 4 columns",
    "Ani,0812 3456 7890,kader,15.71.01.1002": "already on line 2",
}


@pytest.mark.parametrize(("row", "reason"), list(BAD_ROWS.items()))
async def test_staff_import_refuses_whole_file(
    cli_env: Path, db: Database, capsys: pytest.CaptureFixture[str], row: str, reason: str
) -> None:
    assert _run_in_thread("areas", "import", "15.71") == 0
    csv_file = cli_env / "staff.csv"
    csv_file.write_text(
        "name,phone,role,area_code\nSiti,0812 3456 7890,kader,15.71.01.1001\n" + row + "\n"
    )
    assert _run_in_thread("staff", "import", str(csv_file)) == 1
    err = capsys.readouterr().err
    assert "line 3:" in err and reason in err
    assert await _count(db, Staff) == 0


async def test_staff_import_wrong_header(
    cli_env: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = cli_env / "staff.csv"
    csv_file.write_text("nama,hp,peran,wilayah\nSiti,0812 3456 7890,kader,15.71.01.1001\n")
    assert _run_in_thread("staff", "import", str(csv_file)) == 1
    assert "line 1: the header must be name,phone,role,area_code" in capsys.readouterr().err


async def test_staff_add_and_invite(
    cli_env: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run_in_thread("areas", "import", "15.71") == 0
    assert (
        _run_in_thread(
            "staff",
            "add",
            "--name",
            "Siti",
            "--phone",
            "0812-3456-7890",
            "--role",
            "kader",
            "--area",
            "15.71.01.1001",
        )
        == 0
    )
    capsys.readouterr()
    assert _run_in_thread("staff", "invite", "+6281234567890") == 0
    out = capsys.readouterr().out
    assert "/start " in out
    assert _run_in_thread("staff", "invite", "081200000000") == 1
