"""`patbm audit REF [--with-notes]`: the event trail of one case; the reading is recorded.
`patbm audit --access`: the newest dashboard and export accesses (sign-ins, refusals, downloads)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.admin.audit import access_log, audit_trail, render, render_access
from bot.cases.lifecycle import Actor
from bot.core.app import App
from bot.runtime.commands.common import run_with_app

CLI_ADMIN = Actor(kind="admin", channel="cli")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "audit", help="the full event trail of one case (this reading is recorded too)"
    )
    parser.add_argument("reference", nargs="?", help="case reference, e.g. JMB-7Q4K-2M")
    parser.add_argument(
        "--access",
        action="store_true",
        help="instead: the newest 50 dashboard sign-ins, refusals and downloads",
    )
    parser.add_argument(
        "--with-notes",
        action="store_true",
        help="also show the free-text notes (personal data; the view records that it did)",
    )
    parser.set_defaults(func=_audit)


def _audit(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        if args.access:
            async with app.db.transaction() as session:
                events = await access_log(session)
            print(render_access(events, app.settings.zone), end="")
            return 0
        if not args.reference:
            print("patbm audit: give a case reference, or --access", file=sys.stderr)
            return 2
        async with app.db.transaction() as session:
            trail = await audit_trail(
                session,
                args.reference,
                app.clock.now(),
                app.settings.zone,
                actor=CLI_ADMIN,
                with_notes=args.with_notes,
            )
        if trail is None:
            print(f"patbm audit: no case {args.reference}", file=sys.stderr)
            return 1
        print(render(trail), end="")
        return 0

    return run_with_app(body)
