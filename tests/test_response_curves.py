"""Known answers for the response curves and the budget split: a seeded simulation from a known
power curve must give back its b and a and predict months it did not see; the optimiser must
conserve the budget, stay in the ranges and stop where the marginal returns are equal. The plan
built on them (services/strategy/allocation.py `plan`, no storage) must survive a channel with
steady spend (a retainer) or a paused one, and name as best a channel that spends now."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from salesmetrics.analytics.strategy.allocate import (
    BudgetTooSmallError,
    ChannelInput,
    allocate,
    best_channel,
    expected,
    marginals,
    optimise,
)
from salesmetrics.analytics.strategy.response import (
    Curve,
    PowerResponse,
    SteadySpendError,
    TooFewMonthsError,
    fit_curve,
    held_out,
    wape,
)
from salesmetrics.services.strategy.allocation import History, history_of, plan


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


MONTHS = [date(2025 + (m // 12), m % 12 + 1, 1) for m in range(24)]


def _history(**extra: tuple[list[int], list[int]]) -> History:
    """Three channels on known curves (spend in kopiyky) plus `extra` ones."""
    seen = {}
    for i, (a, b) in enumerate([(40.0, 0.6), (25.0, 0.8), (30.0, 0.9)]):
        spend, won = _months(a, b, 1_000_000.0, 24, seed=10 + i)
        seen[f"c{i}"] = ([int(s) for s in spend], [int(y) for y in won])
    return History("2025-01-01..2026-12-31", MONTHS, {**seen, **extra})


def _no_nan(answer: object) -> None:
    json.dumps(answer, allow_nan=False)  # NaN or inf would raise


def test_a_channel_with_steady_spend_is_kept_and_the_plan_has_no_nan() -> None:
    retainer = ([500_000] * 24, [int(v) for v in np.random.default_rng(1).poisson(12, 24)])
    with pytest.raises(SteadySpendError):
        fit_curve(*retainer)
    assert held_out(*retainer) is None
    for budget in (None, 4_000_000):
        a = plan(
            h := _history(Retainer=retainer),
            dict.fromkeys(h.seen, 1.0),
            budget,
            "customers",
            "UAH",
            "uk",
        )
        r = a.channel("Retainer")
        assert not r.fitted and r.unfitted == "steady_spend"
        assert r.recommended_minor == 500_000  # its real spend, whatever the budget
        assert r.current_minor == 500_000 or budget
        assert a.gain_low is not None and a.gain_high is not None
        assert a.gain_low <= a.expected_recommended - a.expected_current <= a.gain_high
        assert any("майже не змінюються" in n for n in a.notes)
        _no_nan(a.as_dict())
    # a curve without bootstrap curves: replicates run over the others; none at all: no range
    curves = _channels()
    lone = [ChannelInput("x", curves[0].curve, [], 1.0, 10_000.0, 1_000.0, 60_000.0)]
    split = allocate([*curves, *lone], 40_000.0)
    assert split.gain_low is not None and np.isfinite(split.gain_low)
    alone = allocate([*lone, ChannelInput("y", curves[1].curve, [], 1.0, 1.0, 1.0, 9e4)], 4e4)
    assert alone.gain_low is None and all(m.gain_low is None for m in alone.moves)


def test_the_best_channel_spends_now_and_is_judged_at_the_recommended_split() -> None:
    steep = Curve(5.0, 0.3, 100_000.0)  # tiny and saturating: huge marginal near zero
    flat = Curve(20.0, 1.0, 1_000_000.0)
    tiny = ChannelInput("tiny", steep, [steep], 1.0, 1_000.0, 500.0, 200_000.0)
    paused = ChannelInput("paused", steep, [steep], 1.0, 0.0, 0.0, 200_000.0)
    big = ChannelInput("big", flat, [flat], 1.0, 1_000_000.0, 500_000.0, 1_500_000.0)
    now = np.array([1_000.0, 1.0, 1_000_000.0])
    channels = [tiny, paused, big]
    assert int(np.argmax(marginals(channels, now))) != 2  # the old rule named a small one
    split = allocate(channels, 1_001_000.0)
    found = best_channel(channels, split.recommended)
    assert found is not None and channels[found].name != "paused"
    m = marginals(channels, np.maximum(split.recommended, [c.low for c in channels]))
    assert found == max((0, 2), key=lambda i: m[i])
    assert best_channel([paused], np.array([0.0])) is None


def test_the_default_budget_is_the_last_month_with_spend_and_paused_channels_have_floor_0() -> None:
    rows = [
        {"period": m, "channel": ch, "marketing_spend": s, "new_customers": w}
        for ch, (spend, won) in _history().seen.items()
        for m, s, w in zip(MONTHS, spend, won, strict=True)
    ]
    # December's customers are in, its spend is not: the history stops in November
    for x in rows:
        if x["period"] == MONTHS[-1]:
            x["marketing_spend"] = None
    rows.append({"period": MONTHS[5], "channel": None, "marketing_spend": 0, "new_customers": 3})
    h = history_of(rows, "2025-01-01..2026-12-31")
    assert h.months[-1] == date(2026, 11, 1) and len(h.months) == 23
    a = plan(h, dict.fromkeys(h.seen, 1.0), None, "customers", "UAH", "en")
    assert a.current_month == "2026-11" and a.default_budget
    assert a.budget_minor == sum(s[-1] for s, _ in h.seen.values()) > 0
    assert a.notes[0].startswith("the budget is the spend of 2026-11")
    # c0, a big channel, paused last month: floor 0, and a budget under the old floors (half
    # c0's smallest month alone is more than the others spent) still splits
    spend, won = h.seen["c0"]
    h.seen["c0"] = ([*(50 * s for s in spend[:-1]), 0], won)
    old_floors = sum(0.5 * min(s for s in sp if s > 0) for sp, _ in h.seen.values())
    paused = plan(h, dict.fromkeys(h.seen, 1.0), None, "customers", "UAH", "uk")
    c0 = paused.channel("c0")
    assert c0.paused and c0.low_minor == 0 and paused.best_channel != "c0"
    assert paused.budget_minor < old_floors
    assert sum(c.recommended_minor for c in paused.channels) + paused.unplaced_minor == (
        paused.budget_minor
    )
    assert any(n.startswith("c0: у 2026-11 витрат не було") for n in paused.notes)
    _no_nan(paused.as_dict())
