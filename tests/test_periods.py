"""Periods: named ranges, buckets with the fiscal year, like-for-like comparisons."""

from __future__ import annotations

from datetime import date

import pytest

from salesmetrics.domain.errors import QueryError
from salesmetrics.domain.periods import (
    Compare,
    DateRange,
    Grain,
    buckets,
    comparison_range,
    parse_period,
)

TODAY = date(2026, 11, 26)  # a Thursday


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", date(2026, 11, 26), date(2026, 11, 26)),
        ("this_week", date(2026, 11, 23), date(2026, 11, 26)),
        ("last_week", date(2026, 11, 16), date(2026, 11, 22)),
        ("this_month", date(2026, 11, 1), date(2026, 11, 26)),
        ("last_month", date(2026, 10, 1), date(2026, 10, 31)),
        ("this_quarter", date(2026, 10, 1), date(2026, 11, 26)),
        ("last_quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("ytd", date(2026, 1, 1), date(2026, 11, 26)),
        ("last_year", date(2025, 1, 1), date(2025, 12, 31)),
        ("last_30_days", date(2026, 10, 28), date(2026, 11, 26)),
        ("trailing_12_months", date(2025, 11, 1), date(2026, 10, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2024", date(2024, 1, 1), date(2024, 12, 31)),
    ],
)
def test_named_periods(name: str, start: date, end: date) -> None:
    assert parse_period(name, TODAY) == DateRange(start, end)


def test_fiscal_year_moves_quarters_and_years() -> None:
    assert parse_period("ytd", TODAY, fiscal_start_month=4) == DateRange(date(2026, 4, 1), TODAY)
    assert parse_period("last_quarter", TODAY, 4) == DateRange(date(2026, 7, 1), date(2026, 9, 30))
    got = buckets(DateRange(date(2026, 1, 15), date(2026, 7, 10)), Grain.QUARTER, 2)
    assert [(b.start, b.end) for b in got] == [
        (date(2026, 1, 15), date(2026, 1, 31)),  # Nov-Jan quarter, clipped to the range
        (date(2026, 2, 1), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 7, 10)),
    ]


def test_iso_weeks_start_on_monday() -> None:
    got = buckets(DateRange(date(2026, 1, 1), date(2026, 1, 12)), Grain.WEEK)
    assert [b.start for b in got] == [date(2026, 1, 1), date(2026, 1, 5), date(2026, 1, 12)]


@pytest.mark.parametrize(
    ("rng", "compare", "expected"),
    [
        (("2026-10-01", "2026-10-31"), Compare.PREVIOUS, ("2026-09-01", "2026-09-30")),
        (("2026-03-01", "2026-03-31"), Compare.PREVIOUS, ("2026-02-01", "2026-02-28")),
        (("2026-11-01", "2026-11-26"), Compare.PREVIOUS, ("2026-10-01", "2026-10-26")),
        (("2026-03-01", "2026-03-30"), Compare.PREVIOUS, ("2026-02-01", "2026-02-28")),
        (("2026-04-01", "2026-06-30"), Compare.PREVIOUS, ("2026-01-01", "2026-03-31")),
        (("2026-11-10", "2026-11-16"), Compare.PREVIOUS, ("2026-11-03", "2026-11-09")),
        (("2026-02-01", "2026-02-28"), Compare.YEAR_AGO, ("2025-02-01", "2025-02-28")),
        (("2026-10-01", "2026-11-25"), Compare.PREVIOUS, ("2026-07-01", "2026-08-25")),  # QTD
        (("2026-01-01", "2026-11-25"), Compare.PREVIOUS, ("2025-01-01", "2025-11-25")),  # YTD
        (("2026-11-23", "2026-11-26"), Compare.PREVIOUS, ("2026-11-16", "2026-11-19")),  # WTD
        (("2026-05-31", "2026-05-31"), Compare.PREVIOUS, ("2026-05-30", "2026-05-30")),
    ],
)
def test_comparison_is_like_for_like(
    rng: tuple[str, str], compare: Compare, expected: tuple[str, str]
) -> None:
    got = comparison_range(DateRange(*map(date.fromisoformat, rng)), compare)
    assert got == DateRange(*map(date.fromisoformat, expected))


def test_bad_periods_say_what_works() -> None:
    with pytest.raises(QueryError, match="ends before it starts"):
        parse_period("2026-02-01..2026-01-01", TODAY)
    with pytest.raises(QueryError, match="'2026-02-30' is not a date"):
        parse_period("2026-02-30..2026-03-01", TODAY)


@pytest.mark.parametrize(
    ("text", "as_of", "says"),
    [
        ("last_month", date(1, 1, 1), "the as-of date is 0001-01-01"),
        ("9999-12", date(2026, 11, 26), "period '9999-12' is outside"),
        ("1899", date(2026, 11, 26), "the start of period '1899' is 1899-01-01"),
        ("2999-12-01..3000-01-31", date(2026, 11, 26), "the end of period"),
    ],
)
def test_periods_beyond_the_calendar_are_refused_in_words(
    text: str, as_of: date, says: str
) -> None:
    with pytest.raises(QueryError, match=says):
        parse_period(text, as_of)
