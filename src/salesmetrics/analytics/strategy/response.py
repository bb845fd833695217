"""Diminishing-returns response curves: what a month's spend on a channel brings in.

The form is the constant-elasticity power curve of market-response modelling,
y = a·(x / s)^b with 0 < b <= 1 (Hanssens, Parsons & Schultz, *Market Response Models*, 2nd ed.,
2001, ch. 3; the shape-effect curves of media-mix models, e.g. Jin et al., *Bayesian Methods
for Media Mix Modeling with Carryover and Shape Effects*, Google, 2017, use the Hill function
for the same purpose). x is the month's spend, y the month's outcome (new customers), s a fixed
unit of spend (the channel's median month) so that a is the outcome of a typical month; b = 1
is a constant cost per customer, smaller b a faster saturating channel.

The fit is robust: it minimises the soft-L1 loss, 2·(sqrt(1 + (r/2)²) - 1) summed, of the
Pearson-scaled residuals r = (y - ŷ) / sqrt(max(ŷ, 1)) (count data: variance grows with the
mean), over b on a grid of step 0.005 and, for each b, a by iteratively reweighted least
squares (Huber 1981, ch. 7; soft-L1 as in scipy's least_squares). Its uncertainty is a
bootstrap over months: the months are resampled with replacement and the curve refitted
(Efron & Tibshirani 1993, ch. 9). Months whose spend hardly varies (a fixed retainer: largest
and smallest month less than 10 % of the median apart) carry no information about the shape:
every b fits them equally, so no curve is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]
B_MIN, B_MAX = 0.05, 1.0
MIN_MONTHS = 6  # fewer months with spend: no curve
MIN_SPREAD = 0.1  # (largest - smallest month) / median month below this: no curve
REWEIGHTS = 3


class TooFewMonthsError(ValueError):
    """Not enough months with spend to fit a curve."""


class SteadySpendError(ValueError):
    """The months' spend hardly varies (a fixed retainer): it says nothing about the shape of
    the response, every b fits as well as any other."""


def spend_spread(spend: ArrayLike) -> float:
    """(largest - smallest) / median of the months with spend (0 when there are none)."""
    x = np.asarray(spend, dtype=float)
    x = x[x > 0]
    return 0.0 if len(x) == 0 else float(np.ptp(x) / np.median(x))


@dataclass(frozen=True, slots=True)
class Curve:
    """y = a·(x / scale)^b."""

    a: float
    b: float
    scale: float

    def predict(self, spend: ArrayLike) -> F64:
        x = np.maximum(np.asarray(spend, dtype=float), 0.0)
        out: F64 = self.a * (x / self.scale) ** self.b
        return out

    def marginal(self, spend: ArrayLike) -> F64:
        """dy/dx: the outcome of one more unit of spend at `spend` (> 0)."""
        x = np.maximum(np.asarray(spend, dtype=float), 1e-9 * self.scale)
        out: F64 = self.a * self.b / self.scale * (x / self.scale) ** (self.b - 1.0)
        return out


GRID = np.linspace(B_MIN, B_MAX, 191)  # b in steps of 0.005
F_SCALE = 2.0  # soft-L1 turns from squares to absolute values at 2 Pearson units


def _fit_many(xs: F64, y: F64, w: F64) -> tuple[F64, F64]:
    """Robust fits of y = a·xs^b, one per row of month weights `w` (bootstrap multiplicities):
    for each b on the grid, a by iteratively reweighted least squares on Pearson-scaled
    residuals with soft-L1 weights; then the b of the smallest loss. Returns (a, b) per row."""
    p = xs[None, :] ** GRID[:, None]  # (grid, months)
    a = (w @ y)[:, None] / np.maximum(w @ p.T, 1e-300)  # Poisson start, (rows, grid)
    for _ in range(REWEIGHTS + 1):
        fitted = a[:, :, None] * p[None]
        var = np.maximum(fitted, 1.0)
        z = ((y - fitted) / np.sqrt(var) / F_SCALE) ** 2
        omega = w[:, None, :] / np.sqrt(1.0 + z) / var
        a = np.einsum("rgm,m,gm->rg", omega, y, p) / np.maximum(
            np.einsum("rgm,gm->rg", omega, p * p), 1e-300
        )
    fitted = a[:, :, None] * p[None]
    z = ((y - fitted) / np.sqrt(np.maximum(fitted, 1.0)) / F_SCALE) ** 2
    loss = np.einsum("rm,rgm->rg", w, 2.0 * (np.sqrt(1.0 + z) - 1.0))
    best = np.argmin(loss, axis=1)
    rows = np.arange(len(w))
    return a[rows, best], GRID[best]


def fit_curve(spend: ArrayLike, outcome: ArrayLike, scale: float | None = None) -> Curve:
    """The robust power curve through (spend, outcome) months with spend > 0."""
    x_all, y_all = np.asarray(spend, dtype=float), np.asarray(outcome, dtype=float)
    keep = x_all > 0
    x, y = x_all[keep], y_all[keep]
    if len(x) < MIN_MONTHS:
        raise TooFewMonthsError(f"{len(x)} months with spend; a curve needs {MIN_MONTHS}")
    if spend_spread(x) < MIN_SPREAD:
        raise SteadySpendError(
            f"the months' spend varies by {spend_spread(x):.0%}; a curve needs {MIN_SPREAD:.0%}"
        )
    s = float(scale if scale is not None else np.median(x))
    if not (y > 0).any():
        return Curve(0.0, 1.0, s)
    a, b = _fit_many(x / s, y, np.ones((1, len(x))))
    return Curve(float(a[0]), float(b[0]), s)


@dataclass
class PowerResponse:
    """Estimator: `fit(spend, outcome)` learns `curve_` and `boot_` (bootstrap curves)."""

    n_boot: int = 200
    seed: int = 0
    curve_: Curve | None = field(default=None, init=False)
    boot_: list[Curve] = field(default_factory=list, init=False)

    def fit(self, spend: ArrayLike, outcome: ArrayLike) -> Self:
        x_all, y_all = np.asarray(spend, dtype=float), np.asarray(outcome, dtype=float)
        self.curve_ = fit_curve(x_all, y_all)
        keep = x_all > 0
        x, y = x_all[keep] / self.curve_.scale, y_all[keep]
        gen = np.random.default_rng(self.seed)
        picks = gen.integers(0, len(x), size=(self.n_boot, len(x)))
        w = np.zeros((self.n_boot, len(x)))
        np.add.at(w, (np.arange(self.n_boot)[:, None], picks), 1.0)
        spread = np.array([np.ptp(x[row]) > 0 for row in picks])
        a, b = _fit_many(x, y, w[spread]) if spread.any() else (np.array([]), np.array([]))
        scale = self.curve_.scale
        self.boot_ = [Curve(float(ai), float(bi), scale) for ai, bi in zip(a, b, strict=True)]
        return self

    @property
    def curve(self) -> Curve:
        if self.curve_ is None:
            raise RuntimeError("fit first")
        return self.curve_

    def predict(self, spend: ArrayLike) -> F64:
        return self.curve.predict(spend)

    def b_interval(self, level: float = 0.8) -> tuple[float, float]:
        """The bootstrap's central interval of b."""
        bs = np.array([c.b for c in self.boot_]) if self.boot_ else np.array([self.curve.b])
        tail = (1 - level) / 2 * 100
        return float(np.percentile(bs, tail)), float(np.percentile(bs, 100 - tail))


