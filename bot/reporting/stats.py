"""The figures of a period, asked of the database: the one query layer of every statistic.

`patbm stats`, the dashboard (bot/reporting/dashboard/) and `/statistik` in chat all call `gather_stats`,
so a number on the page is the number the terminal prints. Counts are GROUP BY queries over the
period's cases (ix_cases_created, ix_cases_kecamatan_created); only the medians read one pair of
timestamps per accepted or resolved case. No encrypted column is selected. Counted by code,
returned in the words of bot/cases/vocabulary.py in the reader's language.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Text, and_, case, cast, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import vocabulary
from bot.core.i18n import Translator
from bot.reporting.facts import Period
from models import Area, AreaLevel, Case, CaseSource, CaseStatus
from models.case import OPEN_CASE


@dataclass(frozen=True)
class Stats:
    period: str
    total: int
    by_category: list[tuple[str, int]]
    by_kecamatan: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    by_priority: list[tuple[str, int]]
    by_source: list[tuple[str, int]]
    accepted: int
    median_hours_to_accept: float | None
    resolved: int
    median_days_to_resolve: float | None
    escalated: int
    by_kelurahan: list[tuple[str, int]]
    by_age_group: list[tuple[str, int]]
    by_sex: list[tuple[str, int]]
    # Cases that missed a deadline: an acceptance deadline passed, escalated, or open past due.
    deadlines_missed: int
    language: str = "id"
    # The kecamatan's name when the figures are of one kecamatan only.
    scope: str | None = None

    @property
    def share_escalated(self) -> float | None:
        return self.escalated / self.total if self.total else None

    @property
    def deadlines_met(self) -> int:
        return self.total - self.deadlines_missed

    @property
    def share_deadlines_met(self) -> float | None:
        return self.deadlines_met / self.total if self.total else None


def capital(label: str) -> str:
    # Statuses are words said inside a sentence; a table row starts with a capital.
    return label[:1].upper() + label[1:]


def period_filter(period: Period, kecamatan_code: str | None = None) -> list[ColumnElement[bool]]:
    """The cases reported in the period (of one kecamatan when given)."""
    conditions: list[ColumnElement[bool]] = []
    if kecamatan_code is not None:
        conditions.append(Case.kecamatan_code == kecamatan_code)
    if period.start is not None:
        conditions.append(Case.created_at >= period.start)
    if period.end is not None:
        conditions.append(Case.created_at < period.end)
    return conditions


def missed_deadline(now: datetime) -> ColumnElement[bool]:
    return or_(
        Case.accept_misses > 0,
        Case.escalation_level > 0,
        and_(OPEN_CASE, Case.due_at.is_not(None), Case.due_at <= now),
    )


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _count_by(
    session: AsyncSession, columns: Sequence[Any], where: list[ColumnElement[bool]]
) -> list[Counter[Any]]:
    """Counts per value of each column. PostgreSQL reads the period's rows once (GROUPING
    SETS, GROUPING() telling which column a row counts); elsewhere one GROUP BY per column."""
    counts: list[Counter[Any]] = [Counter() for _ in columns]
    if _postgres(session):
        flags = [func.grouping(c) for c in columns]
        grouped = await session.execute(
            select(*columns, *flags, func.count())
            .where(*where)
            .group_by(func.grouping_sets(*(tuple_(c) for c in columns)))
        )
        width = len(columns)
        for row in grouped.all():
            index = list(row[width : 2 * width]).index(0)
            counts[index][row[index]] += int(row[-1])
        return counts
    for index, column in enumerate(columns):
        single = await session.execute(select(column, func.count()).where(*where).group_by(column))
        counts[index].update({key: int(n) for key, n in single.all()})
    return counts


async def _median_seconds(
    session: AsyncSession, end_column: Any, where: list[ColumnElement[bool]]
) -> tuple[int, float | None]:
    """How many cases reached `end_column`, and the median seconds from the report to it."""
    reached = [*where, end_column.is_not(None)]
    if _postgres(session):
        seconds = func.greatest(func.extract("epoch", end_column - Case.created_at), 0)
        n, median = (
            await session.execute(
                select(func.count(), func.percentile_cont(0.5).within_group(seconds)).where(
                    *reached
                )
            )
        ).one()
        return int(n), None if median is None else float(median)
    rows = await session.execute(select(Case.created_at, end_column).where(*reached))
    values = [max((end - start).total_seconds(), 0.0) for start, end in rows.all()]
    # statistics.median averages the middle two, as percentile_cont(0.5) does.
    return len(values), statistics.median(values) if values else None


def _ordered(
    t: Translator, vocab: vocabulary.Vocabulary, counts: Counter[Any]
) -> list[tuple[str, int]]:
    """Every term in the vocabulary's order (zeros included), then what it does not know."""
    empty = t("(tidak diisi)")
    items = [(vocab.label(t, code), counts.get(code, 0)) for code in vocab.codes()]
    items += [
        (empty if code is None else vocab.label(t, code), n)
        for code, n in sorted(counts.items(), key=lambda kv: str(kv[0]))
        if code not in vocab.codes()
    ]
    return items


