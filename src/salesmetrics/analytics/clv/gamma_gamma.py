"""Gamma-Gamma: what a customer will spend per purchase.

Source: P. S. Fader and B. G. S. Hardie (2013), "The Gamma-Gamma Model of Monetary Value",
note 025 (after Colombo & Jiang 1999). Each purchase of a customer is Gamma(p, nu); nu varies
over customers as Gamma(q, gamma). The mean m of a customer's x repeat purchases then has

    f(m | x) = G(px+q) / (G(px) G(q)) gamma^q x^(px) m^(px-1) / (gamma + x m)^(px+q)
    E[spend | x, m] = p (gamma + x m) / (px + q - 1)

a weighted average of the population mean p gamma / (q - 1) and the customer's own mean, the
customer's weight growing with x. A customer with no repeat purchase gets the population mean.

Caveats, as in the note:
- the model assumes spend per purchase is independent of how often one buys; check it
  (`spend_frequency_correlation`, near 0 is the hope: CDNOW's is 0.11) before multiplying the
  two models together;
- m is the mean of the *repeat* purchases in calibration (the first left out, same-day orders
  summed, as `summary` computes it): the published CDNOW fit (p = 6.25, q = 3.74,
  gamma = 15.44, 946 customers with x > 0) is reproduced from that mean computed from the raw
  lines (6.2496, 3.7442, 15.4435); the same mean rounded to cents, as in lifetimes' file
  cdnow_customers_summary_with_transactions.csv, gives gamma = 15.448;
- spend is per purchase as recorded (gross of returns unless the order lines net them);
  q <= 1 means the fitted spend distribution has no finite mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, gammaln

from salesmetrics.analytics.clv.errors import BadInput, ClvError, TooLittleData
from salesmetrics.analytics.clv.inputs import as_floats, frequencies, same_length, weights_of
from salesmetrics.analytics.clv.optimise import maximise, weighted_means
from salesmetrics.analytics.clv.units import F64

NAMES = ("p", "q", "gamma")
MIN_REPEAT_CUSTOMERS = 10


def _spends(frequency: ArrayLike, monetary: ArrayLike) -> tuple[F64, F64]:
    x, m = frequencies(frequency), as_floats("monetary", monetary)
    same_length(frequency=x, monetary=m)
    return x, m


@dataclass(frozen=True, slots=True)
class _Rows:
    """The repeat customers, with what the likelihood needs that does not change with the
    parameters; terms depending on x alone are computed once per distinct x (`xs`, `at`)."""

    x: F64
    xm: F64  # x * m: the customer's total repeat spend
    log_xm: F64
    log_m: F64
    w: F64
    xs: F64
    at: NDArray[np.intp]

    @staticmethod
    def of(x: F64, m: F64, w: F64) -> _Rows:
        """The rows with x > 0, whose mean spend must be positive."""
        keep = x > 0
        bad = keep & (m <= 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise BadInput(f"{int(bad.sum())} repeat customers have a mean spend of 0 or less "
                           f"(the first at row {row}: {m[row]:g}); the spend model needs "
                           "positive amounts: leave them out or net returns per order")  # fmt: skip
        x, m = x[keep], m[keep]
        xs, at = np.unique(x, return_inverse=True)
        return _Rows(x, x * m, np.log(x * m), np.log(m), w[keep], xs, at)


def _row_log_likelihood(params: F64, rows: _Rows) -> F64:
    p, q, gamma = params
    by_x = gammaln(p * rows.xs + q) - gammaln(p * rows.xs) - gammaln(q)
    px = p * rows.x
    out: F64 = (by_x[rows.at] + q * np.log(gamma) + px * rows.log_xm - rows.log_m
                - (px + q) * np.log(gamma + rows.xm))  # fmt: skip
    return out


def _objective(params: F64, rows: _Rows) -> tuple[float, F64]:
    """Mean negative log-likelihood and its gradient in (p, q, gamma)."""
    p, q, gamma = params
    ll = _row_log_likelihood(params, rows)
    x, at = rows.x, rows.at
    both = digamma(p * rows.xs + q)
    log_total = np.log(gamma + rows.xm)
    g_p = x * ((both - digamma(p * rows.xs))[at] + rows.log_xm - log_total)
    g_q = (both - digamma(q))[at] + np.log(gamma) - log_total
    g_gamma = q / gamma - (p * x + q) / (gamma + rows.xm)
    means = weighted_means(rows.w, ll, g_p, g_q, g_gamma)
    return -float(means[0]), -means[1:]


@dataclass(frozen=True, slots=True)
class GammaGamma:
    """Gamma-Gamma parameters, in the currency of the amounts it was fitted on."""

    p: float
    q: float
    gamma: float

    @property
    def params(self) -> F64:
        return np.array([self.p, self.q, self.gamma])

    @staticmethod
    def fit(frequency: ArrayLike, monetary: ArrayLike, *,
            weights: ArrayLike | None = None) -> GammaGamma:  # fmt: skip
        """Maximum likelihood over the repeat customers (x > 0); `monetary` is the mean of each
        customer's repeat purchases, and customers with x = 0 are ignored."""
        x, m = _spends(frequency, monetary)
        rows = _Rows.of(x, m, weights_of(weights, len(x)))
        w = rows.w
        if w.sum() < MIN_REPEAT_CUSTOMERS:
            raise TooLittleData(f"the spend model needs at least {MIN_REPEAT_CUSTOMERS} "
                                f"customers who bought twice, got {w.sum():g}")  # fmt: skip
        start = (1.0, 2.0, float(weighted_means(w, rows.xm / rows.x)[0]))
        p, q, gamma = maximise(lambda v: _objective(v, rows), start, NAMES,
                               "spend (Gamma-Gamma)")  # fmt: skip
        return GammaGamma(float(p), float(q), float(gamma))

    def log_likelihood(self, frequency: ArrayLike, monetary: ArrayLike,
                       weights: ArrayLike | None = None) -> float:  # fmt: skip
        """The total log-likelihood of the repeat customers' mean spends."""
        x, m = _spends(frequency, monetary)
        rows = _Rows.of(x, m, weights_of(weights, len(x)))
        return float(np.sum(rows.w * _row_log_likelihood(self.params, rows)))

    @property
    def mean_spend(self) -> float:
        """The population's mean spend per purchase, p gamma / (q - 1)."""
        if self.q <= 1:
            raise ClvError(f"the fitted spend distribution has no finite mean (q = {self.q:.3g} "
                           "<= 1): a few very large purchases dominate")  # fmt: skip
        return self.p * self.gamma / (self.q - 1)

    def conditional_expected_spend(self, frequency: ArrayLike, monetary: ArrayLike) -> F64:
        """Each customer's expected spend per future purchase (x = 0: the population mean)."""
        x, m = _spends(frequency, monetary)
        weight = self.p * x + self.q - 1
        if np.any(weight <= 0):
            raise ClvError(f"the fitted spend distribution has no finite mean (q = {self.q:.3g} "
                           "<= 1), so customers without repeat purchases have no expected "
                           "spend")  # fmt: skip
        out: F64 = self.p * (self.gamma + x * np.where(x > 0, m, 0.0)) / weight
        return out

    def to_json(self) -> dict[str, Any]:
        return {"model": "gamma_gamma", "p": self.p, "q": self.q, "gamma": self.gamma}

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> GammaGamma:
        if d.get("model") != "gamma_gamma":
            raise BadInput(f"not Gamma-Gamma parameters (model is {d.get('model')!r})")
        values = [d.get(name) for name in NAMES]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < np.inf
                   for v in values):  # fmt: skip
            raise BadInput(f"Gamma-Gamma parameters must be positive numbers, got {values}")
        p, q, gamma = (float(v) for v in values)  # type: ignore[arg-type]
        return GammaGamma(p, q, gamma)


def spend_frequency_correlation(frequency: ArrayLike, monetary: ArrayLike) -> float:
    """Pearson correlation of x and mean spend over repeat customers: the Gamma-Gamma model
    assumes the two are independent, so a value far from 0 says not to use it."""
    x, m = _spends(frequency, monetary)
    keep = x > 0
    if keep.sum() < 3:
        raise TooLittleData("fewer than 3 repeat customers: no correlation to speak of")
    return float(np.corrcoef(x[keep], m[keep])[0, 1])
