"""Rising and falling items (products, categories): the trend of each one's share of the whole
over recent months, robust and seasonally adjusted.

An item's share of the whole (e.g. of revenue) per month is fitted over the last WINDOW months
by the Theil-Sen slope, the median of the slopes between every pair of months (Sen 1968,
"Estimates of the regression coefficient based on Kendall's tau", JASA 63), with its interval
from Kendall's tau (scipy.stats.theilslopes). A share takes out the business's own ups and
downs; where the same months a year before are known, their slope is taken off too, so a
Christmas category that rises every autumn is rising only if it rises faster than last year
(the intervals combined as if independent: half-widths in quadrature). An item is rising or
falling when the interval of its (adjusted) slope leaves out zero and the change it adds up to
over the window is at least MIN_CHANGE of its mean share; items under MIN_SHARE are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

WINDOW = 6
SEASON = 12
CONFIDENCE = 0.90
MIN_CHANGE = 0.25
MIN_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class Trend:
    """One item's share trend over the window (shares as fractions, slopes per period)."""

    name: str
    slope: float  # adjusted for last year's slope over the same months, when known
    low: float
    high: float
    level: float  # mean share over the window
    first: float  # the share in the window's first and last period
    last: float
    seasonal: float | None  # last year's slope over the same months

    @property
    def change(self) -> float:
        """The adjusted change over the window, relative to the mean share."""
        return self.slope * (WINDOW - 1) / self.level if self.level else 0.0

    @property
    def direction(self) -> str | None:
        if self.low > 0 and self.change >= MIN_CHANGE:
            return "rising"
        if self.high < 0 and self.change <= -MIN_CHANGE:
            return "falling"
        return None


def theil_sen(
    y: Sequence[float] | NDArray[np.float64], confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """(slope, low, high) of y against 0, 1, 2 …"""
    from scipy import stats  # scipy.stats: loaded when used

    r = stats.theilslopes(np.asarray(y, dtype=float), alpha=confidence)
    return float(r.slope), float(r.low_slope), float(r.high_slope)


def trend(name: str, shares: Sequence[float], *, window: int = WINDOW, season: int = SEASON,
          confidence: float = CONFIDENCE) -> Trend | None:  # fmt: skip
    """The trend of the last `window` shares (oldest first); None when too short or too small."""
    y = np.asarray(shares, dtype=float)
    if len(y) < window or np.isnan(y[-window:]).any():
        return None
    now = y[-window:]
    level = float(now.mean())
    if level < MIN_SHARE:
        return None
    slope, low, high = theil_sen(now, confidence)
    before: float | None = None
    if len(y) >= window + season and not np.isnan(y[-window - season : -season]).any():
        b, b_low, b_high = theil_sen(y[-window - season : -season], confidence)
        half = math.hypot(max(high - low, 0.0), max(b_high - b_low, 0.0)) / 2
        before, slope = b, slope - b
        low, high = slope - half, slope + half
    return Trend(name, slope, low, high, level, float(now[0]), float(now[-1]), before)


def moving(series: Mapping[str, Sequence[float]], **options: int | float) -> list[Trend]:
    """The rising and falling items of `series` (name -> shares, oldest first), the largest
    relative change first."""
    found = []
    for name, shares in series.items():
        t = trend(name, shares, **options)  # type: ignore[arg-type]
        if t is not None and t.direction is not None:
            found.append(t)
    return sorted(found, key=lambda t: (-abs(t.change), t.name))
