"""`patbm run`: the bot itself (channels, webhook and health server, inbox, delivery, scheduler)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.runtime.commands.common import run_with_app


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "run", help="run every configured channel, the webhook server and the scheduler"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from bot.runtime.runner import run

    return run_with_app(run)
