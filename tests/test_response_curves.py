"""Known answers for the response curves and the budget split: a seeded simulation from a known
power curve must give back its b and a and predict months it did not see; the optimiser must
conserve the budget, stay in the ranges and stop where the marginal returns are equal."""

from __future__ import annotations

import numpy as np
import pytest

from salesmetrics.analytics.strategy.allocate import (
    BudgetTooSmallError,
    ChannelInput,
    allocate,
    expected,
    marginals,
    optimise,
)
from salesmetrics.analytics.strategy.response import (
    Curve,
    PowerResponse,
    TooFewMonthsError,
    fit_curve,
    held_out,
    wape,
)


def _months(a: float, b: float, scale: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(seed)
    spend = gen.uniform(0.3, 3.0, n) * scale
    return spend, gen.poisson(a * (spend / scale) ** b).astype(float)


@pytest.mark.parametrize(("a", "b"), [(40.0, 0.5), (25.0, 0.8), (60.0, 1.0)])
def test_the_fit_recovers_a_known_curve_and_predicts_held_out_months(a: float, b: float) -> None:
    scale = 10_000.0
    spend, customers = _months(a, b, scale, 48, seed=int(b * 100))
    train, test = slice(0, 36), slice(36, 48)
    curve = fit_curve(spend[train], customers[train], scale=scale)
    assert curve.b == pytest.approx(b, abs=0.12)
    assert curve.a == pytest.approx(a, rel=0.12)
    truth = a * (spend[test] / scale) ** b
    err = wape(truth, curve.predict(spend[test]))
    assert err is not None and err < 0.08  # against the expected values of the unseen months


def test_bootstrap_interval_covers_b_and_held_out_beats_nothing() -> None:
    spend, customers = _months(30.0, 0.6, 5_000.0, 36, seed=3)
    model = PowerResponse(n_boot=100, seed=1).fit(spend, customers)
    low, high = model.b_interval()
    assert low <= 0.6 <= high and high - low < 0.5
    assert len(model.boot_) >= 95
    judged = held_out(spend, customers, months=6)
    assert judged is not None and judged.curve_wape is not None and judged.curve_wape < 0.35


def test_b_stays_within_zero_and_one_and_few_months_are_refused() -> None:
    spend = np.array([1.0, 2, 3, 4, 5, 6, 7, 8]) * 1000
    convex = fit_curve(spend, (spend / 1000) ** 2)  # increasing returns are not believed
    assert convex.b == pytest.approx(1.0)
    with pytest.raises(TooFewMonthsError):
        fit_curve(spend[:4], spend[:4])
    assert fit_curve(spend, np.zeros(8)).a == 0.0


def _channels(budget_share: float = 1.0) -> list[ChannelInput]:
    curves = [Curve(30.0, 0.5, 10_000.0), Curve(20.0, 0.7, 8_000.0), Curve(10.0, 0.4, 4_000.0)]
    return [
        ChannelInput(f"c{i}", c, [c] * 5, 1.0, 10_000.0, 1_000.0, 60_000.0 * budget_share)
        for i, c in enumerate(curves)
    ]


def test_the_optimum_has_equal_marginal_returns_and_keeps_the_budget() -> None:
    channels = _channels()
    split = allocate(channels, 30_000.0)
    assert split.recommended.sum() + split.unplaced == pytest.approx(30_000.0)
    assert split.unplaced == pytest.approx(0.0, abs=1e-6)
    m = marginals(channels, split.recommended)
    inside = [i for i in range(3) if not split.at_high[i] and not split.at_low[i]]
    assert len(inside) == 3
    assert max(m) / min(m) == pytest.approx(1.0, abs=0.01)
    assert split.expected_recommended >= split.expected_current
    # no other split of the budget does better (random feasible splits)
    gen = np.random.default_rng(0)
    for _ in range(200):
        w = gen.dirichlet(np.ones(3)) * 27_000 + 1_000
        assert expected(channels, w) <= split.expected_recommended + 1e-6
    moved = sum(mv.gain for mv in split.moves)
    assert moved == pytest.approx(split.expected_recommended - split.expected_current, rel=1e-6)


def test_caps_bind_for_linear_curves_and_the_best_channel_fills_first() -> None:
    lin = [Curve(50.0, 1.0, 10_000.0), Curve(20.0, 1.0, 10_000.0), Curve(10.0, 1.0, 10_000.0)]
    channels = [
        ChannelInput(f"c{i}", c, [c], 1.0, 10_000.0, 2_000.0, 15_000.0) for i, c in enumerate(lin)
    ]
    rec, unplaced = optimise(channels, 30_000.0)
    assert rec == pytest.approx([15_000.0, 13_000.0, 2_000.0], abs=30_000 / 2000 + 1)
    assert unplaced == pytest.approx(0.0, abs=1e-6)
    over, left = optimise(channels, 50_000.0)
    assert over == pytest.approx([15_000.0] * 3) and left == pytest.approx(5_000.0)
    with pytest.raises(BudgetTooSmallError):
        optimise(channels, 5_000.0)
    split = allocate(channels, 30_000.0)
    assert split.moves[0].source == "c2" and split.moves[0].target == "c0"
    assert split.moves[0].gain_low <= split.moves[0].gain <= split.moves[0].gain_high
