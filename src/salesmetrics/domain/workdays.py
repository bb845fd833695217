"""Working days: which days of a period count when a target is paced ("3,200 ₴ per remaining
working day"). A calendar is the working weekdays plus the days off that fall on them.

The Ukrainian calendar (`ua`) holds the public holidays of the Labour Code of Ukraine, art. 73,
as amended in 2023 (Law No. 3225-IX: Christmas on 25 December only, Statehood Day on 15 July,
Defenders' Day on 1 October; the Day of Remembrance and Victory on 8 May): 1 January, 8 March,
Orthodox Easter and Trinity (Sundays), 1 May, 8 May, 28 June, 15 July, 24 August, 1 October,
25 December. By art. 67, a holiday that falls on a day off moves the day off to the next working
day (so Easter and Trinity give their Mondays). Under martial law (in force since 24 February
2022, Law No. 2136-IX art. 6) holidays are working days; the `weekends` calendar follows that.
Easter is computed with the Julian computus (Meeus) and moved to the Gregorian calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

CALENDARS = ("ua", "weekends")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UA_FIXED = ((1, 1), (3, 8), (5, 1), (5, 8), (6, 28), (7, 15), (8, 24), (10, 1), (12, 25))


def orthodox_easter(year: int) -> date:
    """Orthodox Easter Sunday as a Gregorian date (Meeus's Julian algorithm; 1900 to 2099 the
    calendars are 13 days apart)."""
    if not 1900 <= year <= 2099:
        raise ValueError(f"Orthodox Easter is computed for 1900 to 2099, not {year}")
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    return date(year, month, day + 1) + timedelta(days=13)


@cache
def ua_holidays(year: int) -> frozenset[date]:
    """Ukraine's public holidays of a year (the feast days themselves, Sundays included)."""
    easter = orthodox_easter(year)
    fixed = {date(year, m, d) for m, d in _UA_FIXED}
    return frozenset(fixed | {easter, easter + timedelta(days=49)})


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working weekdays (0 = Monday) and the rule for days off on them."""

    name: str = "weekends"
    working: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))
    extra_off: frozenset[date] = frozenset()  # the workspace's own days off

    def __post_init__(self) -> None:
        if self.name not in CALENDARS:
            raise ValueError(f"work calendar '{self.name}' is not one of {', '.join(CALENDARS)}")
        if not self.working:
            raise ValueError("a work calendar needs at least one working weekday")

    def days_off(self, year: int) -> frozenset[date]:
        """Working weekdays that are off this year: holidays, and days off moved from holidays
        on a rest day (to the next working day), and the workspace's own."""
        if self.name != "ua":
            return frozenset(d for d in self.extra_off if d.year == year)
        out: set[date] = set()
        for holiday in sorted(ua_holidays(year)):
            day = holiday
            while day.weekday() not in self.working or day in out:
                day += timedelta(days=1)
            out.add(day)
        return frozenset(out | {d for d in self.extra_off if d.year == year})

    def is_working(self, day: date) -> bool:
        return day.weekday() in self.working and day not in self.days_off(day.year)

    def working_days(self, start: date, end: date) -> int:
        """Working days from start to end, both included (0 when end is before start)."""
        return sum(1 for _ in self.each_working_day(start, end))

    def each_working_day(self, start: date, end: date) -> Iterable[date]:
        day = start
        while day <= end:
            if self.is_working(day):
                yield day
            day += timedelta(days=1)


def parse_week(text: str) -> frozenset[int]:
    """'mon-fri' or 'mon,tue,wed,thu,fri,sat' -> weekday numbers (0 = Monday)."""
    out: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"'{part}' is not a weekday or range: use e.g. mon-fri or mon,wed,fri")
        lo, hi = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if hi < lo:
            raise ValueError(f"'{part}' runs backwards: write the earlier day first")
        out |= set(range(lo, hi + 1))
    if not out:
        raise ValueError("name at least one working weekday, e.g. mon-fri")
    return frozenset(out)
