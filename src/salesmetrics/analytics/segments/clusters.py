"""Behaviour clusters: k-means over named numeric features per customer, k chosen by the
silhouette, clusters numbered in a canonical order, and each cluster's profile.

**Scaling.** Distances only mean something once every feature is on one footing. A feature
that is never negative and is skewed to the right (sample skewness above 1: money, order
counts, days) is taken as ln(1 + x) first, so a handful of big spenders does not become a
cluster of its own with everyone else in one blob; then every feature is z-scored (mean 0,
standard deviation 1; a constant feature stays 0). It is the rule the lead encoder uses.

**Choosing k.** For every k in `k_range`, k-means (k-means++ starts, `n_init` of them, the least
inertia kept) on one random sample of at most `select_rows` customers; each fit is scored by
the mean silhouette of one fixed random sample of at most `silhouette_rows` customers (the same
rows for every k, so the scores compare). The highest score wins, a tie going to the smaller k;
the scores stay in `scores_`. The silhouette rewards compact, well-separated groups; on data
with no real groups it tends to pick 2 with a low score, which is the honest answer.

**Scale.** The chosen k's centres are refined on a larger sample (`fit_rows`; k-means started
from them, one run) and then every customer takes its nearest centre, which is what k-means
itself assigns at convergence; with a sample of 100k the centres' noise is far below the spread
of any cluster worth naming. A centre no customer is nearest to (possible only with a sample)
is dropped. Nothing here is quadratic in the customers: 1M customers cost one scaling pass and
one nearest-centre pass beyond the samples' fits.

**Canonical order.** Clusters are numbered by size, largest first (ties by their centres), so
runs with different seeds number the same groups the same way; `agreement` (the adjusted Rand
index) measures how close two partitions are whatever their numbering.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from threadpoolctl import threadpool_limits

from salesmetrics.analytics.segments.words import describe

__all__ = ["Clusters", "Profile", "Scaling", "agreement", "describe", "nearest", "silhouettes"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Features = Mapping[str, ArrayLike]
SKEWED = 1.0  # sample skewness above which a non-negative feature is taken as ln(1 + x)
CHUNK = 1 << 17  # rows at a time when assigning centres (bounds the memory)
BLOCK = 512  # rows at a time of the silhouette's distance matrix
STANDOUTS = 3  # at most this many standout features per cluster
MIN_Z = 0.5  # a centre closer than this to the average (in standard units) is not a standout


def _matrix(features: Features, names: Sequence[str]) -> F64:
    """The features as an (n, d) matrix in `names` order, checked."""
    if not names:
        raise ValueError("clustering needs at least one feature")
    cols = []
    for name in names:
        if name not in features:
            raise ValueError(f"feature {name!r} is missing")
        x = np.asarray(features[name], np.float64)
        if x.ndim != 1 or not np.isfinite(x).all():
            raise ValueError(f"feature {name!r}: one finite number per customer, no gaps")
        cols.append(x)
    if len({len(c) for c in cols}) != 1:
        raise ValueError("every feature needs one value per customer, as many of each")
    return np.column_stack(cols)


def _skewed(x: F64) -> NDArray[np.bool_]:
    """Per column: never negative and skewed to the right."""
    d = x - x.mean(axis=0)
    sd = d.std(axis=0)
    skew = (d * d * d).mean(axis=0) / np.where(sd > 0, sd, 1.0) ** 3
    out: NDArray[np.bool_] = (x.min(axis=0) >= 0) & (sd > 0) & (skew > SKEWED)
    return out


def _logged(x: F64, log: Sequence[bool]) -> F64:
    t = x.copy()
    for j in np.flatnonzero(log):
        t[:, j] = np.log1p(np.maximum(x[:, j], 0.0))
    return t


def load_ahead() -> None:
    """Start importing scikit-learn's k-means in the background (~0.5 s, and lazy so that
    commands which never cluster do not pay it): a caller that will cluster soon, such as an
    import whose segments are refreshed after it, calls this before its other work."""
    if "sklearn.cluster" in sys.modules:
        return
    threading.Thread(
        target=importlib.import_module, args=("sklearn.cluster",), name="load-kmeans", daemon=True
    ).start()


@dataclass(frozen=True, slots=True)
class Scaling:
    """Per feature: ln(1 + x) or not, then the mean and standard deviation taken out."""

    names: tuple[str, ...]
    log: tuple[bool, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @staticmethod
    def learn(x: F64, names: Sequence[str]) -> Scaling:
        log = tuple(bool(b) for b in _skewed(x))
        t = _logged(x, log)
        std = tuple(float(s) or 1.0 for s in t.std(axis=0))
        return Scaling(tuple(names), log, tuple(float(m) for m in t.mean(axis=0)), std)

    def apply(self, x: F64) -> F64:
        """Raw (n, d) -> standard units."""
        out: F64 = (_logged(x, self.log) - np.asarray(self.mean)) / np.asarray(self.std)
        return out

    def to_json(self) -> list[dict[str, Any]]:
        rows = zip(self.names, self.log, self.mean, self.std, strict=True)
        return [{"name": n, "log": lg, "mean": m, "std": s} for n, lg, m, s in rows]

    @staticmethod
    def from_json(d: Sequence[Mapping[str, Any]]) -> Scaling:
        names = tuple(str(f["name"]) for f in d)
        log = tuple(bool(f["log"]) for f in d)
        return Scaling(names, log, tuple(float(f["mean"]) for f in d),
                       tuple(float(f["std"]) for f in d))  # fmt: skip


def nearest(z: F64, centres: F64) -> I64:
    """Each row's nearest centre (squared Euclidean; a tie goes to the lower number)."""
    out = np.empty(len(z), np.int64)
    for a in range(0, len(z), CHUNK):
        part = z[a : a + CHUNK]
        d = np.column_stack([((part - c) ** 2).sum(axis=1) for c in centres])
        out[a : a + len(part)] = d.argmin(axis=1)
    return out


