"""Pacing a target: how far along it should be, what it takes to finish, where it will land.

For a target that adds up over days (revenue, deals won, activities):

- the **split curve** says how much of the target belongs to each month (`MonthShare`: a monthly
  target is one month at 1.0; a quarter or year split evenly, by seasonality or by weights), and
  within a month it accrues evenly over the month's working days;
- **expected to date** is the target times the curve's share up to and including the status day;
- the **required run-rate** is the gap left, divided by the working days left after today;
- the **projection** is what is achieved plus the run-rate so far (achieved per elapsed working
  day) times the working days left; where the metric comes from deals, the rest of the period
  is the average of that and the weighted open pipeline due in it;
- its **80 % interval** treats the remaining working days as independent draws with the spread
  seen so far: sd = s * sqrt(R + R^2 / n), with s the standard deviation of the daily totals on
  the n elapsed working days, R the working days left (the second term is the uncertainty of the
  run-rate itself), and +/- 1.2816 sd (the normal's 90th percentile).

A level target (a conversion rate, NPS, an average deal size) does not add up: expected to date
is the target itself, the projection is the level so far, and attainment compares the two in
the metric's direction (for lower-is-better, target / achieved).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from salesmetrics.domain.workdays import WorkCalendar

MAX_WEIGHT = 1e12
Z80 = 1.2815515655446004  # the standard normal's 90th percentile: an 80 % two-sided interval


@dataclass(frozen=True, slots=True)
class MonthShare:
    """The part of a target that falls in one month (first day of the month, share 0..1)."""

    month: date
    share: float


@dataclass(frozen=True, slots=True)
class Window:
    """A target's period, the status day, and the calendar its days are counted in."""

    start: date
    end: date
    as_of: date
    calendar: WorkCalendar

    @property
    def last_elapsed(self) -> date:
        """The last day that counts as done: the status day, or the period's end after it."""
        return min(self.as_of, self.end)

    @property
    def started(self) -> bool:
        return self.as_of >= self.start

    def working_days(self) -> int:
        return self.calendar.working_days(self.start, self.end)

    def elapsed(self) -> int:
        return self.calendar.working_days(self.start, self.last_elapsed) if self.started else 0

    def remaining(self) -> int:
        first = max(self.start, self.as_of + timedelta(days=1))
        return self.calendar.working_days(first, self.end)


@dataclass(frozen=True, slots=True)
class Pace:
    """Where a target stands on the status day (values in the metric's unit)."""

    target: float
    achieved: float
    expected_to_date: float
    expected_share: float
    attainment: float | None
    ahead_by: float
    gap: float
    working_days: int
    elapsed_days: int
    remaining_days: int
    run_rate: float | None
    required_run_rate: float | None
    projected: float | None
    projected_low: float | None
    projected_high: float | None
    projected_attainment: float | None
    pipeline: float | None
    coverage: float | None
    additive: bool

    @property
    def ahead(self) -> bool:
        return self.ahead_by >= 0


def expected_share(window: Window, shares: Sequence[MonthShare]) -> float:
    """The part of the target due by the end of the status day: each month's share, accrued
    over its working days inside the period (calendar days in a month with none)."""
    if not window.started:
        return 0.0
    total = 0.0
    for part in shares:
        first = max(part.month, window.start)
        last = min(_month_end(part.month), window.end)
        if last < first:
            continue
        if window.last_elapsed >= last:
            total += part.share
            continue
        if window.last_elapsed < first:
            continue
        days = window.calendar.working_days(first, last)
        done = window.calendar.working_days(first, window.last_elapsed)
        if days == 0:
            days, done = (last - first).days + 1, (window.last_elapsed - first).days + 1
        total += part.share * done / days
    return min(total, 1.0)


