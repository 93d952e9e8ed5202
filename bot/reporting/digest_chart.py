"""The Dinas's weekly chart: cases reported in the last 7 days, per kecamatan and per category.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global state),
in a worker thread so the event loop keeps serving chats. The PNG travels inside the outbox row
as `Media(kind="photo", content_b64=...)`, so whichever instance delivers it has the bytes.
Counts only: nothing here can identify a victim or a reporter.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import vocabulary
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.messaging.messages import Media, Reply
from models import Area, AreaLevel, Case

CHART_DAYS = 7


def render_chart(
    per_kecamatan: list[tuple[str, int]],
    per_category: list[tuple[str, int]],
    titles: tuple[str, str],
) -> bytes:
    """Two horizontal bar charts in one PNG."""
    from matplotlib.figure import Figure

    rows = max(len(per_kecamatan), len(per_category), 4)
    figure = Figure(figsize=(9, 2.5 + 0.35 * rows), dpi=100, layout="constrained")
    axes = figure.subplots(1, 2)
    for ax, data, title, colour in (
        (axes[0], per_kecamatan, titles[0], "#2f6f9f"),
        (axes[1], per_category, titles[1], "#c0504d"),
    ):
        labels = [label for label, _ in data] or ["-"]
        values = [value for _, value in data] or [0]
        ax.barh(labels, values, color=colour)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=11)
        ax.xaxis.get_major_locator().set_params(integer=True)
        for y, value in enumerate(values):
            ax.text(value, y, f" {value}", va="center", fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def chart_data(
    session: AsyncSession, now: datetime, t: Translator | None = None
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    t = t or Translator(None)
    since = now - timedelta(days=CHART_DAYS)
    # Counted in the database. The categories are a JSON list, grouped by its text (a handful
    # of distinct lists), which works alike on SQLite and PostgreSQL (json has no equality).
    categories = cast(Case.categories, Text)
    rows = await session.execute(
        select(Case.kecamatan_code, categories, func.count())
        .where(Case.created_at >= since)
        .group_by(Case.kecamatan_code, categories)
    )
    per_kec: Counter[str] = Counter()
    per_cat: Counter[str] = Counter()
    for kecamatan_code, listed, n in rows.all():
        per_kec[kecamatan_code] += n
        for category in (json.loads(listed) if listed else None) or []:
            per_cat[vocabulary.CATEGORIES.label(t, str(category))] += n
    kecamatan = (
        await session.scalars(
            select(Area).where(Area.level == AreaLevel.KECAMATAN).order_by(Area.name)
        )
    ).all()
    per_kecamatan = [(area.name, per_kec.get(area.code, 0)) for area in kecamatan]
    return per_kecamatan, sorted(per_cat.items(), key=lambda item: (-item[1], item[0]))


async def chart_reply(
    session: AsyncSession, t: Translator, now: datetime, settings: Settings
) -> Reply:
    per_kecamatan, per_category = await chart_data(session, now, t)
    titles = (t("Kasus per kecamatan"), t("Kasus per jenis kekerasan"))
    png = await asyncio.to_thread(render_chart, per_kecamatan, per_category, titles)
    day = now.astimezone(settings.zone).date().isoformat()
    caption = t(
        "Grafik mingguan: laporan {days} hari terakhir per kecamatan dan per jenis (jumlah {n}).",
        days=CHART_DAYS,
        n=sum(n for _, n in per_kecamatan),
    )
    media = Media(
        kind="photo",
        file_id=f"patbm-grafik-{day}.png",
        content_b64=base64.b64encode(png).decode("ascii"),
        mime_type="image/png",
    )
    return Reply(text=caption, media=media)
