"""Split a budget across channels so that the expected outcome is largest.

Each channel has a concave response curve f (response.py), a value per unit of outcome v (1 for
customers; a customer's lifetime revenue for revenue) and a trusted range of spend [low, high]
(the spend its history covers, a little beyond). The split maximises sum v·f(x) subject to
sum x = budget and low <= x <= high. For concave f the optimum has equal marginal returns
v·f'(x) across the channels inside their ranges (the Karush-Kuhn-Tucker conditions; with linear
f it fills the best channels to their caps). It is found by greedy water-filling: the budget
above the floors is handed out in small equal steps, each to the channel whose next step brings
the most; for concave curves that is optimal up to one step (Gross 1956; Ibaraki & Katoh,
*Resource Allocation Problems*, 1988, ch. 4).

The moves from the current split to the recommended one are paired largest-first, and each
move's gain is computed in turn on the bootstrap curves too, for its range. A channel with a
curve but no bootstrap curves counts with its curve in every replicate; with no bootstrap curves
at all, the ranges are None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from salesmetrics.analytics.strategy.response import Curve

F64 = NDArray[np.float64]
STEPS = 2000
LEVEL = 0.8  # the central interval of the ranges


class BudgetTooSmallError(ValueError):
    """The budget does not reach the channels' floors."""


@dataclass(frozen=True, slots=True)
class ChannelInput:
    """A channel to allocate to: its curve (None: not fitted, kept at its current spend), the
    bootstrap curves, the value of one unit of outcome, current spend and trusted range."""

    name: str
    curve: Curve | None
    boot: Sequence[Curve]
    value: float
    current: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Move:
    source: str
    target: str
    amount: float
    gain: float
    gain_low: float | None
    gain_high: float | None


@dataclass(frozen=True, slots=True)
class Split:
    """The recommended split beside the current one (scaled to the budget) and what it gains."""

    names: list[str]
    current: F64
    recommended: F64
    at_high: list[bool]
    at_low: list[bool]
    expected_current: float
    expected_recommended: float
    gain_low: float | None
    gain_high: float | None
    unplaced: float
    moves: list[Move]


def expected(channels: Sequence[ChannelInput], spend: F64, replicate: int | None = None) -> float:
    """sum v·f(x), on the main curves or on bootstrap replicate `replicate` (a channel without
    bootstrap curves counts with its main curve)."""
    total = 0.0
    for c, x in zip(channels, spend, strict=True):
        curve = c.curve if replicate is None or c.curve is None or not c.boot else c.boot[replicate]
        if curve is not None:
            total += c.value * float(curve.predict(x))
    return total


def marginals(channels: Sequence[ChannelInput], spend: F64) -> F64:
    """v·f'(x) per channel (0 where there is no curve)."""
    return np.array(
        [
            c.value * float(c.curve.marginal(x)) if c.curve else 0.0
            for c, x in zip(channels, spend, strict=True)
        ]
    )


def best_channel(channels: Sequence[ChannelInput], spend: F64) -> int | None:
    """The channel whose next unit of spend brings the most at `spend` (the recommended split;
    never below a channel's floor), among fitted channels that spend now; None if there is none.
    A paused or tiny channel is not named: with b < 1 its marginal return at ~0 is unbounded."""
    at = np.maximum(spend, [c.low for c in channels])
    m = marginals(channels, at)
    live = [i for i, c in enumerate(channels) if c.curve is not None and c.current > 0]
    return max(live, key=lambda i: float(m[i])) if live else None


def optimise(
    channels: Sequence[ChannelInput], budget: float, steps: int = STEPS
) -> tuple[F64, float]:
    """The split of `budget` (and what could not be placed within the ranges)."""
    fitted = np.array([c.curve is not None for c in channels])
    x = np.array([c.low if c.curve else c.current for c in channels], dtype=float)
    high = np.array([c.high if c.curve else c.current for c in channels], dtype=float)
    left = budget - x.sum()
    if left < -1e-6 * max(budget, 1.0):
        raise BudgetTooSmallError(f"the budget is below the channels' floors ({x.sum():.0f})")
    delta = max(left, 0.0) / steps
    while left > 1e-9 * max(budget, 1.0):
        step = np.minimum(np.minimum(high - x, delta), left)
        room = fitted & (step > 1e-12 * max(budget, 1.0))
        if not room.any():
            break
        per_unit = np.array(
            [
                c.value * float(c.curve.predict(xi + d) - c.curve.predict(xi)) / d
                if c.curve and ok
                else -np.inf
                for c, xi, d, ok in zip(channels, x, step, room, strict=True)
            ]
        )
        best = int(np.argmax(per_unit))
        x[best] += step[best]
        left -= step[best]
    return x, float(budget - x.sum())


def _pairs(names: Sequence[str], diff: F64, tiny: float) -> list[tuple[int, int, float]]:
    """Donor -> receiver amounts, largest first."""
    d = diff.copy()
    out: list[tuple[int, int, float]] = []
    while True:
        give, take = int(np.argmin(d)), int(np.argmax(d))
        amount = min(-d[give], d[take])
        if amount <= tiny:
            return out
        out.append((give, take, float(amount)))
        d[give] += amount
        d[take] -= amount


def _interval(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    tail = (1 - LEVEL) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def _replicates(channels: Sequence[ChannelInput]) -> int:
    """How many bootstrap replicates all channels with bootstrap curves share."""
    sizes = [len(c.boot) for c in channels if c.curve is not None and c.boot]
    return min(sizes) if sizes else 0


def allocate(channels: Sequence[ChannelInput], budget: float) -> Split:
    """The best split of `budget`, the moves to it from the current split and their ranges."""
    names = [c.name for c in channels]
    now = np.array([c.current for c in channels], dtype=float)
    current = now * (budget / now.sum()) if now.sum() > 0 else np.full(len(now), budget / len(now))
    rec, unplaced = optimise(channels, budget)
    reps = range(_replicates(channels))
    moves, x = [], current.copy()
    for give, take, amount in _pairs(names, rec - current, tiny=budget * 1e-4):
        after = x.copy()
        after[give] -= amount
        after[take] += amount
        gain = expected(channels, after) - expected(channels, x)
        low, high = _interval(
            [expected(channels, after, k) - expected(channels, x, k) for k in reps]
        )
        moves.append(Move(names[give], names[take], amount, gain, low, high))
        x = after
    lo, hi = _interval([expected(channels, rec, k) - expected(channels, current, k) for k in reps])
    tol = budget / STEPS
    return Split(
        names,
        current,
        rec,
        [c.curve is not None and r >= c.high - tol for c, r in zip(channels, rec, strict=True)],
        [c.curve is not None and r <= c.low + tol for c, r in zip(channels, rec, strict=True)],
        expected(channels, current),
        expected(channels, rec),
        lo,
        hi,
        unplaced,
        moves,
    )
