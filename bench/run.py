"""Run the benchmarks, print a table, write JSON.

    python -m bench.run                     # everything, full size (~30 min on 2 cores)
    python -m bench.run --quick             # tiny sizes (a couple of minutes)
    python -m bench.run --only baseline,delivery --json /tmp/out.json
    python -m bench.run --only sweeps --sweep-sizes 1000000:100   # one size
    python -m bench.run --only report_flow --flow-sizes paced:50 --backends postgresql

Names: baseline, report_flow (also gives memory), delivery, sweeps, claims. PostgreSQL rows need a
server at PATBM_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres); without
one they are skipped and say so.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import ROOT, Results, Row, machine, new_key, pg_reachable

NAMES = ("baseline", "report_flow", "delivery", "sweeps", "claims")
ALIASES = {"memory": "report_flow", "flow": "report_flow", "outbox": "delivery"}
DEFAULT_JSON = ROOT / "bench" / "results" / "latest.json"

# The figures each benchmark's table line shows (all are in the JSON).
SHOWN = {
    "baseline": (
        "updates",
        "updates_per_s",
        "cpu_ms_per_update",
        "sys_ms_per_update",
        "peak_rss_mb",
    ),
    "report_flow": (
        "completed",
        "updates",
        "updates_per_s",
        "ratio_to_baseline",
        "p50_ms",
        "p99_ms",
        "spread_p99_ms",
        "cpu_ms_per_update",
        "sys_ms_per_update",
        "cpu_x_echo",
        "statements_per_update",
        "commits_per_update",
        "peak_rss_mb",
        "dashboard_pages",
        "photos_stored",
    ),
    "memory": ("peak_rss_mb", "dashboard_pages"),
    "delivery": ("delivered", "seconds", "rate_per_s", "fraction_of_30", "http_429"),
    "sweeps": (
        "select_due_ms",
        "sweep_s",
        "sweep_ms_per_due",
        "digest_s",
        "plan_uses_index",
    ),
    "claims": ("small_ms", "big_ms", "ratio", "claimed", "old_big_ms", "plan_uses_index"),
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these (comma-separated or repeated): {', '.join(NAMES)}",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")
    parser.add_argument(
        "--sweep-sizes",
        type=_sizes,
        default=None,
        metavar="CASES:DUE,...",
        help="sweeps only at these sizes, e.g. 100000:1000 or 1000000:100,1000000:10000",
    )
    parser.add_argument(
        "--flow-sizes",
        type=_flow_sizes,
        default=None,
        metavar="N,...,paced:N,webhook:N,loaded:N",
        help=(
            "report_flow only these rows, e.g. paced:50, 50,paced:50, webhook:50 or loaded:50"
            " (no telegram-limits row)"
        ),
    )
    parser.add_argument(
        "--backends",
        default=None,
        metavar="NAME,...",
        help="report_flow only on these backends: sqlite, postgresql",
    )
    return parser.parse_args(argv)


FlowSizes = tuple[list[int], int, int, int]


def _flow_sizes(value: str) -> FlowSizes:
    """Closed-loop sizes, then the paced, webhook and loaded (photos + dashboard) sizes (0:
    none), from e.g. `10,50,paced:50,webhook:50,loaded:50`."""
    closed: list[int] = []
    named = {"paced": 0, "webhook": 0, "loaded": 0}
    try:
        for item in (part.strip() for part in value.split(",")):
            name, _, size = item.rpartition(":")
            if name in named:
                named[name] = int(size)
            elif item:
                closed.append(int(item))
    except ValueError as exc:
        expected = "N[,N...][,paced:N][,webhook:N][,loaded:N]"
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value!r}") from exc
    if not closed and not any(named.values()):
        raise argparse.ArgumentTypeError(f"no size in {value!r}")
    return closed, named["paced"], named["webhook"], named["loaded"]


def _sizes(value: str) -> list[tuple[int, int]]:
    try:
        pairs = [item.split(":") for item in value.split(",") if item.strip()]
        sizes = [(int(total), int(due)) for total, due in pairs]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected CASES:DUE[,CASES:DUE...], got {value!r}"
        ) from exc
    if not sizes or any(due > total or due < 0 for total, due in sizes):
        raise argparse.ArgumentTypeError(f"expected CASES:DUE with DUE <= CASES, got {value!r}")
    return sizes


def selected(only: list[str]) -> list[str]:
    if not only:
        return list(NAMES)
    wanted = []
    for item in only:
        for name in item.split(","):
            name = ALIASES.get(name.strip(), name.strip())
            if name not in NAMES:
                raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(NAMES)}")
            if name not in wanted:
                wanted.append(name)
    return [n for n in NAMES if n in wanted]


def plan(
    quick: bool,
    postgres: bool,
    sweep_sizes: list[tuple[int, int]] | None = None,
    flow_sizes: FlowSizes | None = None,
    only_backends: list[str] | None = None,
) -> dict[str, Callable[[Results, str], None]]:
    from bench.baseline import run_baseline
    from bench.claims import run_claims
    from bench.delivery import run_delivery
    from bench.report_flow import run_report_flow
    from bench.sweeps import run_sweeps

    backends = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    if only_backends:
        backends = [b for b in backends if b in only_backends]

    def baseline(results: Results, key: str) -> None:
        run_baseline(results, updates=300 if quick else 3000)

    def report_flow(results: Results, key: str) -> None:
        from bench.residents import HUMAN_PACE, Pace

        default = ([5], 5, 5, 5) if quick else ([10, 50, 200], 50, 50, 50)
        sizes, paced, webhook, loaded = flow_sizes or default
        run_report_flow(
            results,
            sizes=sizes,
            backends=backends,
            with_telegram_limits=not quick and flow_sizes is None,
            paced=paced,
            webhook=webhook,
            loaded=loaded,
            pace=Pace(tap=(0.05, 0.2), typing=(0.1, 0.3)) if quick else HUMAN_PACE,
        )

    def delivery(results: Results, key: str) -> None:
        messages, chats = (300, 30) if quick else (5000, 500)
        run_delivery(results, messages=messages, chats=chats, key=key)

    def sweeps(results: Results, key: str) -> None:
        if not postgres:
            results.skipped["sweeps"] = "no PostgreSQL server reachable"
            return
        sizes = sweep_sizes or (
            [(10_000, 100)]
            if quick
            else [(10_000, 100), (100_000, 1_000), (1_000_000, 10_000), (1_000_000, 100)]
        )
        run_sweeps(results, sizes=sizes, key=key)

    def claims(results: Results, key: str) -> None:
        run_claims(
            results,
            backends=["sqlite", "postgresql"] if postgres else ["sqlite"],
            big=10_000 if quick else 100_000,
        )

    return {
        "baseline": baseline,
        "report_flow": report_flow,
        "delivery": delivery,
        "sweeps": sweeps,
        "claims": claims,
    }


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def table(rows: list[Row]) -> str:
    lines = [
        f"{'benchmark':<12} {'variant':<34} {'met':<5} figures  [target]",
        "-" * 100,
    ]
    for row in rows:
        keys = SHOWN.get(row.bench, tuple(row.figures))
        figures = " ".join(f"{k}={_cell(row.figures.get(k))}" for k in keys if k in row.figures)
        met = {True: "yes", False: "NO", None: "-"}[row.met]
        target = f"  [{row.target}]" if row.target else ""
        lines.append(f"{row.bench:<12} {row.variant:<34} {met:<5} {figures}{target}")
        if row.note and row.met is False:
            lines.append(f"{'':<12} {'':<34} {'':<5} note: {row.note}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    names = selected(args.only)
    postgres = pg_reachable() if {"report_flow", "sweeps", "claims"} & set(names) else False
    info = machine()
    print(f"PATBM Lapor bench ({'quick' if args.quick else 'full'}): {', '.join(names)}")
    print(
        f"machine: nproc={info['nproc']} python={info['python']} load={info.get('loadavg_at_start')}"
    )
    if not postgres and {"report_flow", "sweeps"} & set(names):
        print("PostgreSQL not reachable: its rows are skipped")
    results = Results()
    failures: dict[str, str] = {}
    key = new_key()
    only_backends = args.backends.split(",") if args.backends else None
    steps = plan(args.quick, postgres, args.sweep_sizes, args.flow_sizes, only_backends)
    started = time.monotonic()
    for name in names:
        print(f"[{name}]", flush=True)
        t0 = time.monotonic()
        try:
            steps[name](results, key)
        except Exception as exc:
            failures[name] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        print(f"[{name}] {time.monotonic() - t0:.0f} s", flush=True)
    print()
    print(table(results.rows))
    for name, why in {**results.skipped, **failures}.items():
        print(f"{name}: {'FAILED' if name in failures else 'skipped'}: {why[:300]}")
    document = {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "benchmarks": names,
        "seconds": round(time.monotonic() - started, 1),
        "machine": info,
        "rows": [row.as_json() for row in results.rows],
        "skipped": results.skipped,
        "failed": failures,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"\nJSON: {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
