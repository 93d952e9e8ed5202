"""The dashboard's open and overdue list: the digest's fields, nothing more.

Reference, kelurahan, status, days open and the assignee's name, oldest first, at most
MAX_LISTED rows (ORDER BY created_at LIMIT over the open-cases index). Never a description, a
location detail or anything of the reporter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reporting.digest_queries import is_overdue
from bot.reporting.facts import Period
from bot.reporting.stats import period_filter
from models import Area, Case, Staff
from models.case import OPEN_STATUS_VALUES

MAX_LISTED = 50


@dataclass(frozen=True)
class OpenCase:
    reference: str
    kelurahan: str
    status: str
    days_open: int
    assignee: str | None
    overdue: bool


async def open_cases(
    session: AsyncSession, period: Period, now: datetime, kecamatan_code: str | None
) -> list[OpenCase]:
    """Open cases reported in the period, overdue ones first, then the oldest."""
    overdue = case((is_overdue(now), 1), else_=0)
    rows = await session.execute(
        select(
            Case.reference,
            Case.kelurahan_code,
            Area.name,
            Case.status,
            Case.created_at,
            Staff.name,
            overdue,
        )
        .outerjoin(Area, Area.code == Case.kelurahan_code)
        .outerjoin(Staff, Staff.id == Case.assignee_id)
        .where(Case.status.in_(OPEN_STATUS_VALUES), *period_filter(period, kecamatan_code))
        .order_by(overdue.desc(), Case.created_at, Case.id)
        .limit(MAX_LISTED)
    )
    return [
        OpenCase(
            reference=reference,
            kelurahan=name or code,
            status=status,
            days_open=max((now - created).days, 0),
            assignee=assignee,
            overdue=bool(late),
        )
        for reference, code, name, status, created, assignee, late in rows.all()
    ]
