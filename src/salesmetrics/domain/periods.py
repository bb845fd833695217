"""Periods and grains: local date ranges, named ranges, buckets (the time spine), comparisons."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, timedelta

from salesmetrics.domain.errors import QueryError


class Grain(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Compare(enum.StrEnum):
    PREVIOUS = "previous"
    YEAR_AGO = "year_ago"


@dataclass(frozen=True, slots=True)
class DateRange:
    """Local business dates from `start` to `end`, both inclusive."""

    start: date
    end: date

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def add_months(d: date, months: int) -> date:
    """The same day `months` later, clipped to the end of a shorter month."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, _month_days(year, month + 1)))


def _month_days(year: int, month: int) -> int:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def bucket_start(d: date, grain: Grain, fiscal_start_month: int = 1) -> date:
    """The first day of the bucket holding `d`; quarters and years follow the fiscal year."""
    if grain is Grain.DAY:
        return d
    if grain is Grain.WEEK:
        return d - timedelta(days=d.weekday())
    if grain is Grain.MONTH:
        return d.replace(day=1)
    months = 3 if grain is Grain.QUARTER else 12
    offset = (d.month - fiscal_start_month) % months
    return add_months(d.replace(day=1), -offset)


def next_bucket(start: date, grain: Grain) -> date:
    if grain is Grain.DAY:
        return start + timedelta(days=1)
    if grain is Grain.WEEK:
        return start + timedelta(days=7)
    return add_months(start, {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.YEAR: 12}[grain])


def buckets(rng: DateRange, grain: Grain | None, fiscal_start_month: int = 1) -> list[DateRange]:
    """Every bucket meeting the range (the time spine), each clipped to the range."""
    if grain is None:
        return [rng]
    out: list[DateRange] = []
    start = bucket_start(rng.start, grain, fiscal_start_month)
    while start <= rng.end:
        nxt = next_bucket(start, grain)
        out.append(DateRange(max(start, rng.start), min(nxt - timedelta(days=1), rng.end)))
        start = nxt
    return out


NAMED_PERIODS: dict[str, str] = {
    "today": "the current day",
    "yesterday": "the day before",
    "this_week": "this ISO week to date",
    "last_week": "the previous ISO week",
    "this_month": "this month to date",
    "last_month": "the previous calendar month",
    "this_quarter": "this fiscal quarter to date",
    "last_quarter": "the previous fiscal quarter",
    "ytd": "this fiscal year to date",
    "this_year": "this fiscal year to date",
    "last_year": "the previous fiscal year",
    "last_7_days": "the 7 days ending today",
    "last_30_days": "the 30 days ending today",
    "last_90_days": "the 90 days ending today",
    "trailing_12_months": "the 12 whole months before this one",
}

_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def supported(d: date, what: str = "date") -> date:
    """`d` if the calendar arithmetic of periods and comparisons can work with it."""
    if not FIRST_DAY <= d <= LAST_DAY:
        raise QueryError(f"{what} is {d.isoformat()}, outside the supported years 1900-2999")
    return d


def parse_period(text: str, as_of: date, fiscal_start_month: int = 1) -> DateRange:
    """A named period, `YYYY-MM-DD..YYYY-MM-DD`, `YYYY-MM` or `YYYY`, seen from `as_of`."""
    try:
        rng = _parse_period(text.strip(), supported(as_of, "the as-of date"), fiscal_start_month)
    except (OverflowError, ValueError) as exc:  # a month or year next to the calendar's edge
        raise QueryError(f"period '{text}' is outside the supported years 1900-2999") from exc
    supported(rng.start, f"the start of period '{text}'")
    supported(rng.end, f"the end of period '{text}'")
    return rng


def _parse_period(text: str, as_of: date, fiscal_start_month: int) -> DateRange:
    if text in NAMED_PERIODS:
        return _named(text, as_of, fiscal_start_month)
    if m := _RANGE.match(text):
        start, end = _iso(m.group(1)), _iso(m.group(2))
        if end < start:
            raise QueryError(f"period '{text}' ends before it starts")
        return DateRange(start, end)
    if m := _MONTH.match(text):
        start = _iso(f"{text}-01")
        return DateRange(start, next_bucket(start, Grain.MONTH) - timedelta(days=1))
    if _YEAR.match(text):
        start = date(int(text), 1, 1)
        return DateRange(start, date(int(text), 12, 31))
    raise QueryError(
        f"'{text}' is not a period: use YYYY-MM-DD..YYYY-MM-DD, YYYY-MM, YYYY or one of "
        + ", ".join(NAMED_PERIODS)
    )


