"""RFM: each customer's recency, frequency and monetary scores 1..k, its segment from a segment
table, a summary per segment, and the movement between segments from one snapshot to the next.

**Scores** are rank-based quantiles: a value's percentile rank is rank / n, with ranks as
`scipy.stats.rankdata(method="min")` gives them (tied values share the lowest rank they span:
1 + how many values are smaller, found by binary search in the sorted values), and its
score is ceil(rank / n * k), computed in whole numbers so no rounding error moves a customer
across a boundary. Equal values always share a score and the order of the customers does not
matter. A large tie lands at the bottom of its ranks: when 60 % of customers bought once, they
all score 1 on frequency (bought once is the least frequent), and the next frequency starts at
ceil(0.6 * 5 + ...) = 4; a table must not count on every score being in use. Recency is scored
on the days negated: the most recent customers score k.

**FM** is the mean of the F and M scores with a half rounded up (F 5 and M 4 give FM 5), the
usual single "value" axis of the R-vs-FM grid.

**Another k than the table's scale** (k 3..10, the default table is for 5): each score is mapped
onto the table's scale through the middle of its percentile band. Score s of k stands for the
ranks in ((s - 1) / k, s / k]; the middle, (s - 1/2) / k, falls in the table's score
ceil((s - 1/2) / k * scale). On k = scale this is the identity; above the scale every table
score is used; below it some are skipped (k = 3 on the 5-grid gives 1, 3 and 5), so for a
coarse k write a table with that `scale` instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from salesmetrics.analytics.segments.table import (
    I64,
    MAX_SCALE,
    MIN_SCALE,
    NONE,
    SegmentRule,
    SegmentTable,
    SegmentTableError,
)

__all__ = [
    "NONE",
    "Assignment",
    "SegmentRule",
    "SegmentSummary",
    "SegmentTable",
    "SegmentTableError",
    "Transitions",
    "assign",
    "fm_score",
    "quantile_scores",
    "rescale",
    "summary",
    "transitions",
]

F64 = NDArray[np.float64]
DEFAULT_K = 5


def _check_k(k: int) -> None:
    if not MIN_SCALE <= k <= MAX_SCALE:
        raise ValueError(f"k (the number of scores) must be {MIN_SCALE}..{MAX_SCALE}, not {k}")


def _ceil_div(a: I64, b: int) -> I64:
    out: I64 = -((-a) // b)
    return out


def quantile_scores(values: ArrayLike, k: int = DEFAULT_K) -> I64:
    """Scores 1..k: ceil(rank / n * k), higher values scoring higher; tied values share the
    LOWEST rank among them, so a big tie at the bottom (the many customers who bought once)
    scores 1 rather than the middle of its band, and the "bought once" cells of the grid (New,
    Promising) are reachable."""
    _check_k(k)
    x = np.asarray(values)
    if x.ndim != 1 or x.dtype.kind not in "iuf" or not np.isfinite(x).all():
        raise ValueError("scores are of one finite number per customer")
    if len(x) == 0:
        return np.zeros(0, np.int64)
    # rankdata(method="min") without scipy.stats, whose first import took ~0.2-0.8 s of a refresh
    ranks = np.searchsorted(np.sort(x), x, side="left").astype(np.int64) + 1
    return _ceil_div(ranks * k, len(x))


def rescale(scores: ArrayLike, k: int, scale: int) -> I64:
    """Scores of k mapped onto 1..scale through the middle of their percentile band."""
    s = np.asarray(scores, np.int64)
    return _ceil_div((2 * s - 1) * scale, 2 * k)


def fm_score(f: ArrayLike, m: ArrayLike) -> I64:
    """The mean of the F and M scores, a half rounded up."""
    out: I64 = (np.asarray(f, np.int64) + np.asarray(m, np.int64) + 1) // 2
    return out


def _inputs(recency: ArrayLike, frequency: ArrayLike,
            monetary: ArrayLike) -> tuple[F64, F64, I64]:  # fmt: skip
    r, f, m = np.asarray(recency), np.asarray(frequency), np.asarray(monetary)
    if not r.ndim == f.ndim == m.ndim == 1 or not len(r) == len(f) == len(m):
        raise ValueError("recency, frequency and monetary are one value per customer, "
                         f"as many of each (got {r.shape}, {f.shape}, {m.shape})")  # fmt: skip
    for name, x in (("recency", r), ("frequency", f)):
        if x.dtype.kind not in "iuf" or not np.isfinite(x).all() or (x < 0).any():
            raise ValueError(f"{name} must be numbers of at least 0, with no gaps")
    if m.dtype.kind not in "iu":
        raise ValueError("monetary is in whole minor units (cents, kopecks), not "
                         f"{m.dtype} values")  # fmt: skip
    return r.astype(np.float64), f.astype(np.float64), m.astype(np.int64)


@dataclass(frozen=True, slots=True)
class Assignment:
    """Per customer: scores on k, the cell on the table's grid and the segment."""

    k: int
    r: I64
    f: I64
    m: I64
    fm: I64  # fm_score(f, m), on k
    cell_r: I64  # R on the table's scale
    cell_fm: I64  # FM on the table's scale
    rule: I64  # index into names
    segment: NDArray[np.str_]  # the segment's code
    names: tuple[str, ...]  # the table's segments, in its order
    recency: F64
    frequency: F64
    monetary: I64