def silhouettes(z: F64, labelings: Sequence[I64]) -> list[float]:
    """The mean silhouette of each labelling of the same rows (as sklearn's silhouette_score:
    (b - a) / max(a, b), 0 for a cluster of one), from one pass over their pairwise distances
    in blocks of rows, so judging every k costs one distance matrix and little memory."""
    n = len(z)
    sq = (z * z).sum(axis=1)
    members = [np.eye(int(lab.max()) + 1)[lab] for lab in labelings]  # (n, k) each
    sizes = [m.sum(axis=0) for m in members]
    total = np.zeros(len(labelings))
    for a in range(0, n, BLOCK):
        rows = np.arange(min(BLOCK, n - a))
        d = np.sqrt(np.maximum(sq[a : a + BLOCK, None] + sq[None, :] - 2 * z[a : a + BLOCK] @ z.T,
                               0.0))  # fmt: skip
        d[rows, a + rows] = 0.0
        for i, (lab, m, size) in enumerate(zip(labelings, members, sizes, strict=True)):
            sums, own = d @ m, lab[a : a + BLOCK]
            others = size[own] - 1
            inside = sums[rows, own] / np.maximum(others, 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                between = np.where(size > 0, sums / size, np.inf)
            between[rows, own] = np.inf
            nearest_other = between.min(axis=1)
            s = (nearest_other - inside) / np.maximum(np.maximum(inside, nearest_other), 1e-300)
            total[i] += float(np.where(others > 0, s, 0.0).sum())
    return (total / n).tolist() if n else [0.0] * len(labelings)


def agreement(a: ArrayLike, b: ArrayLike) -> float:
    """How alike two partitions of the same customers are: the adjusted Rand index (1 the
    same grouping whatever the numbers, about 0 as alike as chance)."""
    from sklearn.metrics import adjusted_rand_score  # sklearn: loaded when used

    return float(adjusted_rand_score(np.asarray(a), np.asarray(b)))


def _sample(n: int, rows: int, rng: np.random.Generator) -> I64:
    if n <= rows:
        return np.arange(n, dtype=np.int64)
    return np.sort(rng.choice(n, rows, replace=False)).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Profile:
    """One cluster as data a service can put into words."""

    cluster: int
    size: int
    share: float
    means: dict[str, float]  # raw feature means (NaN: no customers in the cluster here)
    centre: dict[str, float]  # feature means in standard units (0: no customers)
    standouts: tuple[tuple[str, float], ...]  # (feature, z), largest |z| first


def _canonical(centres: F64, labels: I64) -> tuple[F64, I64]:
    """Centres renumbered largest cluster first, empty ones dropped; labels to match."""
    sizes = np.bincount(labels, minlength=len(centres))
    order = sorted((c for c in range(len(centres)) if sizes[c] > 0),
                   key=lambda c: (-int(sizes[c]), tuple(centres[c].tolist())))  # fmt: skip
    new = np.full(len(centres), -1, np.int64)
    new[order] = np.arange(len(order))
    return centres[order], new[labels]


@dataclass(slots=True)
class Clusters:
    """fit(features) -> the clusters of every customer and their profiles."""

    k_range: tuple[int, int] = (2, 8)
    seed: int = 0
    n_init: int = 10
    select_rows: int = 10_000
    silhouette_rows: int = 5_000
    fit_rows: int = 100_000
    scaling_: Scaling = field(default_factory=lambda: Scaling((), (), (), ()))
    centres_: F64 = field(default_factory=lambda: np.zeros((0, 0)))  # standard units
    scores_: dict[int, float] = field(default_factory=dict)  # k -> mean silhouette
    labels_: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    profiles_: list[Profile] = field(default_factory=list)

    @property
    def k_(self) -> int:
        return len(self.centres_)

    def _kmeans(self, z: F64, k: int, start: F64 | None = None) -> F64:
        """k-means centres: from `n_init` k-means++ starts, or refined from `start`."""
        from sklearn.cluster import KMeans

        init: Any = "k-means++" if start is None else start
        runs = self.n_init if start is None else 1
        # one thread: on samples this small, OpenMP's threads cost more than they give (7 s
        # instead of 0.5 s for the demo's 3,900 customers on a busy 2-core machine)
        with threadpool_limits(limits=1):
            fit = KMeans(n_clusters=k, init=init, n_init=runs, random_state=self.seed).fit(z)
        out: F64 = fit.cluster_centers_.astype(np.float64)
        return out

    def _ks(self, n: int) -> range:
        lo, hi = self.k_range
        if not 2 <= lo <= hi:
            raise ValueError(f"k_range must be (low, high) with 2 <= low <= high, not {lo, hi}")
        if n < lo + 1:
            raise ValueError(f"{n} customers are too few for {lo} clusters")
        return range(lo, min(hi, n - 1) + 1)

    def _choose(self, z: F64, rng: np.random.Generator) -> tuple[F64, bool]:
        """The centres of the k with the best silhouette, and whether all rows were used."""
        rows = _sample(len(z), self.select_rows, rng)
        judged = z[_sample(len(z), self.silhouette_rows, rng)]
        fitted = {k: self._kmeans(z[rows], k) for k in self._ks(len(z))}
        got = [nearest(judged, centres) for centres in fitted.values()]
        ok = [1 < len(np.unique(g)) < len(judged) for g in got]
        scores = silhouettes(judged, got)
        self.scores_ = {k: s if fine else -1.0
                        for k, s, fine in zip(fitted, scores, ok, strict=True)}  # fmt: skip
        best = max(self.scores_, key=lambda k: (self.scores_[k], -k))
        return fitted[best], len(rows) == len(z)

    def fit(self, features: Features) -> Clusters:
        names = list(features)
        x = _matrix(features, names)
        self.scaling_ = Scaling.learn(x, names)
        z = self.scaling_.apply(x)
        rng = np.random.default_rng(self.seed)
        centres, everyone = self._choose(z, rng)
        if not everyone:  # refine the chosen centres on a larger sample
            centres = self._kmeans(z[_sample(len(z), self.fit_rows, rng)], len(centres), centres)
        self.centres_, self.labels_ = _canonical(centres, nearest(z, centres))
        self.profiles_ = _profiles(x, z, self.labels_, names, self.k_)
        return self

    def predict(self, features: Features) -> I64:
        """Each customer's cluster: its nearest centre."""
        return nearest(self.scaling_.apply(_matrix(features, self.scaling_.names)), self.centres_)

    def profiles(self, features: Features, labels: ArrayLike | None = None) -> list[Profile]:
        """The clusters' profiles over these customers (by default, as `predict` puts them)."""
        names = self.scaling_.names
        x = _matrix(features, names)
        at = self.predict(features) if labels is None else np.asarray(labels, np.int64)
        return _profiles(x, self.scaling_.apply(x), at, names, self.k_)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "kmeans", "features": self.scaling_.to_json(),
                "centres": self.centres_.tolist(),
                "scores": {str(k): s for k, s in self.scores_.items()},
                "k_range": list(self.k_range), "seed": self.seed, "n_init": self.n_init,
                "select_rows": self.select_rows, "silhouette_rows": self.silhouette_rows,
                "fit_rows": self.fit_rows}  # fmt: skip

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> Clusters:
        if d.get("kind") != "kmeans":
            raise ValueError(f"not saved k-means clusters: kind {d.get('kind')!r}")
        lo, hi = (int(v) for v in d["k_range"])
        return Clusters((lo, hi), int(d["seed"]), int(d["n_init"]), int(d["select_rows"]),
                        int(d["silhouette_rows"]), int(d["fit_rows"]),
                        Scaling.from_json(d["features"]),
                        np.asarray(d["centres"], np.float64).reshape(-1, len(d["features"])),
                        {int(k): float(s) for k, s in d["scores"].items()})  # fmt: skip


def _means(m: F64, labels: I64, sizes: I64) -> F64:
    """(k, d): each cluster's column means, NaN for a cluster with no rows here."""
    sums = np.column_stack([np.bincount(labels, weights=m[:, j], minlength=len(sizes))
                            for j in range(m.shape[1])])  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        out: F64 = sums / sizes[:, None]
    return out


def _profiles(x: F64, z: F64, labels: I64, names: Sequence[str], k: int) -> list[Profile]:
    n = len(labels)
    sizes = np.bincount(labels, minlength=k)
    means, centres = _means(x, labels, sizes), np.nan_to_num(_means(z, labels, sizes))
    out = []
    for c, centre in enumerate(centres):
        top = sorted(range(len(names)), key=lambda j: -abs(float(centre[j])))[:STANDOUTS]
        standouts = tuple((names[j], round(float(centre[j]), 3)) for j in top
                          if abs(centre[j]) >= MIN_Z)  # fmt: skip
        size = int(sizes[c])
        out.append(Profile(c, size, size / n if n else 0.0,
                           dict(zip(names, means[c].tolist(), strict=True)),
                           dict(zip(names, centre.tolist(), strict=True)), standouts))  # fmt: skip
    return out
