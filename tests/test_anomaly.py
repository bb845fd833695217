"""Known answers for trends and anomalies (analytics/strategy): a planted jump is found, noise
alone finds no more than the expected few, a usual seasonal peak is not unusual; a planted
rising share is found, flat noise and last year's seasonal rise are not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from salesmetrics.analytics.strategy.anomaly import check, robust_z
from salesmetrics.analytics.strategy.trends import moving, theil_sen, trend

RUNS = 1000


def _seasonal(rng: np.random.Generator, n: int, jump: float = 0.0) -> np.ndarray:
    t = np.arange(n)
    y = 100 + 0.5 * t + 20 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 5, n)
    y[-1] += jump
    return y


def test_the_modified_z_score_by_hand() -> None:
    # median 3, MAD 1: 0.6745 x (10 - 3) / 1
    assert robust_z(10, [1, 2, 3, 4, 100]) == pytest.approx(0.6745 * 7)
    assert robust_z(5, [2, 2, 2, 2]) is None  # no spread: no verdict


def test_a_planted_drop_in_a_seasonal_series_is_found() -> None:
    rng = np.random.default_rng(7)
    found = [check(_seasonal(rng, 24, jump=-40)) for _ in range(200)]  # 8 noise sds
    hits = [u for u in found if u is not None and u.outside and u.z < 0]
    assert len(hits) / len(found) > 0.9
    u = hits[0]
    assert u.method == "seasonal" and u.history == 11
    assert u.value < u.low < u.expected < u.high  # below its usual range
    assert len(u.band_low) == 24 and math.isnan(u.band_low[0]) and not math.isnan(u.band_low[-1])


def test_noise_alone_finds_no_more_than_the_expected_few() -> None:
    rng = np.random.default_rng(11)
    seasonal = [check(_seasonal(rng, 24)) for _ in range(RUNS)]
    level = [check(rng.normal(50, 3, 13), season=None) for _ in range(RUNS)]
    # measured 3.2 % and 2.6 % (a 12-point MAD is unsteady; 0.05 % with a known sigma)
    assert sum(u is not None and u.outside for u in seasonal) / RUNS < 0.05
    assert sum(u is not None and u.outside for u in level) / RUNS < 0.05


def test_the_usual_december_peak_is_not_unusual_but_is_without_the_seasons() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(24)
    y = 100 + rng.normal(0, 3, 24) + np.where(t % 12 == 11, 80.0, 0.0)  # every 12th a peak
    seasonal = check(y)
    plain = check(y, season=None)
    assert seasonal is not None and not seasonal.outside
    assert plain is not None and plain.outside and plain.method == "level"


def test_short_gappy_and_empty_series() -> None:
    assert check([1.0, 2.0, 3.0]) is None  # under MIN_HISTORY
    assert check([*np.linspace(10, 11, 12).tolist(), None]) is None  # the month has no value
    gappy: list[float | None] = [10, 11, None, 10, 12, 11, 10, None, 11, 12, 10, 11, 30]
    u = check(gappy, season=None)
    assert u is not None and u.outside and u.history == 12
    assert check([0.0] * 5 + [10.0, 11, 10, 12, 11, 10, 11, 12, 10, 11, 11]) is not None


def test_theil_sen_on_a_line_and_a_planted_rising_share() -> None:
    slope, low, high = theil_sen([1.0, 3.0, 5.0, 7.0, 9.0, 11.0])
    assert slope == pytest.approx(2.0) and low == pytest.approx(2.0) and high == pytest.approx(2.0)
    rng = np.random.default_rng(5)
    rising = 0.03 + np.r_[np.zeros(12), np.linspace(0, 0.03, 6)] + rng.normal(0, 0.002, 18)
    t = trend("x", rising)
    assert t is not None and t.direction == "rising" and t.seasonal is not None
    assert t.low > 0 and t.change > 0.25 and t.last > t.first


def test_flat_noise_and_last_years_seasonal_rise_are_not_trends() -> None:
    rng = np.random.default_rng(9)
    flat = {f"p{i}": 0.025 + rng.normal(0, 0.004, 18) for i in range(400)}
    assert len(moving(flat)) / 400 < 0.05  # measured 2.5 %
    year = np.r_[np.full(6, 0.02), np.linspace(0.02, 0.08, 6)]  # rises every autumn
    again = np.r_[year, year][-18:] + rng.normal(0, 0.001, 18)
    assert trend("no seasons known", again[-6:]) is not None
    assert trend("no seasons known", again[-6:]).direction == "rising"  # type: ignore[union-attr]
    assert trend("decorations", again).direction is None  # type: ignore[union-attr]
    assert trend("tiny", np.full(18, 0.001)) is None
