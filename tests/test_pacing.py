"""Known answers for pacing a target and for the working-day calendar, worked out by hand."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from salesmetrics.analytics.pacing import (
    Z80,
    MonthShare,
    Window,
    even_shares,
    expected_share,
    pace_level,
    pace_sum,
    weighted_shares,
)
from salesmetrics.domain.workdays import WorkCalendar, orthodox_easter, parse_week, ua_holidays

WEEKENDS = WorkCalendar()  # Monday to Friday, no holidays
EVERY_DAY = WorkCalendar(working=frozenset(range(7)))
UA = WorkCalendar("ua")


def test_orthodox_easter_on_known_years() -> None:
    # Orthodox Easter: 2023-04-16, 2024-05-05, 2025-04-20, 2026-04-12, 2027-05-02
    known = {2023: date(2023, 4, 16), 2024: date(2024, 5, 5), 2025: date(2025, 4, 20),
             2026: date(2026, 4, 12), 2027: date(2027, 5, 2)}  # fmt: skip
    assert {y: orthodox_easter(y) for y in known} == known
    assert date(2026, 5, 31) in ua_holidays(2026)  # Trinity: Easter + 49 days


def test_ukrainian_days_off_move_from_weekends_to_the_next_working_day() -> None:
    off = UA.days_off(2026)
    assert date(2026, 4, 13) in off  # Easter Monday (Easter on Sunday the 12th)
    assert date(2026, 6, 1) in off  # Trinity Monday
    assert date(2026, 3, 9) in off  # 8 March 2026 is a Sunday
    assert date(2026, 6, 29) in off  # 28 June 2026 is a Sunday
    assert date(2026, 8, 24) in off and date(2026, 12, 25) in off  # a Monday, a Friday
    assert date(2026, 3, 8) not in off  # the Sunday itself is not a working day anyway
    # December 2026: 23 weekdays, less Christmas on Friday the 25th
    assert UA.working_days(date(2026, 12, 1), date(2026, 12, 31)) == 22
    assert WEEKENDS.working_days(date(2026, 12, 1), date(2026, 12, 31)) == 23
    # May 2027: 1 May is a Saturday (moved to Mon 3), Easter is 2 May (moved to Tue 4), 8 May
    # a Saturday (moved to Mon 10): 21 weekdays, 3 off
    assert UA.working_days(date(2027, 5, 1), date(2027, 5, 31)) == 18
    assert UA.working_days(date(2026, 12, 5), date(2026, 12, 1)) == 0


def test_leap_february_and_weekdays_parse() -> None:
    assert WEEKENDS.working_days(date(2028, 2, 1), date(2028, 2, 29)) == 21
    assert EVERY_DAY.working_days(date(2028, 2, 1), date(2028, 2, 29)) == 29
    assert parse_week("mon-fri") == frozenset(range(5))
    assert parse_week("mon-wed,fri,sat") == frozenset({0, 1, 2, 4, 5})
    for bad in ("fri-mon", "funday", ""):
        with pytest.raises(ValueError):
            parse_week(bad)


def test_expected_to_date_follows_working_days_and_the_split() -> None:
    month = [MonthShare(date(2026, 12, 1), 1.0)]
    # 12 December 2026 is a Saturday: Mon 1 .. Fri 11 are 9 working days of 23
    window = Window(date(2026, 12, 1), date(2026, 12, 31), date(2026, 12, 12), WEEKENDS)
    assert expected_share(window, month) == pytest.approx(9 / 23)
    before = Window(date(2026, 12, 1), date(2026, 12, 31), date(2026, 11, 30), WEEKENDS)
    after = Window(date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 4), WEEKENDS)
    assert expected_share(before, month) == 0.0 and expected_share(after, month) == 1.0
    # a quarter split 1:2:1 and 15 February (Sunday): January whole, February 10 of 20 days
    q = weighted_shares([date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)], [1, 2, 1])
    window = Window(date(2026, 1, 1), date(2026, 3, 31), date(2026, 2, 15), WEEKENDS)
    assert expected_share(window, q) == pytest.approx(0.25 + 0.5 * 10 / 20)
    assert even_shares([date(2026, 1, 1), date(2026, 2, 1)])[1].share == 0.5


def test_a_month_of_known_sales_paced_by_hand() -> None:
    """A 30-day month, every day a working day, target 3,000; on day 10 the sales were
    100, 50, 150, 100, 50, 150, 100, 50, 150, 100 (1,000 in all)."""
    sales = [100, 50, 150, 100, 50, 150, 100, 50, 150, 100]
    daily = {date(2026, 6, 1) + timedelta(days=i): float(v) for i, v in enumerate(sales)}
    window = Window(date(2026, 6, 1), date(2026, 6, 30), date(2026, 6, 10), EVERY_DAY)
    pace = pace_sum(3000.0, 1000.0, window, [MonthShare(date(2026, 6, 1), 1.0)], daily)
    assert pace.expected_to_date == pytest.approx(1000.0)  # 10 of 30 days
    assert pace.attainment == pytest.approx(1 / 3) and pace.ahead_by == pytest.approx(0.0)
    assert (pace.elapsed_days, pace.remaining_days, pace.working_days) == (10, 20, 30)
    assert pace.run_rate == pytest.approx(100.0)
    assert pace.required_run_rate == pytest.approx(2000 / 20)
    assert pace.projected == pytest.approx(3000.0)
    # s: deviations -0, -50, +50 ... ; sum of squares = 6 * 2500 = 15,000 over 9 -> s^2 = 1666.7
    s = math.sqrt(15000 / 9)
    sd = s * math.sqrt(20 + 20**2 / 10)
    assert pace.projected_low == pytest.approx(3000 - Z80 * sd)
    assert pace.projected_high == pytest.approx(3000 + Z80 * sd)
    assert pace.coverage is None  # no pipeline given


def test_behind_with_pipeline_blend_and_coverage() -> None:
    daily = {date(2026, 6, d): 50.0 for d in range(1, 11)}
    window = Window(date(2026, 6, 1), date(2026, 6, 30), date(2026, 6, 10), EVERY_DAY)
    pace = pace_sum(3000.0, 500.0, window, [MonthShare(date(2026, 6, 1), 1.0)], daily,
                    pipeline=1500.0, open_pipeline=5000.0)  # fmt: skip
    assert not pace.ahead and pace.ahead_by == pytest.approx(-500.0)
    assert pace.required_run_rate == pytest.approx(2500 / 20)
    assert pace.projected == pytest.approx(500 + (50 * 20 + 1500) / 2)  # 1,750
    assert pace.coverage == pytest.approx(5000 / 2500)
    assert pace.projected_low == pace.projected_high == pytest.approx(1750.0)  # no spread


def test_period_edges_not_started_and_over() -> None:
    month = [MonthShare(date(2026, 6, 1), 1.0)]
    early = pace_sum(300.0, 0.0, Window(date(2026, 6, 1), date(2026, 6, 30), date(2026, 5, 20),
                                        EVERY_DAY), month, {})  # fmt: skip
    assert early.expected_to_date == 0 and early.run_rate is None and early.projected is None
    assert early.required_run_rate == pytest.approx(10.0) and early.remaining_days == 30
    done = pace_sum(300.0, 320.0, Window(date(2026, 6, 1), date(2026, 6, 30), date(2026, 7, 3),
                                         EVERY_DAY), month, {})  # fmt: skip
    assert done.remaining_days == 0 and done.required_run_rate is None
    assert done.projected == done.projected_low == done.projected_high == 320.0
    assert done.attainment == pytest.approx(320 / 300) and done.ahead


def test_level_targets_compare_in_the_metric_s_direction() -> None:
    window = Window(date(2026, 6, 1), date(2026, 6, 30), date(2026, 6, 10), EVERY_DAY)
    rate = pace_level(0.25, 0.20, window)
    assert rate.attainment == pytest.approx(0.8) and not rate.ahead
    assert rate.expected_to_date == 0.25 and rate.projected == 0.20
    cycle = pace_level(30.0, 24.0, window, lower_is_better=True)  # days: lower is better
    assert cycle.attainment == pytest.approx(1.25) and cycle.ahead
    assert pace_level(0.25, None, window).attainment is None
