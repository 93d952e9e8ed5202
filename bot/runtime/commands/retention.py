"""`patbm retention apply [--dry-run]`."""

from __future__ import annotations

import argparse
from typing import Any

from bot.admin.retention import RetentionResult, apply_retention
from bot.cases.lifecycle import Actor
from bot.core.app import App
from bot.core.tables import text_table
from bot.runtime.commands.common import run_with_app


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "retention", help="remove personal data of closed cases past the retention period"
    )
    ret_sub = parser.add_subparsers(dest="retention_command", required=True)
    app_ = ret_sub.add_parser(
        "apply", help="anonymise closed cases older than PATBM_RETENTION_MONTHS (default 24)"
    )
    app_.add_argument(
        "--dry-run", action="store_true", help="list what would happen; change nothing"
    )
    app_.set_defaults(func=_apply)


def _report(result: RetentionResult, app: App) -> str:
    zone = app.settings.zone
    verb = "would be anonymised" if result.dry_run else "anonymised"
    head = (
        f"retention {app.settings.retention_months} months: cases closed before "
        f"{result.cutoff.astimezone(zone):%Y-%m-%d %H:%M %Z}"
    )
    if not result.cases:
        return f"{head}\nnothing to do: no closed case is past the retention period\n"
    rows = [
        (
            c.reference,
            c.status,
            f"{c.closed_at.astimezone(zone):%Y-%m-%d}",
            ", ".join(c.fields) or "-",
            c.notes,
            c.outbox,
        )
        for c in result.cases
    ]
    table = text_table(["Referensi", "Status", "Ditutup", "Data pribadi", "Catatan", "Pesan"], rows)
    tail = f"{len(rows)} cases {verb}"
    if result.dry_run:
        tail += " (dry run: nothing was changed)"
    return f"{head}\n\n{table}\n\n{tail}\n"


def _apply(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        result = await apply_retention(
            app.db,
            app.clock.now(),
            app.settings.retention_months,
            actor=Actor(kind="admin", channel="cli"),
            dry_run=args.dry_run,
        )
        print(_report(result, app), end="")
        return 0

    return run_with_app(body)
