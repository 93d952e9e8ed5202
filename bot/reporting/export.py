"""Exports of cases for reporting (CSV, XLSX), without any personal data.

One row per case. Column names and cell words follow SIMFONI-PPA's vocabulary where it has one
(the `simfoni` words of bot/cases/vocabulary.py; docs/export.md is the mapping), never our codes. What is left out on purpose: description, location detail and point,
evidence, reporter identity and contact, names and phone numbers of anyone, outcome and notes.
The rows are built from `bot.reporting.facts.CaseRow`, which never loads those columns at all.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from bot.cases import vocabulary as v
from bot.reporting.facts import CaseRow

Cell = str | int | float | datetime | None


@dataclass(frozen=True)
class Column:
    title: str
    meaning: str
    value: Callable[[CaseRow, ZoneInfo], Cell]


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    # Spreadsheets have no time zones: the deployment's local time, stated in the header.
    return moment.astimezone(zone).replace(tzinfo=None) if moment else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


COLUMNS: tuple[Column, ...] = (
    Column("No. Registrasi", "nomor laporan (referensi kasus)", lambda r, z: r.reference),
    Column("Tanggal Pelaporan", "waktu laporan masuk", lambda r, z: _local(r.created_at, z)),
    Column("Tanggal Diterima", "waktu kader menerima kasus", lambda r, z: _local(r.accepted_at, z)),
    Column(
        "Tanggal Selesai", "waktu kasus ditandai selesai", lambda r, z: _local(r.resolved_at, z)
    ),
    Column("Kode Kecamatan", "kode Kemendagri kecamatan", lambda r, z: r.kecamatan_code),
    Column("Kecamatan", "nama kecamatan", lambda r, z: r.kecamatan_name),
    Column("Kode Kelurahan/Desa", "kode Kemendagri kelurahan/desa", lambda r, z: r.kelurahan_code),
    Column("Kelurahan/Desa", "nama kelurahan/desa", lambda r, z: r.kelurahan_name),
    Column(
        "Bentuk Kekerasan",
        "satu atau lebih, dipisah titik koma",
        lambda r, z: "; ".join(v.CATEGORIES.simfoni_list(r.categories)),
    ),
    Column("Tempat Kejadian", "", lambda r, z: v.PLACES.simfoni(r.place)),
    Column("Kelompok Umur Korban", "", lambda r, z: v.AGE_GROUPS.simfoni(r.victim_age_group)),
    Column("Jenis Kelamin Korban", "", lambda r, z: v.SEXES.simfoni(r.victim_sex)),
    Column(
        "Hubungan Pelaku dengan Korban",
        "",
        lambda r, z: v.RELATIONS.simfoni(r.perpetrator_relation),
    ),
    Column(
        "Prioritas",
        "darurat atau biasa",
        lambda r, z: v.PRIORITIES.simfoni(r.priority),
    ),
    Column(
        "Status",
        "status kasus saat ekspor",
        lambda r, z: v.STATUSES.simfoni(r.status),
    ),
    Column(
        "Sumber Informasi",
        "laporan masyarakat lewat bot, atau dicatat kader PATBM yang menemui kasus",
        lambda r, z: v.CASE_SOURCES.simfoni(r.source),
    ),
    Column("Tingkat Eskalasi", "0 = tidak pernah dieskalasi", lambda r, z: r.escalation_level),
    Column(
        "Penanggung Jawab",
        "peran petugas yang memegang kasus (bukan nama)",
        lambda r, z: v.STAFF_ROLES.simfoni(r.assignee_role),
    ),
    Column(
        "Waktu Respons (jam)",
        "jam dari laporan sampai diterima (jam dinding)",
        lambda r, z: _rounded(r.hours_to_accept),
    ),
    Column(
        "Lama Penanganan (hari)",
        "hari dari laporan sampai selesai (hari kalender)",
        lambda r, z: _rounded(r.days_to_resolve),
    ),
)

HEADER = [c.title for c in COLUMNS]


def table(rows: Sequence[CaseRow], zone: ZoneInfo) -> list[list[Cell]]:
    return [[column.value(row, zone) for column in COLUMNS] for row in rows]


def _csv_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    return str(cell)


def write_csv(rows: Sequence[CaseRow], stream: IO[str], zone: ZoneInfo) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(HEADER)
    for values in table(rows, zone):
        writer.writerow([_csv_text(cell) for cell in values])
    return len(rows)


def write_xlsx(
    rows: Sequence[CaseRow], path: Path | IO[bytes], zone: ZoneInfo, *, period: str
) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Kasus")
    bold = Font(bold=True)
    header = []
    for title in HEADER:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for values in table(rows, zone):
        out: list[object] = []
        for value in values:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm"
                out.append(cell)
            else:
                out.append(value)
        sheet.append(out)
    notes = book.create_sheet("Keterangan")
    notes.append(["Periode", period])
    notes.append(["Zona waktu", str(zone)])
    notes.append(["Jumlah kasus", len(rows)])
    notes.append([])
    notes.append(["Kolom", "Keterangan"])
    for column in COLUMNS:
        notes.append([column.title, column.meaning])
    book.save(path)
    return len(rows)
