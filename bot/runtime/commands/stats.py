"""`patbm stats [--month YYYY-MM | --from DATE --to DATE] [--kecamatan KODE] [--language id|en]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.casework.followup import followup_counts
from bot.core.app import App
from bot.core.i18n import LANGUAGES
from bot.reporting.facts import Period, PeriodError, day_period, month_period, parse_date
from bot.reporting.stats import gather_stats
from bot.reporting.stats_text import render
from bot.runtime.commands.common import run_with_app


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "stats", help="case counts, response times and escalations as tables"
    )
    parser.add_argument("--month", help="only cases reported in this month, YYYY-MM (local)")
    parser.add_argument("--from", dest="first", help="first day reported, YYYY-MM-DD (local)")
    parser.add_argument("--to", dest="last", help="last day reported, YYYY-MM-DD (inclusive)")
    parser.add_argument("--kecamatan", help="only this kecamatan (Kemendagri code, e.g. 15.71.01)")
    parser.add_argument(
        "--language", choices=LANGUAGES, default="id", help="language of the table (id, en)"
    )
    parser.set_defaults(func=_stats)


def _period(args: argparse.Namespace, app: App) -> Period:
    zone = app.settings.zone
    if args.month:
        return month_period(args.month, zone)
    first = parse_date(args.first) if args.first else None
    last = parse_date(args.last) if args.last else None
    return day_period(first, last, zone)


def _stats(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        zone = app.settings.zone
        try:
            period = _period(args, app)
        except PeriodError as exc:
            print(f"patbm stats: {exc}", file=sys.stderr)
            return 2
        async with app.db.transaction() as session:
            stats = await gather_stats(
                session,
                period,
                now=app.clock.now(),
                describe=period.describe(zone),
                kecamatan_code=args.kecamatan,
                language=args.language,
            )
            followups = await followup_counts(
                session, start=period.start, end=period.end, kecamatan_code=args.kecamatan
            )
        print(render(stats, followups), end="")
        return 0

    return run_with_app(body)
