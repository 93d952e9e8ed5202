"""What the digests count and list, asked of the database as counts and short lists.

A digest shows counts and at most MAX_LISTED cases per list, so its cost must follow that and
not the number of open cases: the counts are GROUP BY queries (one for every kecamatan at
once, the city being their sum), the lists select only the columns the text shows, with ORDER
BY and LIMIT. No encrypted column is ever selected, so nothing is decrypted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.deadlines import LEVEL_DINAS
from models import Area, Case, CaseStatus, Staff
from models.case import OPEN_CASE, OPEN_STATUSES

MAX_LISTED = 25
UNACCEPTED = (CaseStatus.BARU, CaseStatus.DITUGASKAN)
_ACCEPTED_OPEN = [s for s in OPEN_STATUSES if s not in UNACCEPTED]


@dataclass
class ScopeCounts:
    """The figures of one kecamatan, or of the city (the sum of its kecamatan)."""

    new: int = 0
    # The new cases by source (laporan_warga, dicatat_kader): counted apart (issue 18).
    new_by_source: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    overdue: int = 0

    @property
    def open(self) -> int:
        return sum(self.by_status.values())

    @property
    def unaccepted(self) -> int:
        return sum(self.by_status[s] for s in UNACCEPTED)

    def add(self, other: ScopeCounts) -> None:
        self.new += other.new
        self.new_by_source.update(other.new_by_source)
        self.by_status.update(other.by_status)
        self.overdue += other.overdue


@dataclass(frozen=True)
class ListedCase:
    reference: str
    kelurahan: str  # the kelurahan's name (its code when the area is unknown)
    created_at: datetime
    assignee: str | None  # the assignee's name


@dataclass(frozen=True)
class HeldCase:
    """A line of a cadre's reminder."""

    reference: str
    status: str
    created_at: datetime


def is_overdue(now: datetime) -> ColumnElement[bool]:
    """Accepted but past its deadline, or already escalated to the Dinas."""
    return and_(
        Case.status.in_(_ACCEPTED_OPEN),
        or_(Case.escalation_level >= LEVEL_DINAS, Case.due_at <= now),
    )


def _in_scope(kecamatan_code: str | None) -> list[ColumnElement[bool]]:
    return [] if kecamatan_code is None else [Case.kecamatan_code == kecamatan_code]


async def counts_per_kecamatan(
    session: AsyncSession, now: datetime, kecamatan_code: str | None = None
) -> dict[str, ScopeCounts]:
    """Open cases by status, overdue and new since yesterday, per kecamatan (two queries)."""
    scope = _in_scope(kecamatan_code)
    per: dict[str, ScopeCounts] = {}
    # Overdue cases are open cases, so the status counts carry their count along.
    rows = await session.execute(
        select(
            Case.kecamatan_code,
            Case.status,
            func.count(),
            func.sum(case((is_overdue(now), 1), else_=0)),
        )
        .where(OPEN_CASE, *scope)
        .group_by(Case.kecamatan_code, Case.status)
    )
    for kecamatan, status, n, overdue in rows.all():
        counts = per.setdefault(kecamatan, ScopeCounts())
        counts.by_status[status] += n
        counts.overdue += int(overdue or 0)
    rows = await session.execute(
        select(Case.kecamatan_code, Case.source, func.count())
        .where(Case.created_at >= now - timedelta(days=1), *scope)
        .group_by(Case.kecamatan_code, Case.source)
    )
    for kecamatan, source, n in rows.all():
        counts = per.setdefault(kecamatan, ScopeCounts())
        counts.new += n
        counts.new_by_source[source] += n
    return per


def scope_counts(per_kecamatan: dict[str, ScopeCounts], kecamatan_code: str | None) -> ScopeCounts:
    if kecamatan_code is not None:
        return per_kecamatan.get(kecamatan_code, ScopeCounts())
    total = ScopeCounts()
    for counts in per_kecamatan.values():
        total.add(counts)
    return total


async def _listed(session: AsyncSession, *conditions: ColumnElement[bool]) -> list[ListedCase]:
    # The cases listed are open, and few: find them first (the partial index of open cases), then
    # take the oldest. As one query ordered by created_at with a LIMIT, PostgreSQL walked the
    # period index (ix_cases_created) up from the oldest of a million cases, mostly closed ones:
    # about 100 ms a list, 5 s of a morning's digests.
    matching = (
        select(Case.id, Case.reference, Case.kelurahan_code, Case.created_at, Case.assignee_id)
        .where(OPEN_CASE, *conditions)
        .cte("matching")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    rows = await session.execute(
        select(
            matching.c.reference,
            matching.c.kelurahan_code,
            Area.name,
            matching.c.created_at,
            Staff.name,
        )
        .select_from(matching)
        .outerjoin(Area, Area.code == matching.c.kelurahan_code)
        .outerjoin(Staff, Staff.id == matching.c.assignee_id)
        .order_by(matching.c.created_at, matching.c.id)
        .limit(MAX_LISTED)
    )
    return [
        ListedCase(
            reference=reference,
            kelurahan=code if kelurahan is None else kelurahan,
            created_at=created_at,
            assignee=assignee,
        )
        for reference, code, kelurahan, created_at, assignee in rows.all()
    ]


async def unaccepted_cases(session: AsyncSession, kecamatan_code: str | None) -> list[ListedCase]:
    """The oldest MAX_LISTED cases nobody has accepted yet."""
    return await _listed(session, Case.status.in_(list(UNACCEPTED)), *_in_scope(kecamatan_code))


async def overdue_cases(
    session: AsyncSession, now: datetime, kecamatan_code: str | None
) -> list[ListedCase]:
    """The oldest MAX_LISTED cases past their deadline."""
    return await _listed(session, is_overdue(now), *_in_scope(kecamatan_code))


async def open_per_assignee(
    session: AsyncSession, assignee_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """How many open cases each staff member holds (one GROUP BY; only those holding any)."""
    conditions = [OPEN_CASE, Case.assignee_id.is_not(None)]
    if assignee_ids is not None:
        conditions.append(Case.assignee_id.in_(list(assignee_ids)))
    rows = await session.execute(
        select(Case.assignee_id, func.count()).where(*conditions).group_by(Case.assignee_id)
    )
    return {assignee: n for assignee, n in rows.all() if assignee is not None}


async def held_cases(session: AsyncSession, staff_id: int) -> list[HeldCase]:
    """The oldest MAX_LISTED open cases a staff member holds."""
    rows = await session.execute(
        select(Case.reference, Case.status, Case.created_at)
        .where(Case.assignee_id == staff_id, OPEN_CASE)
        .order_by(Case.created_at, Case.id)
        .limit(MAX_LISTED)
    )
    return [HeldCase(reference, status, created_at) for reference, status, created_at in rows.all()]
