"""How many customers each stored segment holds, and the day the segments are as of: what the
pages' segment picker offers; and the condition a view narrowed to one segment puts on a
customer column (customer_segments is written by services/segments/refresh.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from salesmetrics.domain.access import Scope
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


def in_segment(scope: Scope, column: str) -> tuple[str, list[str]]:
    """A condition keeping the rows whose customer (`column`) is in the view's segment (TRUE
    for a view without one)."""
    if scope.segment is None:
        return "TRUE", []
    return member_of(column), [scope.segment]


def member_of(column: str) -> str:
    """The condition that the customer `column` names is in the segment bound to its `?`."""
    return f"{column} IN (SELECT s.id FROM customer_segments s WHERE s.segment = ?)"


def mean_p_alive(store: Store) -> dict[str, float]:
    """Segment code -> the mean P(alive) its customers were stored with."""
    rows = store.fetchall("SELECT segment, avg(p_alive) FROM customer_segments "
                          "WHERE p_alive IS NOT NULL GROUP BY segment")  # fmt: skip
    return {str(r[0]): float(r[1]) for r in rows}