def wape(actual: ArrayLike, predicted: ArrayLike) -> float | None:
    """Weighted absolute percentage error: sum |y - ŷ| / sum y (None when sum y is 0)."""
    y, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    total = float(np.abs(y).sum())
    return None if total == 0 else float(np.abs(y - p).sum() / total)


@dataclass(frozen=True, slots=True)
class HeldOut:
    """How a curve fitted without the last months predicts them, beside a constant cost per
    customer (the training months' total outcome / total spend, times each month's spend)."""

    months: int
    curve_wape: float | None
    constant_wape: float | None


def held_out(spend: ArrayLike, outcome: ArrayLike, months: int = 6) -> HeldOut | None:
    """Fit on all but the last `months` months, judge on those (None: too few months, or their
    spend too steady to fit)."""
    x, y = np.asarray(spend, dtype=float), np.asarray(outcome, dtype=float)
    train_x, train_y, test_x, test_y = x[:-months], y[:-months], x[-months:], y[-months:]
    try:
        curve = fit_curve(train_x, train_y)
    except (TooFewMonthsError, SteadySpendError):
        return None
    paid = train_x.sum()
    rate = train_y.sum() / paid if paid > 0 else 0.0
    return HeldOut(months, wape(test_y, curve.predict(test_x)), wape(test_y, rate * test_x))