def assign(recency: ArrayLike, frequency: ArrayLike, monetary: ArrayLike,
           table: SegmentTable, k: int = DEFAULT_K) -> Assignment:  # fmt: skip
    """Scores and the segment of every customer (recency in days to the as-of date)."""
    days, freq, money = _inputs(recency, frequency, monetary)
    r, f, m = quantile_scores(-days, k), quantile_scores(freq, k), quantile_scores(money, k)
    cell_r = rescale(r, k, table.scale)
    cell_fm = fm_score(rescale(f, k, table.scale), rescale(m, k, table.scale))
    rule = table.lookup(cell_r, cell_fm)
    names = table.names
    segment = np.asarray(names, dtype=np.str_)[rule]
    return Assignment(k, r, f, m, fm_score(f, m), cell_r, cell_fm, rule, segment, names,
                      days, freq, money)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SegmentSummary:
    """One segment's customers and what they are like (means are None for no customers)."""

    name: str
    customers: int
    share: float  # of all customers
    revenue: int  # sum of monetary, minor units
    mean_r: float | None  # scores
    mean_f: float | None
    mean_m: float | None
    mean_recency: float | None  # days
    mean_frequency: float | None
    mean_monetary: float | None  # minor units


def _mean(x: NDArray[np.generic]) -> float | None:
    return float(x.mean()) if len(x) else None


def summary(a: Assignment) -> list[SegmentSummary]:
    """Every segment of the table, in its order, empty ones included."""
    n = len(a.rule)
    out = []
    for j, name in enumerate(a.names):
        at = a.rule == j
        c = int(at.sum())
        out.append(SegmentSummary(
            name, c, c / n if n else 0.0, int(a.monetary[at].sum()),
            _mean(a.r[at]), _mean(a.f[at]), _mean(a.m[at]),
            _mean(a.recency[at]), _mean(a.frequency[at]), _mean(a.monetary[at]),
        ))  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class Transitions:
    """Movement between two snapshots: counts[i, j] customers went from labels[i] to
    labels[j]; the last label is `none` (not in that snapshot: new, or gone)."""

    labels: tuple[str, ...]
    counts: I64

    @property
    def shares(self) -> F64:
        """Each row's counts as shares of the row (a row with no customers: zeros)."""
        total = self.counts.sum(axis=1, keepdims=True)
        out: F64 = np.divide(self.counts, total, out=np.zeros(self.counts.shape),
                             where=total > 0)  # fmt: skip
        return out

    def count(self, before: str, after: str) -> int:
        return int(self.counts[self.labels.index(before), self.labels.index(after)])


def transitions(before: Mapping[Hashable, str], after: Mapping[Hashable, str],
                names: Sequence[str]) -> Transitions:  # fmt: skip
    """The movement matrix from `before` to `after` (customer id -> segment code)."""
    if NONE in names or len(set(names)) != len(names):
        raise ValueError(f"segment names must be distinct and not {NONE!r}")
    labels = (*names, NONE)
    index = {name: i for i, name in enumerate(names)}
    none = len(names)

    def at(code: str, which: str) -> int:
        i = index.get(code)
        if i is None:
            raise ValueError(f"{which} snapshot: {code!r} is not one of {', '.join(names)}")
        return i

    counts = np.zeros((none + 1, none + 1), np.int64)
    for customer, code in before.items():
        now = after.get(customer)
        counts[at(code, "before"), none if now is None else at(now, "after")] += 1
    for customer, code in after.items():
        if customer not in before:
            counts[none, at(code, "after")] += 1
    return Transitions(labels, counts)
