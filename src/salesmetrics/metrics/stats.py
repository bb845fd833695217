"""Intervals and noise tests for rates, in plain math (no model fitting here)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(successes: float, total: float, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of successes/total (Wilson 1927); None when total is 0."""
    if total <= 0:
        return None
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def nps_interval(
    promoters: float, detractors: float, total: float, z: float = Z95
) -> tuple[float, float] | None:
    """Normal interval of NPS from the multinomial variance of (promoter - detractor)."""
    if total <= 0:
        return None
    pp, pd = promoters / total, detractors / total
    nps = pp - pd
    var = (pp + pd - nps * nps) / total
    half = z * math.sqrt(max(var, 0.0))
    return max(-100.0, 100 * (nps - half)), min(100.0, 100 * (nps + half))


def two_proportion_p(x1: float, n1: float, x2: float, n2: float) -> float | None:
    """Two-sided p-value that two rates differ (pooled z-test); None without data."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0 if x1 / n1 == x2 / n2 else 0.0
    z = abs(x1 / n1 - x2 / n2) / se
    return math.erfc(z / math.sqrt(2))


def poisson_p(
    count1: float, count2: float, exposure1: float = 1.0, exposure2: float = 1.0
) -> float | None:
    """Two-sided p-value that two counts differ in rate, given their exposures (days):
    the normal approximation of the conditional binomial test; None without data."""
    total = count1 + count2
    if total <= 0 or exposure1 <= 0 or exposure2 <= 0:
        return None
    share = exposure1 / (exposure1 + exposure2)
    z = abs(count1 - total * share) / math.sqrt(total * share * (1 - share))
    return math.erfc(z / math.sqrt(2))
