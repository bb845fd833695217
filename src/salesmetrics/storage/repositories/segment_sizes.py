"""How many customers each stored segment holds, and the day the segments are as of: what the
pages' segment picker offers (customer_segments is written by services/segments/refresh.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from salesmetrics.storage.protocol import Store


@dataclass(frozen=True, slots=True)
class StoredSegments:
    as_of: date | None  # None: never computed
    sizes: dict[str, int]  # segment code -> customers


def sizes(store: Store) -> StoredSegments:
    rows = store.fetchall(
        "SELECT segment, count(*) AS n, max(as_of) AS as_of FROM customer_segments GROUP BY segment"
    )
    days = [r[2] for r in rows if r[2] is not None]
    return StoredSegments(max(days) if days else None, {str(r[0]): int(r[1]) for r in rows})
