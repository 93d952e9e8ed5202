"""Statistics: counts per category, kecamatan and status; medians; share escalated; the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.app import App
from bot.reporting.facts import Period, PeriodError, month_period
from bot.reporting.stats import Stats, gather_stats
from bot.reporting.stats_text import render
from bot.runtime.cli import main
from tests.conftest import START, TEST_KEY
from tests.support.reporting_seed import PERSONAL, cli_environment, seed, seed_sync


async def _stats(app: App, period: Period, describe: str, kecamatan: str | None = None) -> Stats:
    async with app.db.transaction() as session:
        return await gather_stats(
            session, period, now=app.clock.now(), describe=describe, kecamatan_code=kecamatan
        )


def _nonzero(items: list[tuple[str, int]]) -> dict[str, int]:
    return {label: n for label, n in items if n}


async def test_month_statistics(app: App) -> None:
    async with app.db.transaction() as session:
        await seed(session, app.clock.now())
    zone = app.settings.zone
    period = month_period("2026-11", zone)
    stats = await _stats(app, period, period.describe(zone))
    assert stats.period == "2026-11-01 s.d. 2026-11-30"
    assert stats.total == 2
    assert dict(stats.by_category) == {
        "Kekerasan fisik": 1,
        "Kekerasan psikis": 1,
        "Kekerasan seksual": 1,
    }
    assert _nonzero(stats.by_kecamatan) == {"Telanaipura": 1, "Jambi Selatan": 1}
    assert dict(stats.by_kelurahan) == {"Simpang IV Sipin": 1, "Pasir Putih": 1}
    assert _nonzero(stats.by_age_group) == {"6–12 tahun": 2}
    assert _nonzero(stats.by_sex) == {"Perempuan": 2}
    # The escalated one missed a deadline; the other met every one.
    assert (stats.deadlines_met, stats.share_deadlines_met) == (1, 0.5)
    by_status = dict(stats.by_status)
    assert (by_status["Ditutup"], by_status["Diterima"], by_status["Baru"]) == (1, 1, 0)
    assert dict(stats.by_priority) == {"Biasa": 1, "DARURAT": 1}
    assert stats.median_hours_to_accept == pytest.approx(1.25)  # 2 h and 30 min
    assert stats.median_days_to_resolve == pytest.approx(3.0)
    assert (stats.accepted, stats.resolved, stats.escalated) == (2, 1, 1)
    assert stats.share_escalated == pytest.approx(0.5)

    table = render(stats)
    assert "1.2 jam" in table and "3.0 hari" in table
    assert "50%" in table
    for marker in PERSONAL:
        assert marker not in table


async def test_all_time_lists_every_kecamatan_and_empty_period(app: App) -> None:
    async with app.db.transaction() as session:
        await seed(session, app.clock.now())
    stats = await _stats(app, Period(), "semua kasus")
    assert stats.total == 6
    by_kecamatan = dict(stats.by_kecamatan)
    assert (by_kecamatan["Telanaipura"], by_kecamatan["Jambi Selatan"]) == (5, 1)
    assert by_kecamatan["Jambi Timur"] == 0  # every kecamatan, zeros too
    assert dict(stats.by_status)["Dibatalkan"] == 1
    assert stats.median_days_to_resolve is not None

    empty = await _stats(app, month_period("2020-01", app.settings.zone), "x")
    assert (empty.total, empty.median_hours_to_accept, empty.share_escalated) == (0, None, None)
    assert "Jumlah kasus: 0" in render(empty)


async def test_one_kecamatan_only(app: App) -> None:
    async with app.db.transaction() as session:
        await seed(session, app.clock.now())
    stats = await _stats(app, Period(), "semua kasus", kecamatan="15.71.02")
    assert (stats.total, stats.scope, stats.by_kecamatan) == (
        1,
        "Jambi Selatan",
        [("Jambi Selatan", 1)],
    )
    assert "Jambi Selatan" in render(stats) and "Telanaipura" not in render(stats)


def test_month_must_be_a_month() -> None:
    from zoneinfo import ZoneInfo

    with pytest.raises(PeriodError):
        month_period("2026-13", ZoneInfo("Asia/Jakarta"))
    december = month_period("2026-12", ZoneInfo("Asia/Jakarta"))
    assert december.end is not None and december.end.year == 2027


def test_cli_stats_table(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_sync(database_url, START, TEST_KEY)
    with cli_environment(monkeypatch, database_url, tmp_path, key=TEST_KEY):
        assert main(["stats", "--month", "2026-11"]) == 0
        out = capsys.readouterr().out
        assert "Jumlah kasus: 2" in out
        assert "Telanaipura" in out and "Kota Baru" in out  # every kecamatan, zeros too
        assert "Kasus yang dieskalasi" in out
        for marker in PERSONAL:
            assert marker not in out
        assert main(["stats"]) == 0
        assert "Jumlah kasus: 6" in capsys.readouterr().out
        assert main(["stats", "--language", "en"]) == 0
        english = capsys.readouterr().out
        assert "Number of cases: 6" in english and "Physical violence" in english
        assert main(["stats", "--month", "November"]) == 2
