"""Revenue forecast with little history: seasonal indices shrunk towards none, exponential
smoothing on the seasonally adjusted series, the seasonal-naive baseline, and a rolling-origin
backtest of both (docs/plan.md).

The model (`SeasonalEts`), in the spirit of "forecasting with decomposition" (Hyndman &
Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed. (FPP3), §3.4 and §5.7):

1. **Seasonal indices** by classical multiplicative decomposition (FPP3 §3.4): the ratio of each
   period to its centred 2 x m moving average (m = periods per year), averaged per calendar
   month. With two years of data or less each month has one or two such ratios at most, so each
   index is shrunk towards 1 (no season) by ``k / (k + SHRINK_YEARS)``, k the years it was seen
   in, and the indices are normalised to a geometric mean of 1.
2. **Exponential smoothing** (statsmodels) on the log of the seasonally adjusted series: simple
   exponential smoothing, ETS(A,N,N), or Holt's damped trend, ETS(A,Ad,N), whichever has the
   lower AICc on the training data (FPP3 §8.6). Logs make the errors multiplicative and keep
   the forecast positive.
3. The forecast is re-seasonalised: exp(level forecast) x index of the target month.

Seasonal naive (FPP3 §5.2): y^_{T+h|T} = y_{T+h-m(k+1)}, k = floor((h-1)/m), the value of the same
period a year before. MAPE = mean |actual - forecast| / |actual| x 100 (FPP3 §5.8).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

SHRINK_YEARS = 1.0  # an index seen in k years keeps k / (k + 1) of its distance from 1
MONTHS = 12
MIN_FIT = 6  # periods the smoothing needs at least


class ForecastInputError(ValueError):
    """The series cannot be forecast as asked (too short, negative, mismatched)."""


def seasonal_naive(y: Sequence[float] | F64, lag: int, horizon: int) -> F64:
    """The seasonal-naive forecast of the `horizon` periods after `y` (FPP3 §5.2)."""
    arr = np.asarray(y, np.float64)
    if len(arr) < lag:
        raise ForecastInputError(f"seasonal naive needs {lag} periods of history, got {len(arr)}")
    h = np.arange(1, horizon + 1)
    k = (h - 1) // lag
    out: F64 = arr[len(arr) + h - 1 - lag * (k + 1)]
    return out


def mape(actual: Sequence[float] | F64, forecast: Sequence[float] | F64) -> float | None:
    """Mean absolute percentage error in percent (FPP3 §5.8); periods with zero actual are
    left out (a percentage of nothing is undefined); None when none is left."""
    a, f = np.asarray(actual, np.float64), np.asarray(forecast, np.float64)
    if a.shape != f.shape:
        raise ForecastInputError("actuals and forecasts differ in length")
    keep = a != 0
    if not keep.any():
        return None
    return float(np.mean(np.abs(a[keep] - f[keep]) / np.abs(a[keep])) * 100.0)


def centred_ma(y: F64, m: int) -> F64:
    """The 2 x m moving average for even m, the m moving average for odd m (FPP3 §3.3);
    NaN where the window does not fit."""
    n = len(y)
    out = np.full(n, np.nan)
    half = m // 2
    w = np.full(m, 1.0 / m) if m % 2 else np.concatenate([[0.5], np.ones(m - 1), [0.5]]) / m
    for t in range(half, n - half):
        out[t] = float(np.dot(w, y[t - half : t - half + len(w)]))
    return out


def seasonal_indices(y: F64, months: I64, per_year: int) -> F64:
    """Twelve multiplicative month-of-year indices, shrunk towards 1 by how many years each
    month was seen in (see the module docstring); geometric mean 1."""
    trend = centred_ma(y, per_year)
    ok = np.isfinite(trend) & (trend > 0) & (y > 0)
    logs = np.zeros(MONTHS)
    for month in range(MONTHS):
        sel = ok & (months == month)
        if not sel.any():
            continue
        years = sel.sum() * MONTHS / per_year  # periods seen, in years
        raw = float(np.mean(np.log(y[sel] / trend[sel])))
        logs[month] = raw * years / (years + SHRINK_YEARS)
    seen = np.zeros(MONTHS, np.bool_)
    seen[np.unique(months[ok])] = True
    if seen.any():
        logs[seen] -= logs[seen].mean()
    out: F64 = np.exp(logs)
    return out


def _aicc(loglik: float, k: int, n: int) -> float:
    aic = -2.0 * loglik + 2.0 * k
    return aic + (2.0 * k * (k + 1)) / (n - k - 1) if n - k - 1 > 0 else math.inf


def _gaussian_loglik(resid: F64) -> float:
    n = len(resid)
    sse = float(np.sum(resid**2))
    return -0.5 * n * (math.log(2 * math.pi * max(sse, 1e-300) / n) + 1.0)


@dataclass
class SeasonalEts:
    """Seasonal indices plus exponential smoothing of the adjusted log series (estimator
    shape: `fit` returns self, learned values end in `_`)."""

    per_year: int = MONTHS
    indices_: F64 = field(default_factory=lambda: np.ones(MONTHS))
    kind_: str = ""  # "ses" or "damped"
    params_: dict[str, float] = field(default_factory=dict)
    sigma_: float = 0.0  # residual sd of the log one-step errors
    _fitted: Any = None  # statsmodels' results (untyped)

    def fit(self, y: Sequence[float] | F64, months: Sequence[int] | I64) -> SeasonalEts:
        arr, mon = np.asarray(y, np.float64), np.asarray(months, np.int64)
        if len(arr) != len(mon):
            raise ForecastInputError("one calendar month per period is needed")
        if len(arr) < MIN_FIT:
            raise ForecastInputError(f"a forecast needs {MIN_FIT} periods at least, got {len(arr)}")
        if (arr <= 0).any():
            raise ForecastInputError("the series has periods with no revenue: cannot take logs")
        self.indices_ = seasonal_indices(arr, mon, self.per_year)
        z = np.log(arr / self.indices_[mon])
        best: tuple[float, str, Any] | None = None
        for kind in ("ses", "damped"):
            res = _smooth(z, kind)
            k = 2 if kind == "ses" else 5  # alpha, level (+ beta, phi, slope)
            score = _aicc(_gaussian_loglik(np.asarray(res.resid)), k, len(z))
            if best is None or score < best[0]:
                best = (score, kind, res)
        assert best is not None
        _, self.kind_, self._fitted = best
        resid = np.asarray(self._fitted.resid, np.float64)
        self.sigma_ = float(np.sqrt(np.mean(resid**2)))
        params = self._fitted.params.items()
        self.params_ = {k: float(v) for k, v in params if isinstance(v, float) and math.isfinite(v)}
        return self

    def predict(self, months: Sequence[int] | I64) -> F64:
        """Forecasts of the next len(months) periods, given each one's calendar month."""
        if self._fitted is None:
            raise ForecastInputError("fit the model first")
        mon = np.asarray(months, np.int64)
        z = np.asarray(self._fitted.forecast(len(mon)), np.float64)
        out: F64 = np.exp(z) * self.indices_[mon]
        return out


