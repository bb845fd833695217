"""Maximum likelihood on log-parameters, shared by the BG/NBD and Gamma-Gamma fits.

Every parameter of both models is positive, so the search runs on their logarithms (no
constraints to respect, and steps scale with the parameter). L-BFGS-B with the analytic gradient
does the work; if it stops short of a stationary point, Nelder-Mead (which needs no gradient)
takes over from where it stopped, and a last L-BFGS-B run polishes the result. The objective is
the mean negative log-likelihood per customer, so tolerances do not depend on how many customers
there are."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import minimize

from salesmetrics.analytics.clv.errors import FitFailed
from salesmetrics.analytics.clv.units import F64

# (mean negative log-likelihood, its gradient), both for natural-scale parameters
Objective = Callable[[F64], tuple[float, F64]]
LIMIT = 25.0  # |log parameter| beyond this (e^25 ~ 7e10) means the data do not pin it down
GRADIENT_TOLERANCE = 1e-5  # per customer, per unit of log-parameter


def weighted_means(w: F64, *columns: F64) -> F64:
    """sum(w * c) / sum(w) for each column, by elementwise products rather than BLAS dot
    products: on a busy machine, BLAS threads cost more to start than these sums take."""
    total = np.sum(w)
    return np.array([np.sum(w * c) for c in columns]) / total


def _on_log_scale(objective: Objective) -> Callable[[F64], tuple[float, F64]]:
    def f(theta: F64) -> tuple[float, F64]:
        params = np.exp(theta)
        with np.errstate(all="ignore"):  # far-out trial points overflow; they score as +inf
            value, grad = objective(params)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return np.inf, np.zeros_like(theta)
        return value, grad * params

    return f


def _lbfgs(f: Callable[[F64], tuple[float, F64]], theta: F64) -> F64:
    bounds = [(-LIMIT, LIMIT)] * len(theta)
    options = {"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10}
    res = minimize(f, theta, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    return np.asarray(res.x, dtype=np.float64)


def _nelder_mead(f: Callable[[F64], tuple[float, F64]], theta: F64) -> F64:
    # a rescue from a flat or rough start for L-BFGS to polish, not the final answer: bounded,
    # or a degenerate history (a parameter running off) costs 20k+ evaluations before failing
    options = {"maxiter": 4000, "maxfev": 1500, "xatol": 1e-10, "fatol": 1e-14}
    res = minimize(lambda t: f(np.clip(t, -LIMIT, LIMIT))[0], theta, method="Nelder-Mead",
                   options=options)  # fmt: skip
    return np.clip(np.asarray(res.x, dtype=np.float64), -LIMIT, LIMIT)


def _stationary(f: Callable[[F64], tuple[float, F64]], theta: F64) -> bool:
    value, grad = f(theta)
    return bool(np.isfinite(value) and np.max(np.abs(grad)) < GRADIENT_TOLERANCE)


def _check(model: str, names: Sequence[str], theta: F64, ok: bool) -> None:
    if not np.all(np.isfinite(theta)):
        raise FitFailed(f"the {model} fit broke down (a parameter is not a number); "
                        "check the data for extreme values")  # fmt: skip
    for name, value in zip(names, theta, strict=True):
        if abs(value) >= LIMIT - 1e-6:
            size = "infinite" if value > 0 else "zero"
            raise FitFailed(f"the data do not pin down the {model} model: its parameter {name} "
                            f"runs off to {size}; more customers or a longer history are "
                            "needed")  # fmt: skip
    if not ok:
        raise FitFailed(f"the {model} fit did not converge; the data may be too few or too "
                        "irregular for this model")  # fmt: skip


def maximise(objective: Objective, start: Sequence[float], names: Sequence[str],
             model: str) -> F64:  # fmt: skip
    """The parameters (natural scale) that maximise the likelihood, or FitFailed saying why."""
    f = _on_log_scale(objective)
    theta = _lbfgs(f, np.log(np.asarray(start, dtype=np.float64)))
    if not _stationary(f, theta):
        theta = _lbfgs(f, _nelder_mead(f, theta))
    theta = _lbfgs(f, theta)  # polish: a fresh run, without the old curvature estimates
    _check(model, names, theta, _stationary(f, theta))
    return np.exp(theta)
