"""Lists of cases for `/kasus`: a cadre's own open cases; a coordinator's or the Dinas's area."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from models import Case, CaseStatus, Staff, StaffRole
from models.case import OPEN_CASE

LIMIT = 10


class CaseFilter(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    UNASSIGNED = "unassigned"


# What people type after /kasus, in both languages.
FILTER_WORDS = {
    "terbuka": CaseFilter.OPEN,
    "open": CaseFilter.OPEN,
    "terlambat": CaseFilter.OVERDUE,
    "overdue": CaseFilter.OVERDUE,
    "belum": CaseFilter.UNASSIGNED,
    "unassigned": CaseFilter.UNASSIGNED,
}


def parse_filter(args: list[str]) -> CaseFilter:
    for word in args:
        found = FILTER_WORDS.get(word.lower().strip())
        if found is not None:
            return found
    return CaseFilter.OPEN


def _area_clause(staff: Staff) -> ColumnElement[bool]:
    return or_(
        Case.kelurahan_code == staff.area_code, Case.kelurahan_code.like(staff.area_code + ".%")
    )


def _filter_clause(which: CaseFilter, now: datetime) -> ColumnElement[bool]:
    is_open = OPEN_CASE
    if which is CaseFilter.OVERDUE:
        return is_open & Case.due_at.is_not(None) & (Case.due_at <= now)
    if which is CaseFilter.UNASSIGNED:
        return is_open & or_(Case.assignee_id.is_(None), Case.status == CaseStatus.BARU)
    return is_open


def _base_clause(staff: Staff, which: CaseFilter, now: datetime) -> ColumnElement[bool]:
    if staff.role in (StaffRole.KOORDINATOR, StaffRole.DINAS):
        return _area_clause(staff) & _filter_clause(which, now)
    return (Case.assignee_id == staff.id) & _filter_clause(which, now)


async def cases_for(
    session: AsyncSession, staff: Staff, which: CaseFilter, now: datetime
) -> tuple[list[Case], int]:
    """Newest first, at most LIMIT, and how many there are in all."""
    clause = _base_clause(staff, which, now)
    total = await session.scalar(select(func.count()).select_from(Case).where(clause))
    rows = await session.scalars(
        select(Case).where(clause).order_by(Case.created_at.desc(), Case.id.desc()).limit(LIMIT)
    )
    return list(rows.all()), int(total or 0)