def _smooth(z: F64, kind: str) -> Any:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # loaded when used

    with warnings.catch_warnings():
        # a short series makes the optimiser complain about convergence: the fit is still used
        warnings.simplefilter("ignore")
        if kind == "ses":
            model = ExponentialSmoothing(z, trend=None, initialization_method="estimated")
        else:
            model = ExponentialSmoothing(z, trend="add", damped_trend=True,
                                         initialization_method="estimated")  # fmt: skip
        # least squares without the brute-force start: the same fit, several times faster
        return model.fit(optimized=True, method="least_squares", use_brute=False)


# ------------------------------------------------------------------ backtest


@dataclass(frozen=True, slots=True)
class Trial:
    """One forecast of the backtest: trained on `train` periods, `h` ahead."""

    train: int
    h: int
    actual: float
    model: float
    naive: float


@dataclass(frozen=True, slots=True)
class Score:
    """MAPE of the model and of seasonal naive over some trials."""

    label: str
    trials: int
    model_mape: float | None
    naive_mape: float | None
    rmse_log: float | None  # root mean square of log(actual / model): the interval's spread


def rolling_origin(
    y: Sequence[float] | F64, months: Sequence[int] | I64, *, per_year: int, min_train: int,
    horizon: int, step: int = 1,
) -> list[Trial]:  # fmt: skip
    """Forecast from every origin min_train, min_train + step, ... (training on the periods
    before it only) up to `horizon` periods ahead, while actuals exist (FPP3 §5.10)."""
    arr, mon = np.asarray(y, np.float64), np.asarray(months, np.int64)
    start = max(min_train, per_year)  # seasonal naive needs a year
    out: list[Trial] = []
    for train in range(start, len(arr), step):
        hmax = min(horizon, len(arr) - train)
        fit = SeasonalEts(per_year).fit(arr[:train], mon[:train])
        model = fit.predict(mon[train : train + hmax])
        naive = seasonal_naive(arr[:train], per_year, hmax)
        for h in range(1, hmax + 1):
            out.append(Trial(train, h, float(arr[train + h - 1]), float(model[h - 1]),
                             float(naive[h - 1])))  # fmt: skip
    return out


def score(trials: Sequence[Trial], label: str) -> Score:
    """MAPE of model and seasonal naive over `trials`."""
    if not trials:
        return Score(label, 0, None, None, None)
    a = np.array([t.actual for t in trials])
    m = np.array([t.model for t in trials])
    n = np.array([t.naive for t in trials])
    ok = (a > 0) & (m > 0)
    rmse = float(np.sqrt(np.mean(np.log(a[ok] / m[ok]) ** 2))) if ok.any() else None
    return Score(label, len(trials), mape(a, m), mape(a, n), rmse)


def scores(trials: Sequence[Trial], buckets: Sequence[tuple[str, int, int]]) -> list[Score]:
    """Scores per horizon bucket (label, first h, last h), then over all trials."""
    out = [score([t for t in trials if lo <= t.h <= hi], label) for label, lo, hi in buckets]
    return [*out, score(trials, "all")]


Z80 = 1.2815515655446004  # the standard normal's 90th percentile: an 80 % two-sided interval


def interval(point: F64, spread: Sequence[float]) -> tuple[F64, F64]:
    """80 % bounds of forecasts whose log errors have the given root mean squares (one per
    forecast): point x exp(-+ z x spread), the errors taken as normal in logs."""
    s = np.asarray(spread, np.float64)
    low: F64 = point * np.exp(-Z80 * s)
    high: F64 = point * np.exp(Z80 * s)
    return low, high
