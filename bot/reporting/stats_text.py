"""`patbm stats` as text tables: the figures of bot/reporting/stats.py `gather_stats`, nothing computed here."""

from __future__ import annotations

from bot.casework.followup import FollowUpCounts
from bot.core.i18n import Translator
from bot.core.tables import text_table
from bot.reporting.stats import Stats, shares
from models import FollowUpAnswer


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


def median_texts(stats: Stats) -> tuple[str, str]:
    """The two medians as people read them ("1.2 jam", "3.0 hari"; "-" without cases)."""
    t = Translator(stats.language)
    accept = resolve = "-"
    if stats.median_hours_to_accept is not None:
        accept = t("{n} jam", n=round(stats.median_hours_to_accept, 1))
    if stats.median_days_to_resolve is not None:
        resolve = t("{n} hari", n=round(stats.median_days_to_resolve, 1))
    return accept, resolve


def percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.0f}%"


def measures(stats: Stats) -> list[tuple[str, str, str]]:
    """The measures table: what, value, out of what (also the dashboard's key figures)."""
    t = Translator(stats.language)
    accept, resolve = median_texts(stats)
    total = stats.total
    return [
        (t("Median waktu sampai diterima"), accept, t("{n} diterima", n=stats.accepted)),
        (t("Median waktu sampai selesai"), resolve, t("{n} selesai", n=stats.resolved)),
        (
            t("Kasus yang dieskalasi"),
            percent(stats.share_escalated),
            t("{n} dari {total}", n=stats.escalated, total=total),
        ),
        (
            t("Tenggat terpenuhi"),
            percent(stats.share_deadlines_met),
            t("{n} dari {total}", n=stats.deadlines_met, total=total),
        ),
    ]


def render(stats: Stats, followups: FollowUpCounts | None = None) -> str:
    t = Translator(stats.language)
    total = stats.total
    title = t("Statistik kasus PATBM: {period}", period=stats.period)
    if stats.scope:
        title += f" · {t('Kecamatan')} {stats.scope}"
    parts = [title, t("Jumlah kasus: {n}", n=total), ""]

    def block(heading: str, items: list[tuple[str, int]]) -> None:
        parts.append(text_table([heading, t("Kasus"), "%"], shares(items, total)))
        parts.append("")

    block(t("Bentuk kekerasan"), stats.by_category)
    if total:
        parts[-1:] = [t("(satu kasus dapat memiliki lebih dari satu bentuk kekerasan)"), ""]
    block(t("Kecamatan"), stats.by_kecamatan)
    if stats.by_kelurahan:
        block(t("Kelurahan/desa"), stats.by_kelurahan)
    block(t("Status"), stats.by_status)
    block(t("Prioritas"), stats.by_priority)
    block(t("Sumber informasi"), stats.by_source)
    block(t("Kelompok umur korban"), stats.by_age_group)
    block(t("Jenis kelamin korban"), stats.by_sex)
    parts.append(text_table([t("Ukuran"), t("Nilai"), t("Dari kasus")], measures(stats)))
    if followups is not None:
        parts += ["", render_followups(followups).rstrip("\n")]
    return "\n".join(parts) + "\n"
