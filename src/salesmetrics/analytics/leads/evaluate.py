"""How good a score is on leads it did not learn from: AUC, lift in the top shares, and a
calibration table (each band of predicted probability against the actual rate, with a Wilson
interval for the actual rate, wide enough for all bands at once by Bonferroni)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from salesmetrics.analytics.leads.encoding import F64


def auc(score: F64, y: NDArray[np.bool_]) -> float:
    """The area under the ROC curve (Mann-Whitney, ties counted half)."""
    from scipy.stats import rankdata  # scipy.stats: loaded when used

    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def lift(score: F64, y: NDArray[np.bool_], share: float) -> float:
    """The conversion rate of the top `share` by score over the overall rate."""
    if len(y) == 0 or not y.any():
        return float("nan")
    k = max(1, round(len(y) * share))
    top = np.argsort(-score, kind="stable")[:k]
    return float(y[top].mean() / y.mean())


@dataclass(frozen=True, slots=True)
class Band:
    low: float
    high: float
    leads: int
    predicted: float  # mean predicted probability
    actual: float
    interval: tuple[float, float]  # for the actual rate

    @property
    def within(self) -> bool:
        return self.interval[0] <= self.predicted <= self.interval[1]


def calibration(score: F64, y: NDArray[np.bool_], bands: int = 5,
                confidence: float = 0.95) -> list[Band]:  # fmt: skip
    """Bands of equal size by predicted probability, lowest first."""
    from scipy.stats import binomtest  # scipy.stats: loaded when used

    n = len(y)
    if n == 0:
        return []
    bands = max(1, min(bands, n // 30 or 1))
    order = np.argsort(score, kind="stable")
    level = 1 - (1 - confidence) / bands
    out = []
    for part in np.array_split(order, bands):
        hits, k = int(y[part].sum()), len(part)
        ci = binomtest(hits, k).proportion_ci(confidence_level=level, method="wilson")
        s = score[part]
        interval = (float(ci.low), float(ci.high))
        out.append(Band(float(s.min()), float(s.max()), k, float(s.mean()), hits / k, interval))
    return out
