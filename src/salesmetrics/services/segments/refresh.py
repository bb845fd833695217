"""Store every customer's segment, cluster and value, for the metric engine's `segment`
dimension and the pages' segment filter.

Computed over all customers (the stored segment is a fact about the customer, the same for
everyone who may see that customer), replaced whole in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa

from salesmetrics.domain.access import LOCAL
from salesmetrics.domain.errors import InputError
from salesmetrics.services.segments import clusters as cl
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments.behaviour import read
from salesmetrics.services.segments.rfm import scored
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import customer_behaviour as repo


@dataclass(frozen=True, slots=True)
class Refreshed:
    as_of: date
    customers: int
    segments: dict[str, int]
    clusters: int | None  # None: too few customers
    clv: bool  # whether the CLV models could be fitted
    notes: list[str]


def refresh(ws: Workspace, as_of: date) -> Refreshed:
    """Compute and store the segments of every customer with a purchase up to `as_of`."""
    b = read(ws, LOCAL, as_of)
    notes: list[str] = []
    n = b.n
    a = scored(b)
    cluster: np.ndarray | None = None
    k = None
    try:
        model, _ = cl.learn(b)
        cluster, k = model.labels_, model.k_
    except InputError as exc:
        notes.append(f"no clusters: {exc}")
    p_alive = clv_minor = None
    try:
        f = value.fit(b, value.Settings(as_of, as_of))
        where = np.searchsorted(f.summary.customer, b.ids)
        p_alive, clv_minor = f.p_alive[where], np.rint(f.value[where]).astype(np.int64)
    except InputError as exc:
        notes.append(f"no lifetime value: {exc}")
    rows = pa.table({
        "id": pa.array(b.ids, pa.int64()),
        "as_of": pa.array([as_of] * n, pa.date32()),
        "computed_at": pa.array([datetime.now(UTC)] * n, pa.timestamp("us", tz="UTC")),
        "segment": pa.array(a.segment.tolist(), pa.string()),
        "r": pa.array(a.r, pa.int32()),
        "f": pa.array(a.f, pa.int32()),
        "m": pa.array(a.m, pa.int32()),
        "cluster": pa.array(cluster if cluster is not None else [None] * n, pa.int32()),
        "p_alive": pa.array(p_alive if p_alive is not None else [None] * n, pa.float64()),
        "clv_minor": pa.array(clv_minor if clv_minor is not None else [None] * n, pa.int64()),
    })  # fmt: skip
    repo.replace_segments(ws.store, rows)
    names, counts = np.unique(a.segment, return_counts=True)
    return Refreshed(as_of, n, {str(s): int(c) for s, c in zip(names, counts, strict=True)}, k,
                     p_alive is not None, notes)  # fmt: skip
