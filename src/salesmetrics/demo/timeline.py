"""The demo's calendar: local days in Kyiv, months, working time, and sampling over them.

Times are handled as float *local days* since the first day (day 3.75 is 18:00 Kyiv time on the
fourth day) and turned into UTC instants only when a table is built. B2B events live on a
*working-time* axis (one unit = one working day, 09:00-18:00 Mon-Fri), so anything spaced on it
lands in office hours and keeps its order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from salesmetrics.demo.spec import MONTHS, TIME_ZONE

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

EPOCH = date(1970, 1, 1)
HORIZON_DAYS = 500  # days past the cut: censored events still need a place on the calendar
WORK_START_H = 9.0
WORK_HOURS = 9.0
# When shop customers order, by Kyiv hour: a small morning bump and the evening peak.
SHOP_HOURS = np.array(
    [
        0.5,
        0.3,
        0.2,
        0.1,
        0.1,
        0.2,
        0.5,
        1.0,
        1.8,
        2.5,
        3.0,
        3.2,
        3.4,
        3.3,
        3.2,
        3.2,
        3.4,
        3.8,
        4.5,
        5.5,
        6.2,
        6.0,
        4.5,
        2.5,
    ]
)


def _month_start(d: date, back: int) -> date:
    months = d.year * 12 + d.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Timeline:
    """Days from the first of the month 23 months before as_of up to the day before as_of."""

    as_of: date
    start: date
    days: int  # the data days are 0 .. days-1; day `days` is as_of, the first day without data
    midnight_s: I64  # UTC epoch seconds of each local midnight (days + HORIZON_DAYS + 1)
    weekday: NDArray[np.int8]
    cal_month: NDArray[np.int8]  # 1..12 for each day
    month_starts: I64  # first day of each of the MONTHS months, then `days`
    work_days: I64  # local day indices of Mon-Fri over the whole horizon
    work_cut: int  # working days before the cut: working time w < work_cut <=> before as_of

    @classmethod
    def ending(cls, as_of: date) -> Timeline:
        """The 24 months ending at as_of (the last one partial)."""
        start = _month_start(as_of, MONTHS - 1)
        days = (as_of - start).days
        zone = ZoneInfo(TIME_ZONE)
        span = [start + timedelta(days=i) for i in range(days + HORIZON_DAYS + 1)]
        midnight = np.array(
            [datetime(d.year, d.month, d.day, tzinfo=zone).timestamp() for d in span], np.int64
        )
        weekday = np.array([d.weekday() for d in span[:-1]], np.int8)
        starts = [(_month_start(as_of, MONTHS - 1 - k) - start).days for k in range(MONTHS)]
        work = np.flatnonzero(weekday < 5).astype(np.int64)
        return cls(
            as_of=as_of,
            start=start,
            days=days,
            midnight_s=midnight,
            weekday=weekday,
            cal_month=np.array([d.month for d in span[:-1]], np.int8),
            month_starts=np.array([*starts, days], np.int64),
            work_days=work,
            work_cut=int(np.searchsorted(work, days)),
        )

    @property
    def epoch_day(self) -> int:
        """Days from 1970-01-01 to the first day (for date32 columns)."""
        return (self.start - EPOCH).days

    def month_date(self, m: int) -> date:
        """The first calendar day of month m (0-based)."""
        return _month_start(self.as_of, MONTHS - 1 - m)

    def month_of(self, t: F64) -> I64:
        """Month index (0..23) of local times."""
        return np.searchsorted(self.month_starts, np.floor(t), side="right").astype(np.int64) - 1

    def utc_us(self, t: F64) -> I64:
        """Local-day floats to UTC epoch microseconds, to the second."""
        d = np.floor(t).astype(np.int64)
        secs = np.floor((t - d) * 86_400.0).astype(np.int64)
        return (self.midnight_s[d] + np.minimum(secs, 86_399)) * 1_000_000

    def work_to_local(self, w: F64) -> F64:
        """Working time to local time: inside 09:00-18:00 of a working day."""
        i = np.floor(w).astype(np.int64)
        i = np.clip(i, 0, len(self.work_days) - 1)
        frac = np.clip(w - i, 0.0, 1.0 - 1e-9)
        out: F64 = self.work_days[i] + (WORK_START_H + WORK_HOURS * frac) / 24.0
        return out

    def local_to_work(self, t: F64) -> F64:
        """Local time to working time; off-hours moves to the next working moment."""
        d = np.floor(t).astype(np.int64)
        hour = (t - d) * 24.0
        i = np.searchsorted(self.work_days, d)
        i_safe = np.minimum(i, len(self.work_days) - 1)
        working = self.work_days[i_safe] == d
        inside = np.clip((hour - WORK_START_H) / WORK_HOURS, 0.0, 1.0)
        out: F64 = np.where(working, i + inside, i).astype(np.float64)
        return out

    def day_weights(self, growth: float, season: F64, weekday: F64) -> F64:
        """A positive weight per data day: linear growth x month season x weekday pattern."""
        day = np.arange(self.days, dtype=np.float64)
        trend = 1.0 + growth * day / max(self.days, 1)
        out: F64 = (
            trend * season[self.cal_month[: self.days] - 1] * weekday[self.weekday[: self.days]]
        )
        return out


def sample_days(weights: F64, lo: F64, hi: F64, gen: np.random.Generator) -> F64:
    """A time in [lo, hi) for each row, with density proportional to the day's weight."""
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    n = len(weights)

    def at(t: F64) -> F64:
        d = np.clip(np.floor(t).astype(np.int64), 0, n - 1)
        out: F64 = cum[d] + weights[d] * (np.clip(t, 0.0, float(n)) - d)
        return out

    c_lo, c_hi = at(lo), at(hi)
    u = c_lo + gen.random(len(lo)) * (c_hi - c_lo)
    d = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, n - 1)
    t: F64 = d + (u - cum[d]) / weights[d]
    return np.clip(t, lo, np.nextafter(hi, lo))


def clock(day: F64, profile: F64, gen: np.random.Generator) -> F64:
    """Put each day's event at an hour drawn from a 24-value profile, uniform within the hour."""
    p = profile / profile.sum()
    hour = gen.choice(24, size=len(day), p=p)
    out: F64 = np.floor(day) + (hour + gen.random(len(day))) / 24.0
    return out


def office_clock(day: F64, gen: np.random.Generator) -> F64:
    """Working hours on the given days (weekends keep their day: rare, and kept as is)."""
    out: F64 = np.floor(day) + (WORK_START_H + WORK_HOURS * gen.random(len(day))) / 24.0
    return out
