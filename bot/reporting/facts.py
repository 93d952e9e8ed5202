"""What exports and statistics share: the non-personal facts of each case, and reporting periods.

Only statistics columns are selected: the encrypted personal columns are never loaded, so
they cannot leak into a report by accident and are not decrypted for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Area, Case, Staff


class PeriodError(ValueError):
    """A date or month given on the command line that cannot be read."""


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; either side open when None."""

    start: datetime | None = None
    end: datetime | None = None

    def describe(self, zone: ZoneInfo) -> str:
        if self.start is None and self.end is None:
            return "semua kasus"
        first = self.start.astimezone(zone).date().isoformat() if self.start else "…"
        last = (
            (self.end - timedelta(seconds=1)).astimezone(zone).date().isoformat()
            if self.end
            else "…"
        )
        return f"{first} s.d. {last}"


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{text!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-01") from None


def day_period(first: date | None, last: date | None, zone: ZoneInfo) -> Period:
    """Cases reported from the start of `first` to the end of `last`, both days local and inclusive."""
    if first and last and last < first:
        raise PeriodError(f"--to {last} is before --from {first}")
    start = datetime.combine(first, time(), zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), zone) if last else None
    return Period(start, end)


def month_period(text: str, zone: ZoneInfo) -> Period:
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise PeriodError(f"{text!r} is not a month: use YYYY-MM, e.g. 2026-11") from None
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(datetime.combine(first, time(), zone), datetime.combine(following, time(), zone))


def this_month(now: datetime, zone: ZoneInfo) -> str:
    """The local month of `now` as YYYY-MM (the default period of the dashboard and chat)."""
    return now.astimezone(zone).strftime("%Y-%m")


@dataclass(frozen=True)
class CaseRow:
    """One case as reports see it: codes, dates, names of areas, the assignee's role."""

    reference: str
    status: str
    priority: str
    categories: tuple[str, ...]
    place: str | None
    victim_age_group: str | None
    victim_sex: str | None
    perpetrator_relation: str | None
    kecamatan_code: str
    kecamatan_name: str
    kelurahan_code: str
    kelurahan_name: str
    kelurahan_kind: str
    escalation_level: int
    assignee_role: str | None
    channel: str
    created_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    # laporan_warga or dicatat_kader (issue 18); last, so positional readers stay as they were.
    source: str = "laporan_warga"

    @property
    def hours_to_accept(self) -> float | None:
        if self.accepted_at is None:
            return None
        return max((self.accepted_at - self.created_at).total_seconds(), 0.0) / 3600

    @property
    def days_to_resolve(self) -> float | None:
        if self.resolved_at is None:
            return None
        return max((self.resolved_at - self.created_at).total_seconds(), 0.0) / 86400

    @property
    def escalated(self) -> bool:
        return self.escalation_level > 0


async def load_case_rows(
    session: AsyncSession, period: Period, kecamatan_code: str | None = None
) -> list[CaseRow]:
    """The cases reported within the period (of one kecamatan when given), oldest first,
    without a single personal field."""
    areas = {a.code: a for a in (await session.scalars(select(Area))).all()}
    query = (
        select(
            Case.reference,
            Case.status,
            Case.priority,
            Case.categories,
            Case.place,
            Case.victim_age_group,
            Case.victim_sex,
            Case.perpetrator_relation,
            Case.kecamatan_code,
            Case.kelurahan_code,
            Case.escalation_level,
            Staff.role,
            Case.channel,
            Case.created_at,
            Case.accepted_at,
            Case.resolved_at,
            Case.closed_at,
            Case.source,
        )
        .outerjoin(Staff, Staff.id == Case.assignee_id)
        .order_by(Case.created_at, Case.id)
    )
    if kecamatan_code is not None:
        query = query.where(Case.kecamatan_code == kecamatan_code)
    if period.start is not None:
        query = query.where(Case.created_at >= period.start)
    if period.end is not None:
        query = query.where(Case.created_at < period.end)
    rows: list[CaseRow] = []
    for r in await session.execute(query):
        kecamatan, kelurahan = areas.get(r[8]), areas.get(r[9])
        rows.append(
            CaseRow(
                reference=r[0],
                status=r[1],
                priority=r[2],
                categories=tuple(r[3] or ()),
                place=r[4],
                victim_age_group=r[5],
                victim_sex=r[6],
                perpetrator_relation=r[7],
                kecamatan_code=r[8],
                kecamatan_name=kecamatan.name if kecamatan else "",
                kelurahan_code=r[9],
                kelurahan_name=kelurahan.name if kelurahan else "",
                kelurahan_kind=kelurahan.kind if kelurahan else "",
                escalation_level=r[10],
                assignee_role=r[11],
                channel=r[12],
                created_at=r[13],
                accepted_at=r[14],
                resolved_at=r[15],
                closed_at=r[16],
                source=r[17],
            )
        )
    return rows
