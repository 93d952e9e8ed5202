"""Exports: one row per case, SIMFONI-PPA columns, read back by real readers, no personal data."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.core.app import App
from bot.reporting.export import HEADER, write_csv, write_xlsx
from bot.reporting.facts import Period, day_period, load_case_rows
from bot.runtime.cli import main
from tests.conftest import START, TEST_KEY
from tests.support.reporting_seed import PERSONAL, cli_environment, seed, seed_sync


def assert_no_personal_data(text: str) -> None:
    leaked = [marker for marker in PERSONAL if marker.lower() in text.lower()]
    assert not leaked, f"personal data in the export: {leaked}"


async def test_csv_has_one_row_per_case_with_simfoni_columns(app: App) -> None:
    async with app.db.transaction() as session:
        seeded = await seed(session, app.clock.now())
    async with app.db.transaction() as session:
        rows = await load_case_rows(session, Period())
    out = io.StringIO()
    assert write_csv(rows, out, app.settings.zone) == 6
    text = out.getvalue()
    assert_no_personal_data(text)

    records = list(csv.DictReader(io.StringIO(text)))
    assert list(records[0]) == HEADER
    assert len(records) == 6
    by_ref = {r["No. Registrasi"]: r for r in records}
    assert set(by_ref) == {case.reference for case in seeded.cases.values()}

    closed = by_ref[seeded.cases["closed_this_month"].reference]
    assert closed["Tanggal Pelaporan"] == "2026-11-02 08:00"  # 01:00 UTC in WIB
    assert closed["Tanggal Diterima"] == "2026-11-02 10:00"
    assert closed["Tanggal Selesai"] == "2026-11-05 08:00"
    assert (closed["Kode Kecamatan"], closed["Kecamatan"]) == ("15.71.01", "Telanaipura")
    assert (closed["Kode Kelurahan/Desa"], closed["Kelurahan/Desa"]) == (
        "15.71.01.1001",
        "Simpang IV Sipin",
    )
    assert closed["Bentuk Kekerasan"] == "Fisik; Psikis"
    assert closed["Tempat Kejadian"] == "Rumah Tangga"
    assert closed["Kelompok Umur Korban"] == "6-12 tahun"
    assert closed["Jenis Kelamin Korban"] == "Perempuan"
    assert closed["Hubungan Pelaku dengan Korban"] == "Orang Tua"
    assert closed["Prioritas"] == "Biasa"
    assert closed["Status"] == "Ditutup"
    assert closed["Tingkat Eskalasi"] == "0"
    assert closed["Penanggung Jawab"] == "Kader PATBM Kelurahan"
    assert closed["Waktu Respons (jam)"] == "2.0"
    assert closed["Lama Penanganan (hari)"] == "3.0"

    escalated = by_ref[seeded.cases["escalated"].reference]
    assert escalated["Prioritas"] == "Darurat"
    assert escalated["Tingkat Eskalasi"] == "1"
    assert escalated["Penanggung Jawab"] == "Koordinator Kecamatan"
    assert escalated["Waktu Respons (jam)"] == "0.5"
    assert escalated["Lama Penanganan (hari)"] == ""
    fresh = by_ref[seeded.cases["new_last_month"].reference]
    assert (fresh["Status"], fresh["Penanggung Jawab"], fresh["Tanggal Diterima"]) == (
        "Baru",
        "",
        "",
    )


async def test_xlsx_read_back_has_no_personal_data(app: App, tmp_path: Path) -> None:
    async with app.db.transaction() as session:
        seeded = await seed(session, app.clock.now())
    zone = app.settings.zone
    async with app.db.transaction() as session:
        rows = await load_case_rows(session, day_period(date(2026, 11, 1), None, zone))
    path = tmp_path / "kasus.xlsx"
    assert write_xlsx(rows, path, zone, period="2026-11-01 s.d. …") == 2

    book = load_workbook(path)
    sheet = book["Kasus"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADER
    assert {row[0] for row in values[1:]} == {
        seeded.cases["closed_this_month"].reference,
        seeded.cases["escalated"].reference,
    }
    first = dict(zip(HEADER, values[1], strict=True))
    assert first["Tanggal Pelaporan"] == datetime(2026, 11, 2, 8, 0)
    assert first["Waktu Respons (jam)"] == 2.0
    everything = " ".join(
        str(cell)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for cell in row
    )
    assert "Keterangan" in book.sheetnames
    assert_no_personal_data(everything)


async def test_period_is_local_days_inclusive(app: App) -> None:
    async with app.db.transaction() as session:
        seeded = await seed(session, app.clock.now())
    zone = app.settings.zone
    async with app.db.transaction() as session:
        october = await load_case_rows(
            session, day_period(date(2026, 10, 1), date(2026, 10, 31), zone)
        )
        one_day = await load_case_rows(
            session, day_period(date(2026, 11, 2), date(2026, 11, 2), zone)
        )
    assert [r.reference for r in october] == [seeded.cases["new_last_month"].reference]
    assert [r.reference for r in one_day] == [seeded.cases["closed_this_month"].reference]


def test_cli_csv_to_stdout_and_file(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    refs = seed_sync(database_url, START, TEST_KEY)
    with cli_environment(monkeypatch, database_url, tmp_path, key=TEST_KEY):
        assert (
            main(["export", "--format", "csv", "--from", "2026-11-01", "--to", "2026-11-30"]) == 0
        )
        out = capsys.readouterr().out
        records = list(csv.DictReader(io.StringIO(out)))
        assert sorted(r["No. Registrasi"] for r in records) == sorted(
            [refs["closed_this_month"], refs["escalated"]]
        )
        assert_no_personal_data(out)

        target = tmp_path / "semua.csv"
        assert main(["export", "--output", str(target)]) == 0
        assert "6 cases" in capsys.readouterr().out
        text = target.read_text(encoding="utf-8")
        assert len(list(csv.DictReader(io.StringIO(text)))) == 6
        assert_no_personal_data(text)


def test_cli_xlsx_needs_output_and_writes_it(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_sync(database_url, START, TEST_KEY)
    with cli_environment(monkeypatch, database_url, tmp_path, key=TEST_KEY):
        assert main(["export", "--format", "xlsx"]) == 2
        assert "--output" in capsys.readouterr().err
        target = tmp_path / "kasus.xlsx"
        assert main(["export", "--format", "xlsx", "--output", str(target)]) == 0
        book = load_workbook(target)
        assert book["Kasus"].max_row == 7
        assert main(["export", "--from", "2026-13-01"]) == 2
        assert main(["export", "--from", "2026-11-30", "--to", "2026-11-01"]) == 2
        assert "before" in capsys.readouterr().err
