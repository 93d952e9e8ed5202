"""`patbm keys rotate [--reencrypt-only | --drop-old]` and `patbm keys status`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.admin.keys import KeyReport, current_ring, drop_old, key_usage, reencrypt, rotate
from bot.core.app import App
from bot.core.tables import text_table
from bot.runtime.commands.common import run_with_app


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("keys", help="encryption keys")
    keys_sub = parser.add_subparsers(dest="keys_command", required=True)
    rot = keys_sub.add_parser(
        "rotate", help="new primary key and re-encryption; later --drop-old removes the old key"
    )
    step = rot.add_mutually_exclusive_group()
    step.add_argument(
        "--reencrypt-only",
        action="store_true",
        help="re-encrypt under the current primary key (after changing PATBM_ENCRYPTION_KEY)",
    )
    step.add_argument(
        "--drop-old", action="store_true", help="remove the old keys once nothing uses them"
    )
    rot.set_defaults(func=_rotate)
    status = keys_sub.add_parser("status", help="how many stored values use which key")
    status.set_defaults(func=_status)


def _table(report: KeyReport) -> str:
    rows = [
        (name, u.tokens, u.under_primary, u.under_old, u.unreadable, u.rewritten)
        for name, u in report.columns.items()
    ]
    return text_table(
        ["Column", "Values", "Primary key", "Old key", "Unreadable", "Re-encrypted"], rows
    )


def _rotate(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        settings = app.settings
        if args.drop_old:
            dropped = await drop_old(app.db, settings)
            if dropped.refused:
                print(_table(dropped.report))
                print(
                    f"patbm keys: {dropped.report.total('under_old')} values still use an old key; "
                    "run `patbm keys rotate --reencrypt-only` first",
                    file=sys.stderr,
                )
                return 1
            if dropped.dropped == 0:
                print("only one key in use: nothing to drop")
            elif dropped.env_value is not None:
                print(
                    f"nothing uses the old keys any more ({dropped.dropped}). Now set, everywhere:"
                )
                print(f"  PATBM_ENCRYPTION_KEY={dropped.env_value}")
                print("and restart every instance.")
            else:
                print(f"{dropped.dropped} old key(s) removed from the key file")
            return 0
        if args.reencrypt_only:
            report = await reencrypt(app.db, current_ring(settings))
            print(_table(report))
            print(f"{report.total('rewritten')} values re-encrypted under the primary key")
            return 0
        outcome = await rotate(app.db, settings)
        if outcome.env_value is not None:
            print(
                "A new key was made. The keys come from PATBM_ENCRYPTION_KEY, so set, everywhere:"
            )
            print(f"  PATBM_ENCRYPTION_KEY={outcome.env_value}")
            print("(new key first, the old ones after it), restart every instance, then run")
            print("  patbm keys rotate --reencrypt-only")
            print("and, when it reports no value under an old key, `patbm keys rotate --drop-old`.")
            print("Nothing was re-encrypted yet. Keep a safe copy of the keys: without them the")
            print("encrypted case data cannot be read.")
            return 0
        assert outcome.report is not None
        print(_table(outcome.report))
        print(
            f"new primary key written to the key file; {outcome.report.total('rewritten')} values "
            "re-encrypted. Restart running instances, then `patbm keys rotate --drop-old`."
        )
        return 0

    return run_with_app(body)


def _status(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        ring = current_ring(app.settings)
        report = await key_usage(app.db, ring)
        print(f"{len(ring.keys)} key(s) loaded")
        print(_table(report))
        return 0

    return run_with_app(body)
