"""`patbm stats [--month YYYY-MM] [--language id|en]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.commands.common import run_with_app
from bot.followup import followup_counts
from bot.i18n import LANGUAGES
from bot.reporting import Period, PeriodError, load_case_rows, month_period
from bot.stats import compute, render
from models import Area, AreaLevel


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "stats", help="case counts, response times and escalations as tables"
    )
    parser.add_argument("--month", help="only cases reported in this month, YYYY-MM (local)")
    parser.add_argument(
        "--language", choices=LANGUAGES, default="id", help="language of the table (id, en)"
    )
    parser.set_defaults(func=_stats)


def _stats(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        zone = app.settings.zone
        try:
            period = month_period(args.month, zone) if args.month else Period()
        except PeriodError as exc:
            print(f"patbm stats: {exc}", file=sys.stderr)
            return 2
        async with app.db.transaction() as session:
            rows = await load_case_rows(session, period)
            kecamatan = {
                a.code: a.name
                for a in await session.scalars(
                    select(Area).where(Area.level == AreaLevel.KECAMATAN)
                )
            }
            followups = await followup_counts(session, start=period.start, end=period.end)
        print(
            render(compute(rows, period.describe(zone), kecamatan, args.language), followups),
            end="",
        )
        return 0

    return run_with_app(body)
