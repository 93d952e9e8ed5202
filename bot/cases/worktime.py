"""Working hours and days in the deployment's zone, for the deadlines of ordinary cases.

Working days come from lokal-id (`is_working_day`, `add_working_days`): weekends, libur
nasional and, by default, cuti bersama are days off. lokal-id only knows years for which the
SKB 3 Menteri has been published; for a year it does not know yet we count weekends only and
log that once, because a deadline a day early is better than no deadline at all.

Emergencies (darurat) do not use this module: their deadlines are wall-clock minutes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import lokal

from bot.core.clock import as_utc
from bot.core.settings import Settings, SettingsError

log = logging.getLogger(__name__)

_warned_years: set[int] = set()


def parse_clock_time(value: str, name: str) -> time:
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise SettingsError(f"PATBM_{name.upper()} must look like 08:00, not {value!r}") from exc


def _parse_weekend(value: str) -> tuple[int, ...]:
    try:
        days = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
    except ValueError as exc:
        raise SettingsError(
            f"PATBM_WORK_WEEKEND lists days off as numbers 0 (Sunday) to 6 (Saturday), not {value!r}"
        ) from exc
    if any(d < 0 or d > 6 for d in days) or len(days) == 7:
        raise SettingsError("PATBM_WORK_WEEKEND must leave at least one working day (0..6)")
    return days


@lru_cache(maxsize=4096)
def _is_working_day(day: date, cuti_bersama_off: bool, weekend: tuple[int, ...]) -> bool:
    # Cached: a sweep plans thousands of deadlines over the same few weeks of days.
    try:
        return bool(lokal.is_working_day(day, cuti_bersama=cuti_bersama_off, weekend=weekend))
    except ValueError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "no official holiday list for %s in lokal-id: counting weekends only", day.year
            )
        return (day.weekday() + 1) % 7 not in weekend


@lru_cache(maxsize=4096)
def _after_working_days(
    day: date, days: int, cuti_bersama_off: bool, weekend: tuple[int, ...]
) -> date:
    for _ in range(days):
        day += timedelta(days=1)
        while not _is_working_day(day, cuti_bersama_off, weekend):
            day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class WorkCalendar:
    zone: ZoneInfo
    start: time = time(8, 0)
    end: time = time(16, 0)
    # 0 = Sunday … 6 = Saturday, as lokal-id counts.
    weekend: tuple[int, ...] = (0, 6)
    cuti_bersama_off: bool = True

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise SettingsError("PATBM_WORK_END must be later than PATBM_WORK_START")

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkCalendar:
        return cls(
            zone=settings.zone,
            start=parse_clock_time(settings.work_start, "work_start"),
            end=parse_clock_time(settings.work_end, "work_end"),
            weekend=_parse_weekend(settings.work_weekend),
            cuti_bersama_off=settings.work_cuti_bersama_off,
        )

    def is_working_day(self, day: date) -> bool:
        return _is_working_day(day, self.cuti_bersama_off, self.weekend)

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.zone)

    def working_moment(self, instant: datetime) -> datetime:
        """`instant` if it falls in working time, else the start of the next working period."""
        local = as_utc(instant).astimezone(self.zone)
        day = local.date()
        if self.is_working_day(day):
            if local.time() < self.start:
                return self._at(day, self.start)
            if local.time() < self.end:
                return local
        return self._at(self.next_working_day(day), self.start)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` of working time after `start` (in UTC)."""
        current = self.working_moment(start)
        remaining = timedelta(hours=hours)
        while True:
            day_end = self._at(current.date(), self.end)
            available = day_end - current
            if remaining <= available:
                return as_utc(current + remaining)
            remaining -= available
            current = self._at(self.next_working_day(current.date()), self.start)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same time of day, `days` working days after `start` (counted from working time)."""
        current = self.working_moment(start)
        day = _after_working_days(current.date(), days, self.cuti_bersama_off, self.weekend)
        return as_utc(self._at(day, current.timetz().replace(tzinfo=None)))


@dataclass(frozen=True)
class MemoCalendar(WorkCalendar):
    """A WorkCalendar that remembers its answers, for one sweep.

    A sweep batch plans many deadlines from the same instants (every case reassigned or
    reminded now gets its next deadline from `now`); zone conversions dominate the planning.
    """

    _memo: dict[tuple[str, datetime, float], datetime] = field(
        default_factory=dict, compare=False, repr=False
    )

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        key = ("h", start, hours)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = super().add_working_hours(start, hours)
        return found

    def add_working_days(self, start: datetime, days: int) -> datetime:
        key = ("d", start, days)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = super().add_working_days(start, days)
        return found


def add_working_hours(start: datetime, hours: float, zone: ZoneInfo | str) -> datetime:
    """`hours` working hours after `start`, with the default 08:00–16:00, Monday–Friday."""
    return WorkCalendar(zone=ZoneInfo(zone) if isinstance(zone, str) else zone).add_working_hours(
        start, hours
    )


def add_working_days(start: datetime, days: int, zone: ZoneInfo | str) -> datetime:
    """`days` working days after `start`, with the default 08:00–16:00, Monday–Friday."""
    return WorkCalendar(zone=ZoneInfo(zone) if isinstance(zone, str) else zone).add_working_days(
        start, days
    )


def add_wall_clock_minutes(start: datetime, minutes: float) -> datetime:
    """Emergencies do not wait for office hours."""
    return as_utc(start) + timedelta(minutes=minutes)