def _iso(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise QueryError(f"'{text}' is not a date (YYYY-MM-DD)") from exc


def _whole(start: date, grain: Grain) -> DateRange:
    return DateRange(start, next_bucket(start, grain) - timedelta(days=1))


def _named(name: str, today: date, fy: int) -> DateRange:
    def to_date(grain: Grain) -> DateRange:
        return DateRange(bucket_start(today, grain, fy), today)

    def previous(grain: Grain) -> DateRange:
        this = bucket_start(today, grain, fy)
        return _whole(bucket_start(this - timedelta(days=1), grain, fy), grain)

    def trailing(days: int) -> DateRange:
        return DateRange(today - timedelta(days=days - 1), today)

    table = {
        "today": lambda: DateRange(today, today),
        "yesterday": lambda: DateRange(today - timedelta(days=1), today - timedelta(days=1)),
        "this_week": lambda: to_date(Grain.WEEK),
        "last_week": lambda: previous(Grain.WEEK),
        "this_month": lambda: to_date(Grain.MONTH),
        "last_month": lambda: previous(Grain.MONTH),
        "this_quarter": lambda: to_date(Grain.QUARTER),
        "last_quarter": lambda: previous(Grain.QUARTER),
        "ytd": lambda: to_date(Grain.YEAR),
        "this_year": lambda: to_date(Grain.YEAR),
        "last_year": lambda: previous(Grain.YEAR),
        "last_7_days": lambda: trailing(7),
        "last_30_days": lambda: trailing(30),
        "last_90_days": lambda: trailing(90),
        "trailing_12_months": lambda: DateRange(
            add_months(today.replace(day=1), -12), today.replace(day=1) - timedelta(days=1)
        ),
    }
    return table[name]()


def comparison_range(rng: DateRange, compare: Compare, fiscal_start_month: int = 1) -> DateRange:
    """The range to compare with, like for like: whole months meet the months before, a
    year, quarter, month or week to date meets the same stretch of the one before, and any
    other range the same number of days just before it."""
    if compare is Compare.YEAR_AGO:
        return DateRange(add_months(rng.start, -12), add_months(rng.end, -12))
    months = _whole_months(rng)
    if months:
        return DateRange(add_months(rng.start, -months), rng.start - timedelta(days=1))
    day = timedelta(days=1)
    for grain, span in ((Grain.YEAR, 12), (Grain.QUARTER, 3), (Grain.MONTH, 1)):
        start = bucket_start(rng.start, grain, fiscal_start_month)
        if start == rng.start and rng.end < next_bucket(start, grain):
            return DateRange(add_months(start, -span),
                             min(add_months(rng.end, -span), start - day))  # fmt: skip
    if rng.start.weekday() == 0 and rng.days <= 7:
        return DateRange(rng.start - 7 * day, rng.end - 7 * day)
    return DateRange(rng.start - rng.days * day, rng.start - day)


def _whole_months(rng: DateRange) -> int:
    """How many calendar months the range covers exactly, or 0."""
    if rng.start.day != 1 or rng.end_exclusive.day != 1:
        return 0
    end = rng.end_exclusive
    return (end.year - rng.start.year) * 12 + end.month - rng.start.month


def parse_grain(text: str | None) -> Grain | None:
    if text is None or text in ("", "none", "total"):
        return None
    try:
        return Grain(text)
    except ValueError:
        raise QueryError(
            f"unknown grain '{text}': use one of {', '.join(g.value for g in Grain)} or none"
        ) from None


def parse_compare(text: str | None) -> Compare | None:
    if text is None or text in ("", "none"):
        return None
    aliases = {"prev": "previous", "previous_period": "previous", "yoy": "year_ago"}
    try:
        return Compare(aliases.get(text, text))
    except ValueError:
        raise QueryError(
            f"unknown comparison '{text}': use previous (the period before) or year_ago"
        ) from None
