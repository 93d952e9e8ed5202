"""Figures a journey measures, printed in the pytest terminal summary (tests/journeys/conftest.py).

    record("actions, report answering every question (Telegram)", 15)

Figures are reported, never asserted against a clock: they depend on the machine's load.
"""

from __future__ import annotations

FIGURES: dict[str, str] = {}


def record(name: str, value: float | int, unit: str = "") -> None:
    shown = f"{value:.2f}" if isinstance(value, float) else str(value)
    FIGURES[name] = f"{shown} {unit}".strip()
    print(f"journey figure: {name}: {FIGURES[name]}")
