"""Is a KPI's latest value outside its usual range? Seasonally adjusted and robust.

The latest value is scored with the modified z-score 0.6745 (x - median) / MAD against the
points before it (Iglewicz & Hoaglin 1993, "How to detect and handle outliers"); |z| > 3.5,
their recommended limit, is outside the usual range. Median and MAD ignore a few odd months in
the history, where a mean and standard deviation would be pulled by them.

- Seasonal series (volumes: revenue, orders, leads): with at least SEASON + MIN_HISTORY + 1
  points, what is scored is the seasonal difference, the change from the same month a year
  before (Box & Jenkins' seasonal differencing), against the seasonal differences before it.
  A December that is always high is then not unusual; a steady trend is a steady difference.
- Otherwise (rates and averages, whose month-to-month noise is larger than their seasons, or a
  short series): the value against the WINDOW values before it (method "level").

Either way the usual range at every point is the expected value +- Z_LIMIT robust standard
deviations (MAD / 0.6745), which the Insights page draws as the band around a sparkline.
(STL was tried first: with two seasons of monthly data its remainder is far smaller than the
error of the next month, so almost every month looked unusual; tests/test_anomaly.py.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Z_LIMIT = 3.5
SEASON = 12
WINDOW = 12
MIN_HISTORY = 10  # fewer points: the MAD is too unsteady (false alarms above 5 %)
K = 0.6745  # the median absolute deviation of a standard normal


@dataclass(frozen=True, slots=True)
class Unusual:
    """How the last value of a series stands against its usual range."""

    value: float
    expected: float
    z: float
    low: float  # the usual range at the point tested
    high: float
    method: str  # "stl" (seasonally adjusted) or "level"
    history: int  # points it was judged against
    band_low: tuple[float, ...]  # the usual range at every point of the series
    band_high: tuple[float, ...]
    limit: float = Z_LIMIT

    @property
    def outside(self) -> bool:
        return abs(self.z) > self.limit


def robust_z(value: float, history: Sequence[float]) -> float | None:
    """0.6745 (x - median) / MAD over `history`; None when the history does not vary."""
    h = np.asarray(history, dtype=float)
    median = float(np.median(h))
    mad = float(np.median(np.abs(h - median)))
    return None if mad == 0 else K * (value - median) / mad


def _filled(values: Sequence[float | None]) -> NDArray[np.float64] | None:
    """The series with inner gaps interpolated; None when the last value is missing."""
    y = np.array([math.nan if v is None else float(v) for v in values], dtype=float)
    known = ~np.isnan(y)
    if not known.any() or not known[-1]:
        return None
    first = int(np.argmax(known))
    y = y[first:]
    known = known[first:]
    if not known.all():
        idx = np.arange(len(y))
        y[~known] = np.interp(idx[~known], idx[known], y[known])
    return y


def check(values: Sequence[float | None], *, season: int | None = SEASON, window: int = WINDOW,
          limit: float = Z_LIMIT) -> Unusual | None:  # fmt: skip
    """The last value of `values` (oldest first, one per period) against the ones before it;
    None when there is too little history or it never varies."""
    y = _filled(values)
    if y is None or len(y) - 1 < MIN_HISTORY:
        return None
    if season is not None and len(y) - season - 1 >= MIN_HISTORY:
        return _seasonal(y, season, limit)
    return _level(y, window, limit)


def _seasonal(y: NDArray[np.float64], season: int, limit: float) -> Unusual | None:
    """The last seasonal difference (the change from the same point a season before) against
    the seasonal differences before it."""
    d = y[season:] - y[:-season]
    hist = d[:-1]
    z = robust_z(float(d[-1]), hist.tolist())
    if z is None:
        return None
    median = float(np.median(hist))
    half = limit * float(np.median(np.abs(hist - median))) / K
    fitted = y[:-season] + median  # the value a season before, moved by the usual change
    n = len(y)
    nan = (math.nan,) * (n - len(fitted))
    return Unusual(float(y[-1]), float(fitted[-1]), z, float(fitted[-1] - half),
                   float(fitted[-1] + half), "seasonal", len(hist),
                   nan + tuple(float(v) for v in fitted - half),
                   nan + tuple(float(v) for v in fitted + half), limit)  # fmt: skip


def _level(y: NDArray[np.float64], window: int, limit: float) -> Unusual | None:
    hist = y[:-1][-window:]
    z = robust_z(float(y[-1]), hist.tolist())
    if z is None:
        return None
    median = float(np.median(hist))
    half = limit * float(np.median(np.abs(hist - median))) / K
    n = len(y)
    return Unusual(float(y[-1]), median, z, median - half, median + half, "level", len(hist),
                   (median - half,) * n, (median + half,) * n, limit)  # fmt: skip
