"""The baseline: naive Bayes over won/lost frequencies, as Odoo's predictive lead scoring does.

For every column, the share of converted and of lost leads with each value (numbers cut into
quintiles, missing as a value of its own), with add-one smoothing; a lead's odds are the prior
odds times the ratio of those shares over its values, as if the columns were independent."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from salesmetrics.analytics.leads.encoding import (
    F64,
    MISSING,
    NUMBER,
    Columns,
    _as_number,
    kind_of,
    levels_of,
)
from salesmetrics.analytics.leads.model import sigmoid

UNSEEN = "\0unseen"


def _numbers(values: Sequence[Any]) -> F64:
    return np.array([np.nan if (v := _as_number(r)) is None else v for r in values], np.float64)


@dataclass(slots=True)
class NaiveBayes:
    prior_: float = 0.0  # log prior odds
    tables_: dict[str, dict[str, float]] = field(default_factory=dict)  # log likelihood ratios
    edges_: dict[str, list[float]] = field(default_factory=dict)

    def _levels(self, name: str, values: Sequence[Any]) -> NDArray[np.str_]:
        if name in self.edges_:
            x = _numbers(values)
            bins = np.searchsorted(self.edges_[name], x, side="right")
            return np.where(np.isnan(x), MISSING, np.char.add("q", bins.astype(str)))
        return np.asarray(levels_of(values), dtype=str)

    def fit(self, raw: Columns, y: NDArray[np.bool_]) -> NaiveBayes:
        won, lost = int(y.sum()), int((~y).sum())
        self.prior_ = math.log((won + 1) / (lost + 1))
        for name in raw:
            kind = kind_of(raw[name])
            if kind is None:
                continue
            if kind == NUMBER:
                x = _numbers(raw[name])
                x = x[~np.isnan(x)]
                self.edges_[name] = sorted(set(np.quantile(x, [0.2, 0.4, 0.6, 0.8]).tolist()))
            levels, at = np.unique(self._levels(name, raw[name]), return_inverse=True)
            w = np.bincount(at[y], minlength=len(levels))
            n = np.bincount(at[~y], minlength=len(levels))
            k = len(levels) + 1  # one more for a value never seen
            ratio = np.log((w + 1) / (won + k)) - np.log((n + 1) / (lost + k))
            table = dict(zip(levels.tolist(), ratio.tolist(), strict=True))
            table[UNSEEN] = math.log(1 / (won + k)) - math.log(1 / (lost + k))
            self.tables_[name] = table
        return self

    def predict_proba(self, raw: Mapping[str, Any]) -> F64:
        n = len(next(iter(raw.values()))) if raw else 0
        z = np.full(n, self.prior_)
        for name, table in self.tables_.items():
            levels, at = np.unique(self._levels(name, raw.get(name, [None] * n)),
                                   return_inverse=True)  # fmt: skip
            unseen = table[UNSEEN]
            z += np.array([table.get(lv, unseen) for lv in levels.tolist()])[at]
        return sigmoid(z)
