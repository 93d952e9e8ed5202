"""What every benchmark shares: results, percentiles, the machine, throw-away databases, RSS."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("PATBM_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Row:
    """One line of the table: a benchmark, a variant (size, backend), its figures, a verdict."""

    bench: str
    variant: str
    figures: dict[str, Any]
    target: str = ""
    met: bool | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "bench": self.bench,
            "variant": self.variant,
            "figures": self.figures,
            "target": self.target,
            "met": self.met,
            "note": self.note,
        }


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(f"  {row.bench} {row.variant}: {format_figures(row.figures)}", flush=True)
        return row

    def find(self, bench: str, variant: str | None = None) -> Row | None:
        for row in self.rows:
            if row.bench == bench and (variant is None or row.variant == variant):
                return row
        return None


def format_figures(figures: dict[str, Any]) -> str:
    parts = []
    for key, value in figures.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.3g}" if abs(value) < 1000 else f"{key}={value:.0f}")
        elif isinstance(value, list | dict):
            continue
        else:
            parts.append(f"{key}={value}")
    return " ".join(parts)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def machine() -> dict[str, Any]:
    """What the figures were taken on."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    try:
        info["free_h"] = subprocess.run(
            ["free", "-h"], capture_output=True, text=True, check=False, timeout=5
        ).stdout.strip()
    except OSError:
        info["free_h"] = "?"
    try:
        load = os.getloadavg()
        info["loadavg_at_start"] = [round(x, 2) for x in load]
    except OSError:
        pass
    cpu = Path("/proc/cpuinfo")
    if cpu.exists():
        for line in cpu.read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    return info


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM), in MiB; None when /proc cannot tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def python_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(ROOT),
        "PTB_TIMEDELTA": "true",
    }
    env.update(extra or {})
    return env


def patbm_cli(args: Sequence[str], env: dict[str, str], cwd: Path) -> str:
    """Run `python -m bot.runtime.cli ARGS` (the `patbm` command) and return its output; raise on failure."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", *args],
        cwd=cwd,
        env=python_env(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"patbm {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


# -- throw-away PostgreSQL databases ------------------------------------------------------------


def pg_reachable() -> bool:
    async def probe() -> bool:
        import asyncpg

        try:
            conn = await asyncio.wait_for(asyncpg.connect(PG_SERVER), 3)
        except (OSError, TimeoutError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


async def create_pg_database(prefix: str = "patbm_bench") -> tuple[str, str]:
    """A fresh database on the bench's server: (its name, its SQLAlchemy async URL)."""
    from tests.support import dbutil

    return await dbutil.create_pg_database(PG_SERVER, prefix)


async def drop_pg_database(name: str) -> None:
    from tests.support import dbutil

    await dbutil.drop_pg_database(name, PG_SERVER)


def new_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def system_cpu_seconds(pid: int) -> float | None:
    """System (kernel) CPU time the process has used so far: syscalls such as socket writes."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[12]) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used so far; None when /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / ticks
