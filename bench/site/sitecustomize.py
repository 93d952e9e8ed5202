"""Counts SQL statements and commits inside `patbm run` for the report-flow bench.

Loaded by Python at start-up only when the bench puts this folder first on `PYTHONPATH`, so the
bot itself carries no counting code. A SQLAlchemy event listener on every engine counts each
statement sent to the driver (`before_cursor_execute`, which also sees `BEGIN IMMEDIATE` and
SAVEPOINTs) and each commit. On SIGUSR2 both are written to `PATBM_BENCH_STATEMENTS_FILE`; the
bench asks before and after each run. Cost: one integer increment per statement.
"""

from __future__ import annotations

import os
import signal
from typing import Any

_PATH = os.environ.get("PATBM_BENCH_STATEMENTS_FILE")


def _install(path: str) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts = {"statements": 0, "commits": 0}

    def on_statement(*_: Any) -> None:
        counts["statements"] += 1

    def on_commit(*_: Any) -> None:
        counts["commits"] += 1

    def write(*_: Any) -> None:
        tmp = f"{path}.tmp"
        with open(tmp, "w") as handle:
            handle.write(f"{counts['statements']} {counts['commits']}\n")
        os.replace(tmp, path)

    event.listen(Engine, "before_cursor_execute", on_statement)
    event.listen(Engine, "commit", on_commit)
    signal.signal(signal.SIGUSR2, write)


if _PATH:
    _install(_PATH)
