"""The bench runs at a tiny size and produces its table and JSON (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import profile_summary
from bench import run as bench_run
from bench.common import Results, new_key, percentile
from bench.delivery import run_delivery
from bench.residents import asks, buttons, category_ticked, confirmed

pytestmark = pytest.mark.slow


def test_the_bench_command_writes_its_table_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    # The quick baseline: a real echo bot process against the fake Bot API.
    code = bench_run.main(["--quick", "--only", "baseline", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "benchmark" in printed and "baseline" in printed
    document = json.loads(out.read_text())
    assert {"taken_at", "mode", "machine", "rows", "skipped", "failed"} <= document.keys()
    assert document["mode"] == "quick" and document["machine"]["nproc"]
    (row,) = document["rows"]
    assert row["bench"] == "baseline"
    assert {"updates", "seconds", "updates_per_s"} <= row["figures"].keys()


def test_delivery_through_the_limited_fake_at_a_tiny_size() -> None:
    results = Results()
    row = run_delivery(results, messages=6, chats=3, key=new_key())
    assert row.figures["delivered"] == 6
    assert {"rate_per_s", "fraction_of_30", "http_429"} <= row.figures.keys()
    assert "delivery" in bench_run.table(results.rows)


def test_the_helpers() -> None:
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0 and percentile([], 0.99) == 0.0
    assert bench_run.selected(["memory,outbox"]) == ["report_flow", "delivery"]
    assert bench_run._flow_sizes("10,50,paced:50,webhook:20") == ([10, 50], 50, 20, 0)
    assert bench_run._flow_sizes("webhook:5,loaded:3") == ([], 0, 5, 3)
    frames = [
        {"name": "dispatch", "file": "/work/bot/runtime/dispatch.py"},
        {"name": "execute", "file": "/venv/site-packages/sqlalchemy/orm/session.py"},
    ]
    document = {
        "shared": {"frames": frames},
        "profiles": [{"samples": [[0, 1], [0], []], "weights": [2.0, 1.0, 1.0]}],
    }
    assert profile_summary.by_library(document) == {"sqlalchemy": 2.0, "bot/": 1.0, "other": 1.0}


def test_the_scripted_resident_reads_the_report_flow_keyboards() -> None:
    prompt = {
        "message_id": 3,
        "text": "Kekerasan apa yang terjadi?",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "✅ Kekerasan fisik", "callback_data": "r:cat:fisik"}],
                [{"text": "Lanjut ➡️", "callback_data": "r:cat:ok"}],
            ]
        },
    }
    assert buttons(prompt) == ["r:cat:fisik", "r:cat:ok"]
    assert asks("cat")([prompt]) and not asks("age")([prompt])
    assert category_ticked([prompt])
    assert confirmed([{"message_id": 4, "text": "Nomor laporan: X\n/status X 1234"}])
