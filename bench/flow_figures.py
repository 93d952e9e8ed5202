"""The report flow's figures (bench/report_flow.py measures; this makes the table's rows).

Throughput and CPU are judged at saturation (closed loop), latency at human pace; the CPU
target is the flow's CPU per update within 3x the echo's, from the same run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.common import Results, Row, percentile


@dataclass
class FlowRun:
    residents: int
    paced: bool
    completed: int
    updates: int
    seconds: float
    latencies: list[float]
    peak_rss_mb: float | None
    cpu_seconds: float | None
    errors: list[str]
    statements: int | None = None
    commits: int | None = None
    system_seconds: float | None = None
    dashboard_pages: int | None = None  # read during the run (bench/load.py Extra)
    photos_stored: int | None = None
    spreads: list[float] = field(default_factory=list)


def add_rows(
    results: Results,
    backend: str,
    runs: list[FlowRun],
    baseline: tuple[float | None, float | None],
    limits: str,
) -> None:
    """Table rows; `baseline` is the echo's (updates/s, CPU ms per update) from the same run.

    `limits`: "raised" (the main rows), "telegram" (Telegram's sending limits kept: informative)
    "webhook" (webhook mode, judged as the main rows are) or "evidence+dashboard" (photos and a
    dashboard reader besides: for the memory row, informative here).
    """
    base_rate, base_cpu = baseline
    for run in runs:
        cpu_ms = run.cpu_seconds * 1000 / run.updates if run.cpu_seconds and run.updates else None
        rate = run.updates / run.seconds if run.seconds > 0 else 0.0
        p50 = percentile(run.latencies, 0.50) * 1000
        p99 = percentile(run.latencies, 0.99) * 1000
        figures: dict[str, object] = {
            "residents": run.residents,
            "completed": run.completed,
            "updates": run.updates,
            "seconds": round(run.seconds, 2),
            "updates_per_s": round(rate, 1),
            "p50_ms": round(p50, 1),
            "p99_ms": round(p99, 1),
            # From a reply's first message to its last (0 for a one-message reply).
            "spread_p99_ms": round(percentile(run.spreads, 0.99) * 1000, 1),
            "spread_max_ms": round(max(run.spreads, default=0.0) * 1000, 1),
            # At human pace the rate is what the residents offer, not what the bot can do.
            "ratio_to_baseline": (
                round(rate / base_rate, 2) if base_rate and not run.paced else None
            ),
            "cpu_ms_per_update": round(cpu_ms, 2) if cpu_ms else None,
            # Of which in the kernel (socket writes and reads, mostly).
            "sys_ms_per_update": (
                round(run.system_seconds * 1000 / run.updates, 2)
                if run.system_seconds is not None and run.updates
                else None
            ),
            # The target: CPU per update within 3x the echo's (same run, same machine load).
            "cpu_x_echo": round(cpu_ms / base_cpu, 2) if cpu_ms and base_cpu else None,
            "peak_rss_mb": round(run.peak_rss_mb, 1) if run.peak_rss_mb else None,
            "statements_per_update": (
                round(run.statements / run.updates, 1) if run.statements and run.updates else None
            ),
            "commits_per_update": (
                round(run.commits / run.updates, 1) if run.commits and run.updates else None
            ),
        }
        if run.dashboard_pages is not None:
            figures["dashboard_pages"] = run.dashboard_pages
            figures["photos_stored"] = run.photos_stored
        # Throughput is judged at saturation (closed loop), latency at human pace: a closed loop
        # keeps N updates outstanding, so its mean latency is N / throughput (Little's law).
        met: bool | None
        if run.paced:
            target = "p99 < 150 ms" if run.residents == 50 else ""
            met = p99 < 150 if target else None
        elif limits == "evidence+dashboard":
            target, met = "", None  # the memory row judges this run
        else:
            target = "CPU/update ≤ 3× echo"
            met = cpu_ms is not None and base_cpu is not None and cpu_ms <= 3 * base_cpu
        variant = f"{backend} n={run.residents}" + (" paced" if run.paced else "")
        suffix = {
            "raised": "",
            "webhook": " webhook",
            "evidence+dashboard": " +photos+dashboard",
        }.get(limits, f" limits={limits}")
        judged = limits in ("raised", "webhook") and met is not None
        row = Row(
            "report_flow",
            variant + suffix,
            figures,
            target=target,
            met=(met and run.completed == run.residents) if judged else None,
            note="; ".join(run.errors),
        )
        results.add(row)
