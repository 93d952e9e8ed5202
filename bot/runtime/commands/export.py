"""`patbm export --format csv|xlsx [--from DATE] [--to DATE] [--output FILE]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.core.app import App
from bot.reporting.export import write_csv, write_xlsx
from bot.reporting.facts import PeriodError, day_period, load_case_rows, parse_date
from bot.runtime.commands.common import run_with_app


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "export", help="export cases without personal data (CSV or XLSX)"
    )
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--from", dest="first", help="first day reported, YYYY-MM-DD (local)")
    parser.add_argument("--to", dest="last", help="last day reported, YYYY-MM-DD (inclusive)")
    parser.add_argument("--output", type=Path, help="file to write (CSV: standard output without)")
    parser.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    if args.format == "xlsx" and args.output is None:
        print("patbm export: --format xlsx needs --output FILE.xlsx", file=sys.stderr)
        return 2
    try:
        first = parse_date(args.first) if args.first else None
        last = parse_date(args.last) if args.last else None
    except PeriodError as exc:
        print(f"patbm export: {exc}", file=sys.stderr)
        return 2

    async def body(app: App) -> int:
        zone = app.settings.zone
        try:
            period = day_period(first, last, zone)
        except PeriodError as exc:
            print(f"patbm export: {exc}", file=sys.stderr)
            return 2
        async with app.db.transaction() as session:
            rows = await load_case_rows(session, period)
        if args.format == "xlsx":
            count = write_xlsx(rows, args.output, zone, period=period.describe(zone))
        elif args.output is None:
            count = write_csv(rows, sys.stdout, zone)
            sys.stdout.flush()
        else:
            with args.output.open("w", encoding="utf-8", newline="") as handle:
                count = write_csv(rows, handle, zone)
        if args.output is not None:
            print(f"{count} cases ({period.describe(zone)}) written to {args.output}")
        return 0

    return run_with_app(body)