def _by_count(items: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(items.items(), key=lambda kv: (-kv[1], kv[0]))


async def gather_stats(
    session: AsyncSession,
    period: Period,
    *,
    now: datetime,
    describe: str,
    kecamatan_code: str | None = None,
    language: str = "id",
) -> Stats:
    t = Translator(language)
    where = period_filter(period, kecamatan_code)
    totals = (
        await session.execute(
            select(
                func.count(),
                func.sum(case((Case.escalation_level > 0, 1), else_=0)),
                func.sum(cast(case((missed_deadline(now), 1), else_=0), Integer)),
            ).where(*where)
        )
    ).one()
    listed = cast(Case.categories, Text)
    counted = await _count_by(
        session,
        [
            listed,
            Case.kecamatan_code,
            Case.kelurahan_code,
            Case.status,
            Case.priority,
            Case.victim_age_group,
            Case.victim_sex,
            Case.source,
        ],
        where,
    )
    per_listed, per_kecamatan, per_kelurahan, statuses, priorities, ages, sexes, sources = counted
    categories: Counter[str] = Counter()
    for text, n in per_listed.items():
        codes = [str(c) for c in (json.loads(text) if text else None) or []]
        labels = {vocabulary.CATEGORIES.label(t, code) for code in codes}
        categories.update({label: n for label in labels or [t("(tidak diisi)")]})
    areas = select(Area.code, Area.name)
    kecamatan_query = areas.where(Area.level == AreaLevel.KECAMATAN)
    if kecamatan_code is not None:
        kecamatan_query = kecamatan_query.where(Area.code == kecamatan_code)
    names = {code: name for code, name in (await session.execute(kecamatan_query)).all()}
    for code in per_kecamatan:
        names.setdefault(code, code)
    kelurahan_names = dict(
        (await session.execute(areas.where(Area.code.in_(list(per_kelurahan))))).all()
    )
    known = [s.value for s in CaseStatus]
    accepted, median_accept = await _median_seconds(session, Case.accepted_at, where)
    resolved, median_resolve = await _median_seconds(session, Case.resolved_at, where)
    return Stats(
        period=describe,
        total=int(totals[0] or 0),
        by_category=_by_count(categories),
        by_kecamatan=_by_count({names[c]: per_kecamatan.get(c, 0) for c in names}),
        by_status=[
            (capital(vocabulary.STATUSES.label(t, s)), statuses.get(s, 0))
            for s in known + sorted(set(statuses) - set(known))
        ],
        by_priority=[
            (capital(vocabulary.PRIORITIES.label(t, p)), n) for p, n in sorted(priorities.items())
        ],
        # Both sources always shown: a 0 says cadres recorded nothing, not that it was not counted.
        by_source=[
            (vocabulary.CASE_SOURCES.label(t, code), sources.get(code, 0))
            for code in vocabulary.CASE_SOURCES.codes()
        ],
        accepted=accepted,
        median_hours_to_accept=None if median_accept is None else median_accept / 3600,
        resolved=resolved,
        median_days_to_resolve=None if median_resolve is None else median_resolve / 86400,
        escalated=int(totals[1] or 0),
        # A list, not a mapping: two kecamatan may each have a kelurahan of the same name.
        by_kelurahan=sorted(
            ((kelurahan_names.get(code, code), n) for code, n in per_kelurahan.items()),
            key=lambda kv: (-kv[1], kv[0]),
        ),
        by_age_group=_ordered(t, vocabulary.AGE_GROUPS, ages),
        by_sex=_ordered(t, vocabulary.SEXES, sexes),
        deadlines_missed=int(totals[2] or 0),
        language=t.language,
        scope=names.get(kecamatan_code) if kecamatan_code else None,
    )


def shares(items: Sequence[tuple[str, int]], total: int) -> list[tuple[str, int, str]]:
    return [(label, n, f"{100 * n / total:.0f}%" if total else "-") for label, n in items]


def new_by_source_lines(t: Translator, by_source: Mapping[str, int]) -> list[str]:
    """How the new cases came in: through the bot, or recorded by a cadre (only when any did)."""
    if not by_source.get(CaseSource.DICATAT_KADER):
        return []
    return [
        f"  - {vocabulary.CASE_SOURCES.label(t, code)}: {by_source.get(code, 0)}"
        for code in vocabulary.CASE_SOURCES.codes()
    ]
