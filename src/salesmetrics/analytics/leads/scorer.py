"""A lead's score and why: the calibrated model and the points table, blended by how much
history there is, with every factor's pull in percentage points.

The model's share grows linearly from 0 at `min_history` decided leads to 1 at `full_history`
(below `min_history` there is no model: the points table alone). A model factor's points are
how far the lead's probability would fall (or rise) if that column were the average lead's:
p - p(logit - pull); a rule's points are its points in the table. Both are scaled by their
share of the blend, so the factors of one lead add up to roughly its distance from the base.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from salesmetrics.analytics.leads.encoding import F64, Columns
from salesmetrics.analytics.leads.model import LeadModel
from salesmetrics.analytics.leads.rules import Rule, RuleTable

MIN_POINTS = 0.5  # smaller pulls are not worth a line


def model_share(decided: int, min_history: int, full_history: int) -> float:
    """How much of the blended score comes from the model, given the decided leads learnt."""
    if decided < min_history:
        return 0.0
    if full_history <= min_history:
        return 1.0
    return float(min(1.0, (decided - min_history) / (full_history - min_history)))


@dataclass(frozen=True, slots=True)
class Factor:
    column: str
    value: Any  # the lead's raw value of the column
    points: float  # percentage points, + pushes the score up
    rule: Rule | None = None  # a points-table rule, or None for the model


@dataclass(frozen=True, slots=True)
class Scorer:
    rules: RuleTable
    model: LeadModel | None = None
    share: float = 0.0  # the model's share of the blend

    def probability(self, raw: Columns) -> F64:
        if self.model is None or self.share <= 0:
            return self.rules.score(raw)
        out: F64 = self.model.predict_proba(raw)
        if self.share < 1:
            out = self.share * out + (1 - self.share) * self.rules.score(raw)
        return out

    def ranked(self, raw: Columns, top: int | None = None) -> Ranked:
        """Probabilities and each lead's factors, the strongest first (up to `top`), as plain
        lists: what a queue of 100k leads can afford."""
        n = len(next(iter(raw.values()))) if raw else 0
        learnt = self.model is not None and self.share > 0
        blend = not learnt or self.share < 1  # the points table has a part in the score
        table = self.rules.rules if blend else ()
        points = self.rules.points(raw) * (1 - self.share) if blend else np.zeros((n, 0))
        p = self.rules.score(raw) if blend else np.zeros(n)
        names: list[str] = []
        drop = np.zeros((n, 0))
        if self.model is not None and learnt:
            names, pulls, z = self.model.pulls(raw)
            pm = self.model.calibrate(z)
            drop = (pm[:, None] - self.model.calibrate(z[:, None] - pulls)) * 100 * self.share
            p = self.share * pm + (1 - self.share) * p
        both = np.hstack([drop, points])
        columns = [*names, *(r.field for r in table)]
        nothing: list[Any] = [None] * n
        k = both.shape[1]
        order = np.argsort(-np.abs(both), axis=1, kind="stable")[:, : min(top or k, k)]
        chosen = np.take_along_axis(both, order, axis=1)
        shown = (np.abs(chosen) >= MIN_POINTS).sum(axis=1)  # sorted by size: a prefix
        return Ranked(p, order.tolist(), chosen.tolist(), shown.tolist(), columns,
                      [*([None] * len(names)), *table],
                      [raw.get(col, nothing) for col in columns])  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ranked:
    """Each lead's probability and its factors: `order[i][:shown[i]]` are the indices of
    lead i's shown factors, strongest first, and `points[i]` their points."""

    probability: F64
    order: list[list[int]]
    points: list[list[float]]
    shown: list[int]
    columns: list[str]  # per factor index
    rules: list[Rule | None]  # per factor index: the rule, or None for a model column
    values: list[Sequence[Any]]  # per factor index: every lead's raw value

    def factor(self, i: int, j: int, points: float) -> Factor:
        return Factor(self.columns[j], self.values[j][i], points, self.rules[j])
