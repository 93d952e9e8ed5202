"""`patbm db upgrade`."""

from __future__ import annotations

import argparse
from typing import Any

from bot.core.migrations import upgrade
from bot.core.settings import get_settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("db", help="database schema")
    db_sub = parser.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    settings = get_settings()
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0
