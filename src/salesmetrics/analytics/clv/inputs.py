"""Checks on the per-customer arrays the models read, each failure told as the number of
customers affected and the first row, so the user can find it."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from salesmetrics.analytics.clv.errors import BadInput
from salesmetrics.analytics.clv.units import F64


def _complain(bad: NDArray[np.bool_], what: str, **shown: F64) -> None:
    if not bad.any():
        return
    row = int(np.flatnonzero(bad)[0])
    values = ", ".join(f"{name} {float(v[row]):g}" for name, v in shown.items())
    count = int(bad.sum())
    noun = "customer" if count == 1 else "customers"
    raise BadInput(f"{what} for {count} {noun} (the first at row {row}: {values})")


def as_floats(name: str, values: ArrayLike) -> F64:
    """A 1-D float array of finite numbers."""
    out = np.asarray(values, dtype=np.float64)
    if out.ndim != 1:
        raise BadInput(f"{name} must be a flat list of numbers, one per customer")
    _complain(~np.isfinite(out), f"{name} is missing or not finite", **{name: out})
    return out


def same_length(**arrays: NDArray[Any]) -> int:
    """The common length, or a BadInput listing every length."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} {n}" for name, n in lengths.items())
        raise BadInput(f"one value per customer is needed in each array; got {listed}")
    return next(iter(lengths.values()), 0)


def weights_of(weights: ArrayLike | None, n: int) -> F64:
    """Row weights (how many customers each row stands for): ones when not given."""
    if weights is None:
        return np.ones(n)
    w = as_floats("weights", weights)
    same_length(rows=np.empty(n), weights=w)
    _complain(w < 0, "weights are negative", weights=w)
    return w


def frequencies(values: ArrayLike) -> F64:
    """Repeat-purchase counts: whole numbers, never negative (kept as floats for the maths)."""
    x = as_floats("frequency", values)
    _complain((x < 0) | (x != np.floor(x)), "frequency is not a whole number >= 0", frequency=x)
    return x


def histories(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[F64, F64, F64]:
    """(x, t_x, T) checked against each other: 0 <= t_x <= T, and t_x = 0 when x = 0."""
    x, t_x, big_t = frequencies(frequency), as_floats("recency", recency), as_floats("T", T)
    same_length(frequency=x, recency=t_x, T=big_t)
    _complain(t_x < 0, "recency is negative", recency=t_x)
    _complain(t_x > big_t, "recency is greater than T", recency=t_x, T=big_t)
    _complain((x == 0) & (t_x != 0), "recency is not 0 though frequency is 0", recency=t_x)
    return x, t_x, big_t