def _month_end(month: date) -> date:
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _spread(window: Window, daily: Mapping[date, float]) -> float | None:
    """The standard deviation of the daily totals on elapsed working days (None under two)."""
    days = list(window.calendar.each_working_day(window.start, window.last_elapsed))
    if len(days) < 2:
        return None
    values = [float(daily.get(d, 0.0)) for d in days]
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def pace_sum(
    target: float, achieved: float, window: Window, shares: Sequence[MonthShare],
    daily: Mapping[date, float], *, pipeline: float | None = None,
    open_pipeline: float | None = None,
) -> Pace:  # fmt: skip
    """A target that adds up over days. `daily` holds the metric's daily totals in the period
    so far; `pipeline` the weighted open pipeline due by the period's end (deal metrics), which
    blends into the projection; `open_pipeline` the open pipeline that covers the gap."""
    share = expected_share(window, shares)
    expected = target * share
    gap = target - achieved
    total, elapsed, remaining = window.working_days(), window.elapsed(), window.remaining()
    run_rate = achieved / elapsed if elapsed else None
    required = max(gap, 0.0) / remaining if remaining else None
    projected = low = high = None
    if run_rate is not None or remaining == 0:
        rest = (run_rate or 0.0) * remaining
        if pipeline is not None and remaining:
            rest = (rest + pipeline) / 2
        projected = achieved + rest
        spread = _spread(window, daily)
        if remaining == 0:
            low = high = projected
        elif spread is not None:
            sd = spread * math.sqrt(remaining + remaining**2 / elapsed)
            low, high = projected - Z80 * sd, projected + Z80 * sd
            if all(v >= 0 for v in daily.values()):
                low = max(low, achieved)  # what is done is done when nothing subtracts
    covered = open_pipeline if open_pipeline is not None else pipeline
    coverage = covered / gap if covered is not None and gap > 0 else None
    return Pace(
        target=target, achieved=achieved, expected_to_date=expected, expected_share=share,
        attainment=achieved / target if target else None, ahead_by=achieved - expected, gap=gap,
        working_days=total, elapsed_days=elapsed, remaining_days=remaining, run_rate=run_rate,
        required_run_rate=required, projected=projected, projected_low=low, projected_high=high,
        projected_attainment=projected / target if projected is not None and target else None,
        pipeline=pipeline, coverage=coverage, additive=True,
    )  # fmt: skip


def pace_level(target: float, achieved: float | None, window: Window, *,
               lower_is_better: bool = False) -> Pace:  # fmt: skip
    """A target on a level (a rate, a score, an average): achieved is the level so far."""
    level = achieved if achieved is not None else math.nan
    if achieved is None or not target or (lower_is_better and not achieved):
        attainment = None
    else:
        attainment = target / achieved if lower_is_better else achieved / target
    ahead_by = (target - level) if lower_is_better else (level - target)
    return Pace(
        target=target, achieved=level, expected_to_date=target, expected_share=1.0,
        attainment=attainment, ahead_by=0.0 if math.isnan(ahead_by) else ahead_by,
        gap=0.0 if math.isnan(ahead_by) else -ahead_by, working_days=window.working_days(),
        elapsed_days=window.elapsed(), remaining_days=window.remaining(), run_rate=None,
        required_run_rate=None, projected=achieved, projected_low=None, projected_high=None,
        projected_attainment=attainment, pipeline=None, coverage=None, additive=False,
    )  # fmt: skip


def even_shares(months: Sequence[date]) -> list[MonthShare]:
    return [MonthShare(m, 1 / len(months)) for m in months]


def weighted_shares(months: Sequence[date], weights: Sequence[float]) -> list[MonthShare]:
    """Shares in proportion to weights (last year's values by month, or the user's own)."""
    if len(weights) != len(months):
        raise ValueError(f"{len(weights)} weights for {len(months)} months: give one per month")
    if any(not 0 <= w <= MAX_WEIGHT for w in weights):
        raise ValueError(f"weights must be from 0 to {MAX_WEIGHT:g}")
    total = sum(weights)
    if total <= 0:
        raise ValueError("the weights add up to nothing: give at least one above zero")
    return [MonthShare(m, w / total) for m, w in zip(months, weights, strict=True)]
