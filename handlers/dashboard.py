"""`/dasbor`, `/dasbor keluar`, `/ekspor [bulan]`, `/statistik [bulan]`: the city office in chat.

For linked staff with the role dinas, admin or koordinator_kecamatan (a coordinator gets their
own kecamatan's figures). `/dasbor` answers with a one-time link to the dashboard; `/ekspor`
sends the month's SIMFONI-PPA export (XLSX, no personal data) as a document; `/statistik` the
month's key figures and a chart. Everything else is refused, and every refusal, link and export
is recorded (bot/admin/audit.py `record_access`).
"""

from __future__ import annotations

import asyncio
import base64

from bot.admin.audit import record_access
from bot.messaging.messages import Media, Reply
from bot.reporting.dashboard.access import refusal_for
from bot.reporting.dashboard.downloads import build_export
from bot.reporting.dashboard.tokens import end_sessions, issue_link
from bot.reporting.digest_chart import render_chart
from bot.reporting.facts import Period, PeriodError, month_period, this_month
from bot.reporting.stats import gather_stats
from bot.reporting.stats_text import measures
from handlers.base import Turn
from models import Staff, StaffRole

LOGOUT_WORDS = {"keluar", "logout"}


def _allowed(turn: Turn, what: str) -> Staff | None:
    """The staff member when they may; otherwise a refusal is replied and recorded."""
    staff = turn.staff
    reason = refusal_for(staff)
    if reason is None and staff is not None:
        return staff
    record_access(
        turn.session,
        "chat_refused",
        turn.now,
        via=turn.inbound.channel,
        staff_id=staff.id if staff else None,
        data={"command": what, "reason": reason},
    )
    turn.reply(
        turn.t(
            "Maaf, perintah ini hanya untuk petugas Dinas PPPA, admin dan koordinator kecamatan."
        )
    )
    return None


def _scope(staff: Staff) -> str | None:
    return staff.area_code if staff.role == StaffRole.KOORDINATOR else None


def _month(turn: Turn) -> tuple[Period, str] | None:
    zone = turn.app.settings.zone
    args = turn.inbound.command_args
    month = args[0] if args else this_month(turn.now, zone)
    try:
        return month_period(month, zone), month
    except PeriodError:
        turn.reply(
            turn.t("Bulan ditulis TTTT-BB, misalnya {example}.", example=this_month(turn.now, zone))
        )
        return None


async def dashboard_link(turn: Turn) -> None:
    staff = _allowed(turn, "dasbor")
    if staff is None:
        return
    args = [a.lower() for a in turn.inbound.command_args]
    if args and args[0] in LOGOUT_WORDS:
        ended = await end_sessions(turn.session, staff.id, turn.now)
        record_access(
            turn.session,
            "dashboard_signed_out",
            turn.now,
            via=turn.inbound.channel,
            staff_id=staff.id,
            data={"sessions": ended},
        )
        turn.reply(turn.t("Semua sesi dasbor Anda sudah diakhiri."))
        return
    url = await issue_link(turn.session, staff, turn.now, turn.app.settings)
    record_access(
        turn.session, "dashboard_link_sent", turn.now, via=turn.inbound.channel, staff_id=staff.id
    )
    minutes = round(turn.app.settings.dashboard_link_minutes)
    turn.reply(
        turn.t(
            "Tautan dasbor (berlaku {minutes} menit, sekali pakai; jangan diteruskan):\n{url}\n\n"
            "Ketik /dasbor keluar untuk mengakhiri sesi di semua peramban.",
            minutes=minutes,
            url=url,
        )
    )


async def export_month(turn: Turn) -> None:
    staff = _allowed(turn, "ekspor")
    if staff is None:
        return
    asked = _month(turn)
    if asked is None:
        return
    period, month = asked
    scope = _scope(staff)
    export = await build_export(
        turn.session, period, turn.app.settings.zone, "xlsx", kecamatan_code=scope
    )
    record_access(
        turn.session,
        "chat_export",
        turn.now,
        via=turn.inbound.channel,
        staff_id=staff.id,
        data={"format": "xlsx", "period": month, "kecamatan": scope, "cases": export.cases},
    )
    caption = turn.t(
        "Ekspor SIMFONI-PPA {month}: {n} kasus, tanpa data pribadi.", month=month, n=export.cases
    )
    media = Media(
        kind="document",
        file_id=export.filename,
        content_b64=base64.b64encode(export.content).decode("ascii"),
        mime_type=export.mime_type,
    )
    turn.replies.append(Reply(text=caption, media=media))


async def stats_month(turn: Turn) -> None:
    staff = _allowed(turn, "statistik")
    if staff is None:
        return
    asked = _month(turn)
    if asked is None:
        return
    period, month = asked
    t = turn.t
    zone = turn.app.settings.zone
    stats = await gather_stats(
        turn.session,
        period,
        now=turn.now,
        describe=period.describe(zone),
        kecamatan_code=_scope(staff),
        language=turn.state.language,
    )
    lines = [t("Statistik kasus PATBM: {period}", period=stats.period)]
    if stats.scope:
        lines[0] += f" · {stats.scope}"
    lines.append(t("Jumlah kasus: {n}", n=stats.total))
    lines += [f"- {label}: {n}" for label, n in stats.by_status if n]
    lines += [f"{label}: {value} ({of})" for label, value, of in measures(stats)]
    titles = (t("Kasus per kecamatan"), t("Kasus per jenis kekerasan"))
    png = await asyncio.to_thread(render_chart, stats.by_kecamatan, stats.by_category, titles)
    media = Media(
        kind="photo",
        file_id=f"patbm-statistik-{month}.png",
        content_b64=base64.b64encode(png).decode("ascii"),
        mime_type="image/png",
    )
    turn.replies.append(Reply(text="\n".join(lines), media=media))
