"""Benchmarks 2 and 5: `patbm run` serving N simulated residents, and its peak memory.

Set-up per backend, as an administrator would: `patbm db upgrade`, `patbm areas import 15.71`,
`patbm staff import` (a kader for every kelurahan, so routing has someone). Then
`python -m bot.runtime.cli run` as a subprocess polls the fake Bot API; N residents report at once
(bench/residents.py). Figures: updates per second (all residents' updates over the time from the
first update available to the last reply), p50/p99 latency per step, peak RSS (VmHWM).

Telegram's sending limits are raised in `patbm run` for these rows (`PATBM_TELEGRAM_RATE_PER_SECOND`,
`PATBM_CHAT_RATE_PER_SECOND`): the fake does not enforce them here, the echo baseline does not
have them, and benchmark 3 measures them on their own. One row (`limits=telegram`) keeps the
defaults to show what a resident feels with the 1-a-second-per-chat pacing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from pathlib import Path

from bench.common import (
    ROOT,
    Results,
    Row,
    cpu_seconds,
    create_pg_database,
    drop_pg_database,
    new_key,
    peak_rss_mb,
    system_cpu_seconds,
)
from bench.fakes import TimedFakeTelegram
from bench.flow_figures import FlowRun, add_rows
from bench.flow_setup import prepare_database
from bench.load import Extra, dashboard_token, drive
from bench.profiling import Profiler
from bench.residents import HUMAN_PACE, Pace

UNLIMITED = {"PATBM_TELEGRAM_RATE_PER_SECOND": "100000", "PATBM_CHAT_RATE_PER_SECOND": "100000"}
SITE = ROOT / "bench" / "site"
WEBHOOK_SECRET = "bench-webhook-secret"
# The URL only has to be accepted by the fake's setWebhook: the residents post to the process.
WEBHOOK_ENV = {
    "PATBM_TELEGRAM_WEBHOOK_URL": "https://bench.invalid/webhooks/telegram",
    "PATBM_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
}


# (number of residents, their pace); no pace = a closed loop without think time.
Plan = list[tuple[int, Pace | None]]


def run_flow(
    database_url: str,
    workdir: Path,
    runs_plan: Plan,
    extra_env: dict[str, str],
    key: str,
    *,
    first_seed: int = 1,
    webhook: bool = False,
    with_extra: bool = False,
) -> list[FlowRun]:
    """One `patbm run` process; each N in turn (fresh residents); peak RSS over all of them.

    `webhook`: the process runs in webhook mode and the residents' updates are POSTed to it.
    `with_extra`: the residents send photos and the Dinas reads the dashboard (bench/load.py).
    """
    from tests.support.e2e_helpers import PatbmProcess

    fake = TimedFakeTelegram()
    # A second process on the same database must not see update ids the inbox already holds
    # (it would rightly drop them as duplicates).
    fake.state.next_update_id = first_seed * 1_000_000
    fake.start()
    counter = workdir / f"statements-{first_seed}.txt"
    proc = PatbmProcess(
        database_url,
        fake.api_url,
        fake.token,
        workdir,
        extra_env={
            "PATBM_ENCRYPTION_KEY": key,
            # bench/site/sitecustomize.py counts statements and commits inside `patbm run`.
            "PYTHONPATH": f"{SITE}{os.pathsep}{ROOT}",
            "PATBM_BENCH_STATEMENTS_FILE": str(counter),
            **(WEBHOOK_ENV if webhook else {}),
            **extra_env,
        },
    )
    runs: list[FlowRun] = []
    profiler: Profiler | None = None
    try:
        proc.start(within=60)
        assert proc.proc is not None
        backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        profiler = Profiler.start_for(proc.proc.pid, f"{backend}-{first_seed}")
        for seed, (count, pace) in enumerate(runs_plan, start=first_seed):
            first_update = len(fake.available_at)
            cpu_before = cpu_seconds(proc.proc.pid)
            sys_before = system_cpu_seconds(proc.proc.pid)
            sql_before = _read_counter(proc.proc.pid, counter)
            hook = (f"{proc.url}/webhooks/telegram", WEBHOOK_SECRET) if webhook else None
            extra = (
                Extra(
                    (proc.url, asyncio.run(dashboard_token(database_url, proc.url))), database_url
                )
                if with_extra
                else None
            )
            people, hook_errors = asyncio.run(drive(fake, count, seed, pace, hook, extra))
            cpu_after = cpu_seconds(proc.proc.pid)
            sys_after = system_cpu_seconds(proc.proc.pid)
            sql_after = _read_counter(proc.proc.pid, counter)
            available = sorted(fake.available_at.values())[first_update:]
            last = fake.last_reply_at
            seconds = last - available[0] if available and last is not None else 0.0
            updates = sum(p.updates for p in people)
            runs.append(
                FlowRun(
                    residents=count,
                    paced=pace is not None,
                    completed=sum(1 for p in people if p.error is None),
                    updates=updates,
                    seconds=seconds,
                    latencies=[x for p in people for x in p.latencies],
                    spreads=[x for p in people for x in p.spreads],
                    peak_rss_mb=peak_rss_mb(proc.proc.pid),
                    cpu_seconds=(
                        cpu_after - cpu_before
                        if cpu_after is not None and cpu_before is not None
                        else None
                    ),
                    errors=[p.error for p in people if p.error][:3]
                    + hook_errors
                    + ([f"patbm run log tail: {proc.log()[-600:]}"] if last is None else []),
                    statements=_delta(sql_before, sql_after, 0),
                    commits=_delta(sql_before, sql_after, 1),
                    system_seconds=(
                        sys_after - sys_before
                        if sys_after is not None and sys_before is not None
                        else None
                    ),
                    dashboard_pages=extra.pages if extra is not None else None,
                    photos_stored=extra.stored if extra is not None else None,
                )
            )
    finally:
        if profiler is not None:
            profiler.stop()
        try:
            if proc.proc is not None and proc.proc.poll() is None:
                proc.terminate(within=30)
        except Exception:
            proc.ensure_stopped()
        fake.stop()
    return runs


def _read_counter(pid: int, path: Path) -> tuple[int, int] | None:
    """Statements and commits so far, asked of `patbm run` (bench/site/sitecustomize.py)."""
    path.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            statements, commits = path.read_text().split()
            return int(statements), int(commits)
        except (OSError, ValueError):
            time.sleep(0.01)
    return None


def _delta(before: tuple[int, int] | None, after: tuple[int, int] | None, i: int) -> int | None:
    return after[i] - before[i] if before is not None and after is not None else None


def run_report_flow(
    results: Results,
    *,
    sizes: list[int],
    backends: list[str],
    with_telegram_limits: bool,
    paced: int = 50,
    pace: Pace = HUMAN_PACE,
    webhook: int = 0,
    loaded: int = 0,
) -> None:
    """Closed-loop runs for each size, then `paced` residents at `pace` (0: none), then a
    closed loop of `webhook` residents (0: none) with `patbm run` in webhook mode, then `loaded`
    residents (0: none) sending photos while the dashboard is read (the memory row)."""
    baseline_row = results.find("baseline")
    baseline: tuple[float | None, float | None] = (None, None)
    if baseline_row is not None:
        cpu = baseline_row.figures.get("cpu_ms_per_update")
        baseline = (
            float(baseline_row.figures["updates_per_s"]),
            float(cpu) if cpu is not None else None,
        )
    key = new_key()
    peak: list[float] = []
    busy_peak: list[tuple[float, int]] = []
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix=f"patbm-bench-{backend}-") as tmp:
            workdir = Path(tmp)
            env = {"PATBM_ENCRYPTION_KEY": key, "PATBM_DATA_DIR": tmp}
            pg_name: str | None = None
            if backend == "sqlite":
                url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
            else:
                pg_name, url = asyncio.run(create_pg_database())
            try:
                prepare_database(url, env, workdir)
                runs_plan: Plan = [(n, None) for n in sizes] + ([(paced, pace)] if paced else [])
                runs = run_flow(url, workdir, runs_plan, UNLIMITED, key) if runs_plan else []
                add_rows(results, backend, runs, baseline, "raised")
                peak += [r.peak_rss_mb for r in runs if r.peak_rss_mb]
                if with_telegram_limits and backend == backends[0]:
                    # New residents (other chat ids), a new process with the default limits.
                    limited = run_flow(
                        url,
                        workdir,
                        [(min(50, max(sizes)), pace)],
                        {},
                        key,
                        first_seed=len(runs_plan) + 1,
                    )
                    add_rows(results, backend, limited, baseline, "telegram")
                if webhook:
                    hooked = run_flow(
                        url,
                        workdir,
                        [(webhook, None)],
                        UNLIMITED,
                        key,
                        first_seed=len(runs_plan) + 2,
                        webhook=True,
                    )
                    add_rows(results, backend, hooked, baseline, "webhook")
                    peak += [r.peak_rss_mb for r in hooked if r.peak_rss_mb]
                if loaded:
                    busy = run_flow(
                        url,
                        workdir,
                        [(loaded, None)],
                        UNLIMITED,
                        key,
                        first_seed=len(runs_plan) + 3,
                        with_extra=True,
                    )
                    add_rows(results, backend, busy, baseline, "evidence+dashboard")
                    busy_peak += [
                        (r.peak_rss_mb, r.dashboard_pages or 0) for r in busy if r.peak_rss_mb
                    ]
            except Exception as exc:
                results.skipped[f"report_flow {backend}"] = f"{type(exc).__name__}: {exc}"[:800]
            finally:
                if pg_name is not None:
                    asyncio.run(drop_pg_database(pg_name))
    if peak:
        worst = max(peak)
        results.add(
            Row(
                "memory",
                "patbm run peak RSS",
                {"peak_rss_mb": round(worst, 1)},
                target="RSS < 150 MB",
                met=worst < 150,
                note="VmHWM of the `patbm run` process over the report-flow runs",
            )
        )
    if busy_peak:
        worst, pages = max(busy_peak)
        results.add(
            Row(
                "memory",
                "patbm run peak RSS, evidence + dashboard",
                {"peak_rss_mb": round(worst, 1), "dashboard_pages": pages},
                target="RSS < 200 MB",
                met=worst < 200,
                note="VmHWM while residents send 1 MB photos and the Dinas reads the dashboard",
            )
        )
