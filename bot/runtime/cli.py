"""The `patbm` console script. Each command group lives in bot/runtime/commands/ and registers its parsers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.core.settings import SettingsError
from bot.runtime.commands import (
    areas,
    audit,
    chat,
    db,
    export,
    jobs,
    keys,
    retention,
    run,
    staff,
    stats,
)

# Each module has `register(subparsers)`; its parsers set `func(args) -> int`. The order is the
# order of `patbm --help`.
COMMAND_MODULES = (db, areas, staff, chat, export, stats, audit, retention, keys, run, jobs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patbm", description="PATBM Lapor: pelaporan kekerasan terhadap anak dan perempuan"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from bot.core.logs import configure_logging

    configure_logging(verbose=args.verbose)
    try:
        code: int = args.func(args)
    except SettingsError as exc:
        print(f"patbm: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
