"""Statistics for the city office: counts, response times, escalations; printed as tables.

Counted by code, shown in the words of bot/vocabulary.py in the reader's language.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot import vocabulary
from bot.followup import FollowUpCounts
from bot.i18n import Translator
from bot.reporting import CaseRow
from bot.tables import text_table
from models import CaseSource, CaseStatus, FollowUpAnswer


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
    language: str = "id"

    @property
    def share_escalated(self) -> float | None:
        return self.escalated / self.total if self.total else None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _capital(label: str) -> str:
    # Statuses are words said inside a sentence; a table row starts with a capital.
    return label[:1].upper() + label[1:]


def compute(
    rows: Sequence[CaseRow], period: str, kecamatan: Mapping[str, str], language: str = "id"
) -> Stats:
    """`kecamatan` (code -> name) lists every kecamatan, so one without cases shows a 0."""
    t = Translator(language)
    categories: Counter[str] = Counter()
    for row in rows:
        labels = {vocabulary.CATEGORIES.label(t, code) for code in row.categories}
        categories.update(labels or [t("(tidak diisi)")])
    per_kecamatan = Counter(row.kecamatan_code for row in rows)
    names = dict(kecamatan)
    for row in rows:
        names.setdefault(row.kecamatan_code, row.kecamatan_name or row.kecamatan_code)
    statuses = Counter(row.status for row in rows)
    priorities = Counter(row.priority for row in rows)
    sources = Counter(row.source for row in rows)
    accept_hours = [h for row in rows if (h := row.hours_to_accept) is not None]
    resolve_days = [d for row in rows if (d := row.days_to_resolve) is not None]
    known_statuses = [s.value for s in CaseStatus]
    return Stats(
        period=period,
        total=len(rows),
        by_category=sorted(categories.items(), key=lambda kv: (-kv[1], kv[0])),
        by_kecamatan=sorted(
            ((names[code], per_kecamatan.get(code, 0)) for code in names),
            key=lambda kv: (-kv[1], kv[0]),
        ),
        by_status=[
            (_capital(vocabulary.STATUSES.label(t, s)), statuses.get(s, 0))
            for s in known_statuses + sorted(set(statuses) - set(known_statuses))
        ],
        by_priority=[
            (_capital(vocabulary.PRIORITIES.label(t, p)), n) for p, n in sorted(priorities.items())
        ],
        # Both sources always shown: a 0 says cadres recorded nothing, not that it was not counted.
        by_source=[
            (vocabulary.CASE_SOURCES.label(t, code), sources.get(code, 0))
            for code in vocabulary.CASE_SOURCES.codes()
        ],
        accepted=len(accept_hours),
        median_hours_to_accept=_median(accept_hours),
        resolved=len(resolve_days),
        median_days_to_resolve=_median(resolve_days),
        escalated=sum(1 for row in rows if row.escalated),
        language=t.language,
    )


def new_by_source_lines(t: Translator, by_source: Mapping[str, int]) -> list[str]:
    """How the new cases came in: through the bot, or recorded by a cadre (only when any did)."""
    if not by_source.get(CaseSource.DICATAT_KADER):
        return []
    return [
        f"  - {vocabulary.CASE_SOURCES.label(t, code)}: {by_source.get(code, 0)}"
        for code in vocabulary.CASE_SOURCES.codes()
    ]


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.0f}%" if total else "-"


def render_followups(counts: FollowUpCounts) -> str:
    """The reporters' answers after closing: shares only, never their words."""
    rows: list[tuple[str, int, str]] = [
        ("Ditanya", counts.asked, "-"),
        ("Menjawab", counts.answered, _share(counts.answered, counts.asked)),
    ]
    for answer in FollowUpAnswer.ALL:
        n = counts.by_answer.get(answer, 0)
        rows.append((f"  {answer.capitalize()}", n, _share(n, counts.answered)))
    rows.append(("Tidak ditanya (jendela WhatsApp / tak terjangkau)", counts.skipped, "-"))
    title = "Tindak lanjut pelapor setelah kasus ditutup"
    return title + "\n" + text_table(["Jawaban", "Jumlah", "%"], rows) + "\n"


def render(stats: Stats, followups: FollowUpCounts | None = None) -> str:
    t = Translator(stats.language)
    total = stats.total
    parts = [
        t("Statistik kasus PATBM: {period}", period=stats.period),
        t("Jumlah kasus: {n}", n=total),
        "",
    ]

    def block(title: str, items: list[tuple[str, int]]) -> None:
        parts.append(
            text_table([title, t("Kasus"), "%"], [(k, n, _share(n, total)) for k, n in items])
        )
        parts.append("")

    block(t("Bentuk kekerasan"), stats.by_category)
    if total:
        parts[-1:] = [t("(satu kasus dapat memiliki lebih dari satu bentuk kekerasan)"), ""]
    block(t("Kecamatan"), stats.by_kecamatan)
    block(t("Status"), stats.by_status)
    block(t("Prioritas"), stats.by_priority)
    block(t("Sumber informasi"), stats.by_source)
    accept = resolve = "-"
    if stats.median_hours_to_accept is not None:
        hours = round(stats.median_hours_to_accept, 1)
        accept = t("{n} jam", n=hours)
    if stats.median_days_to_resolve is not None:
        days = round(stats.median_days_to_resolve, 1)
        resolve = t("{n} hari", n=days)
    share = f"{100 * stats.share_escalated:.0f}%" if stats.share_escalated is not None else "-"
    parts.append(
        text_table(
            [t("Ukuran"), t("Nilai"), t("Dari kasus")],
            [
                (
                    t("Median waktu sampai diterima"),
                    accept,
                    t("{n} diterima", n=stats.accepted),
                ),
                (t("Median waktu sampai selesai"), resolve, t("{n} selesai", n=stats.resolved)),
                (
                    t("Kasus yang dieskalasi"),
                    share,
                    t("{n} dari {total}", n=stats.escalated, total=total),
                ),
            ],
        )
    )
    if followups is not None:
        parts += ["", render_followups(followups).rstrip("\n")]
    return "\n".join(parts) + "\n"
