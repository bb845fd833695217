"""Store every customer's segment, cluster and value, for the metric engine's `segment`
dimension and the pages' segment filter.

Computed over all customers (the stored segment is a fact about the customer, the same for
everyone who may see that customer), replaced whole in one transaction. They are kept current
after every import (and revert) of orders or customers (`after_change`), by the server's
background loop after events and at each new day, and on demand (`salesmetrics segments
refresh`).
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa

from salesmetrics.analytics.segments.clusters import load_ahead as load_kmeans_ahead
from salesmetrics.domain.access import LOCAL
from salesmetrics.domain.errors import InputError
from salesmetrics.services.segments import clusters as cl
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments.behaviour import read
from salesmetrics.services.segments.rfm import scored
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import customer_behaviour as repo
from salesmetrics.storage.repositories import rollups, segment_sizes

AFFECTS = frozenset({"orders", "customers"})  # imported kinds whose rows move segments
log = logging.getLogger(__name__)


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
    version = rollups.state(ws.store)[0]  # before the data: a change in between is seen again
    b = read(ws, LOCAL, as_of)
    notes: list[str] = []
    n = b.n
    a = scored(b)
    cluster: np.ndarray | None = None
    k = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="segments") as pool:
        clustering = pool.submit(cl.learn, b)  # independent of the CLV fit: both cores work
        p_alive = clv_minor = None
        try:
            f = value.fit(b, value.Settings(as_of, as_of))
            where = np.searchsorted(f.summary.customer, b.ids)
            p_alive, clv_minor = f.p_alive[where], np.rint(f.value[where]).astype(np.int64)
        except InputError as exc:
            clv_note: str | None = f"no lifetime value: {exc}"
        else:
            clv_note = None
        try:
            model, _ = clustering.result()
            cluster, k = model.labels_, model.k_
        except InputError as exc:
            notes.append(f"no clusters: {exc}")
    if clv_note:
        notes.append(clv_note)
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
    repo.replace_segments(ws.store, rows, version, as_of)
    names, counts = np.unique(a.segment, return_counts=True)
    return Refreshed(as_of, n, {str(s): int(c) for s, c in zip(names, counts, strict=True)}, k,
                     p_alive is not None, notes)  # fmt: skip


def _after_imports() -> bool:
    """Whether imports refresh the segments (SALESMETRICS_SEGMENTS_AFTER_IMPORT, on by default)."""
    switch = os.environ.get("SALESMETRICS_SEGMENTS_AFTER_IMPORT", "on").strip().lower()
    return switch not in ("off", "0", "no", "false")


def load_ahead() -> None:
    """A refresh may follow (an import of a kind in AFFECTS): load its libraries meanwhile."""
    if _after_imports():
        load_kmeans_ahead()


def after_import(ws: Workspace) -> Refreshed | None:
    """After an import or a revert: `after_change`, unless SALESMETRICS_SEGMENTS_AFTER_IMPORT
    is off (a batch of large imports; the server loop and `segments refresh` still refresh)."""
    return after_change(ws) if _after_imports() else None


def after_change(ws: Workspace) -> Refreshed | None:
    """Recompute the stored segments as of today after the data changed. Never fails the
    change that called it: the change is committed already, so a failure is logged (and the
    segments keep their previous day) and None returned."""
    try:
        return refresh(ws, ws.metrics.today())
    except Exception:
        log.warning("customer segments: cannot refresh after a change", exc_info=True)
        return None


class Keeper:
    """The server loop's side: recompute the stored segments at a new day, and once the data
    has stopped changing for `settle` seconds (a burst of events costs one refresh)."""

    def __init__(self, ws: Workspace, settle: float) -> None:
        self.ws = ws
        self.settle = settle
        self.done: tuple[int, date] | None = None  # (data version, day) last refreshed at
        self.seen: tuple[int, float] | None = None  # the newest version and when it was seen
        self.stored_day = segment_sizes.sizes(ws.store).as_of

    def tick(self, version: int, now: float | None = None) -> bool:
        """Called every few seconds; whether it refreshed."""
        clock = time.monotonic() if now is None else now
        day = self.ws.metrics.today()
        stored = repo.segments_computed_from(self.ws.store)
        if stored is not None and (self.done is None or stored > self.done):
            self.done = stored  # refreshed since, by an import, a revert or another worker
        if self.done is None and self.stored_day == day:
            self.done = (version, day)  # current as stored: nothing to do at start
        if self.seen is None or self.seen[0] != version:
            self.seen = (version, clock)
        done, quiet = self.done, clock - self.seen[1] >= self.settle
        if done is not None and done[1] == day and (done[0] == version or not quiet):
            return False
        after_change(self.ws)
        self.done = (version, day)
        return True
