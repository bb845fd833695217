"""Intervals and noise tests for rates, in plain math (no model fitting here)."""

from __future__ import annotations

import math
from statistics import NormalDist

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


def z_for(confidence: float, comparisons: int = 1) -> float:
    """The two-sided normal quantile for `confidence`, Bonferroni-corrected for several
    comparisons (each at 1 - (1 - confidence) / comparisons)."""
    alpha = (1.0 - confidence) / max(comparisons, 1)
    return NormalDist().inv_cdf(1.0 - alpha / 2.0)


def rate_difference(
    x1: float, n1: float, x2: float, n2: float, z: float = Z95
) -> tuple[float, float, float] | None:
    """p1 - p2 with Newcombe's hybrid score interval (Newcombe 1998, method 10), built from
    each rate's Wilson interval; None without data."""
    a, b = wilson(x1, n1, z), wilson(x2, n2, z)
    if a is None or b is None:
        return None
    p1, p2 = x1 / n1, x2 / n2
    low = p1 - p2 - math.sqrt((p1 - a[0]) ** 2 + (b[1] - p2) ** 2)
    high = p1 - p2 + math.sqrt((a[1] - p1) ** 2 + (p2 - b[0]) ** 2)
    return p1 - p2, low, high


def log_mean_ratio(
    a: tuple[int, float, float], b: tuple[int, float, float], z: float = Z95
) -> tuple[float, float, float] | None:
    """Ratio of geometric means of two samples given as (n, sum y, sum y^2) of y = ln x, with
    a Welch interval on the difference of log means; None with fewer than 2 in either."""
    (na, sa, qa), (nb, sb, qb) = a, b
    if na < 2 or nb < 2:
        return None
    ma, mb = sa / na, sb / nb
    va = max(qa - na * ma * ma, 0.0) / (na - 1)
    vb = max(qb - nb * mb * mb, 0.0) / (nb - 1)
    se = math.sqrt(va / na + vb / nb)
    d = ma - mb
    return math.exp(d), math.exp(d - z * se), math.exp(d + z * se)
