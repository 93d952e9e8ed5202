"""Benchmark 1, the ceiling: a bare python-telegram-bot echo bot polling the fake Bot API.

The fake holds all the updates before the bot starts; the clock runs from the bot's first
getUpdates to the last sendMessage the fake sees. The bot is its own process on loopback.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    ROOT,
    Results,
    Row,
    cpu_seconds,
    peak_rss_mb,
    python_env,
    system_cpu_seconds,
)
from bench.fakes import TimedFakeTelegram

CHATS = 100


def run_baseline(results: Results, *, updates: int) -> Row:
    fake = TimedFakeTelegram()
    fake.start()
    proc: subprocess.Popen[bytes] | None = None
    try:
        fake.add_updates_quietly(
            [
                {"message": fake.message_body(10_000 + i % CHATS, text=f"halo {i}")}
                for i in range(updates)
            ]
        )
        with tempfile.TemporaryDirectory(prefix="patbm-bench-echo-") as tmp:
            log_path = Path(tmp) / "echo.log"
            with log_path.open("wb") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "bench.echo_bot", fake.api_url, fake.token],
                    cwd=ROOT,
                    env=python_env(),
                    stdout=log,
                    stderr=log,
                )
            deadline = time.monotonic() + 60 + updates / 20
            cpu_start: float | None = None
            sys_start: float | None = None
            sys_end: float | None = None
            while fake.replies_seen < updates:
                if proc.poll() is not None:
                    raise RuntimeError(f"echo bot exited:\n{log_path.read_text()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"echo bot answered {fake.replies_seen} of {updates}")
                if cpu_start is None and fake.first_get_updates is not None:
                    cpu_start = cpu_seconds(proc.pid)
                    sys_start = system_cpu_seconds(proc.pid)
                time.sleep(0.05)
            cpu_end = cpu_seconds(proc.pid)
            sys_end = system_cpu_seconds(proc.pid)
            rss = peak_rss_mb(proc.pid)
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        fake.stop()
    assert fake.first_get_updates is not None and fake.last_reply_at is not None
    elapsed = fake.last_reply_at - fake.first_get_updates
    cpu_ms = (cpu_end - cpu_start) * 1000 / updates if cpu_start and cpu_end else None
    return results.add(
        Row(
            "baseline",
            f"echo x{updates}",
            {
                "updates": updates,
                "seconds": round(elapsed, 3),
                "updates_per_s": round(updates / elapsed, 1),
                "cpu_ms_per_update": round(cpu_ms, 2) if cpu_ms else None,
                "sys_ms_per_update": (
                    round((sys_end - sys_start) * 1000 / updates, 2)
                    if sys_start is not None and sys_end is not None
                    else None
                ),
                "peak_rss_mb": round(rss, 1) if rss else None,
            },
            note="python-telegram-bot Application + MessageHandler echo, run_polling",
        )
    )
