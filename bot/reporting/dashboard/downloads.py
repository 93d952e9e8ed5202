"""The SIMFONI-PPA export of a period as bytes (CSV, XLSX): the dashboard's downloads and
`/ekspor` in chat. Rows come from bot/reporting/facts.py `load_case_rows`, which never loads a
personal column; the caller records the download (bot/admin/audit.py `record_access`)."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.reporting.export import write_csv, write_xlsx
from bot.reporting.facts import Period, load_case_rows

MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Export:
    filename: str
    mime_type: str
    content: bytes
    cases: int


def export_name(period: Period, zone: ZoneInfo, fmt: str, kecamatan_code: str | None) -> str:
    first = period.start.astimezone(zone).date().isoformat() if period.start else "awal"
    scope = f"-{kecamatan_code}" if kecamatan_code else ""
    return f"patbm-simfoni{scope}-{first}.{fmt}"


async def build_export(
    session: AsyncSession,
    period: Period,
    zone: ZoneInfo,
    fmt: str,
    *,
    kecamatan_code: str | None = None,
) -> Export:
    rows = await load_case_rows(session, period, kecamatan_code)
    if fmt == "csv":
        text = io.StringIO()
        write_csv(rows, text, zone)
        content = text.getvalue().encode("utf-8")
    else:
        buffer = io.BytesIO()
        # openpyxl is CPU work: off the event loop, so chats keep being served meanwhile.
        await asyncio.to_thread(write_xlsx, rows, buffer, zone, period=period.describe(zone))
        content = buffer.getvalue()
    return Export(export_name(period, zone, fmt, kecamatan_code), MIME[fmt], content, len(rows))
