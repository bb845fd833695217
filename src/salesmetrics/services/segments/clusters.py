"""Behaviour clusters as people read them: customers grouped by how they buy, k chosen by the
silhouette, each cluster described in words from its profile.

The clusters are learnt from the timing of purchases: how many purchase days, days since the
last one, days since the first one (tenure) and the share of that tenure spent idle since the
last purchase (near 0: still buying; 1: bought once, long ago). On the demo these four recover
its planted behaviour groups far better than adding money, discount and category mix: those
are noisy for the many customers who bought once or twice, the silhouette then settles on two
clusters, and the adjusted Rand index against the planted groups falls (docs/segments.md
shows the measurements). Spend, discounts and the category mix are still profiled per cluster:
each cluster's means are shown beside the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from salesmetrics.analytics.segments.clusters import Clusters, Profile, describe
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import InputError
from salesmetrics.services.segments.behaviour import F64, Behaviour, read
from salesmetrics.services.workspace import Workspace

LEARNT = ("frequency", "recency", "tenure", "idle_share")
MIN_CUSTOMERS = 20
NAMES = {
    "en": {"idle_share": "share of time idle", "discount_share": "discount share"},
    "uk": {"idle_share": "частка часу без покупок", "discount_share": "частка знижок"},
}


def features(b: Behaviour) -> dict[str, F64]:
    """The learnt features, then the profiled ones (money, discounts, category mix)."""
    recency = b.recency_days().astype(np.float64)
    tenure = b.tenure_days().astype(np.float64)
    return {
        "frequency": b.days.astype(np.float64),
        "recency": recency,
        "tenure": tenure,
        "idle_share": recency / np.maximum(tenure, 1.0),
        "monetary": b.monetary,
        "discount_share": b.discount_share,
        **{f"category: {k}": v for k, v in b.categories.items()},
    }


@dataclass(frozen=True, slots=True)
class ClusterRow:
    cluster: int
    customers: int
    share: float
    words: str
    means: dict[str, float]
    standouts: list[tuple[str, float]]

    def as_dict(self) -> dict[str, Any]:
        return {"cluster": self.cluster, "customers": self.customers,
                "share": round(self.share, 4), "words": self.words,
                "means": {k: round(v, 4) for k, v in self.means.items()},
                "standouts": [{"feature": f, "z": round(z, 3)}
                              for f, z in self.standouts]}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClusterReport:
    as_of: date
    customers: int
    k: int
    silhouettes: dict[int, float]
    learnt: tuple[str, ...]
    clusters: list[ClusterRow]
    ids: list[int]
    labels: list[int]
    model: dict[str, Any]

    def as_dict(self, customers: bool = False) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "customers": self.customers, "k": self.k,
            "chosen_by": "the highest mean silhouette on a fixed sample",
            "silhouettes": {str(k): round(v, 4) for k, v in self.silhouettes.items()},
            "features": list(self.learnt), "clusters": [c.as_dict() for c in self.clusters],
            **({"assignments": [{"id": i, "cluster": c}
                                for i, c in zip(self.ids, self.labels, strict=True)]}
               if customers else {}),
        }  # fmt: skip


def learn(b: Behaviour, seed: int = 0, k: int | None = None) -> tuple[Clusters, dict[str, F64]]:
    if b.n < MIN_CUSTOMERS:
        raise InputError(f"clusters need at least {MIN_CUSTOMERS} customers with purchases, "
                         f"there are {b.n}")  # fmt: skip
    every = features(b)
    chosen = (k, k) if k is not None else (2, min(8, b.n // 5))
    model = Clusters(k_range=chosen, seed=seed).fit({f: every[f] for f in LEARNT})
    return model, every


def _profiles(model: Clusters, every: dict[str, F64]) -> list[Profile]:
    learnt = {f: every[f] for f in LEARNT}
    shown = model.profiles(learnt)
    extra = {f: v for f, v in every.items() if f not in LEARNT}
    labels = model.labels_
    out = []
    for p in shown:
        at = labels == p.cluster
        means = {**p.means, **{f: float(v[at].mean()) if at.any() else float("nan")
                               for f, v in extra.items()}}  # fmt: skip
        out.append(Profile(p.cluster, p.size, p.share, means, p.centre, p.standouts))
    return out


def clusters(ws: Workspace, who: Principal, as_of: date, *, seed: int = 0,
             k: int | None = None, lang: str = "en") -> ClusterReport:  # fmt: skip
    """The behaviour clusters of the customers in `who`'s view as of the end of `as_of`."""
    b = read(ws, who, as_of)
    model, every = learn(b, seed, k)
    names = NAMES.get(lang, NAMES["en"])
    rows = [ClusterRow(p.cluster, p.size, p.share,
                       describe(p, lang, minor=100, names=names), p.means, list(p.standouts))
            for p in _profiles(model, every)]  # fmt: skip
    return ClusterReport(as_of, b.n, model.k_, dict(model.scores_), LEARNT, rows,
                         b.ids.tolist(), model.labels_.tolist(), model.to_json())  # fmt: skip
