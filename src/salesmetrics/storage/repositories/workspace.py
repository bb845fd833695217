"""Row counts, date ranges and schema version of a workspace."""

from __future__ import annotations

from datetime import datetime

from salesmetrics.storage import catalog
from salesmetrics.storage.dialect import q
from salesmetrics.storage.protocol import Store

# The column that dates each kind of business record, for the workspace's date range.
TIME_COLUMNS: dict[str, str] = {
    "orders": "ordered_at",
    "leads": "created_at",
    "deals": "created_at",
    "activities": "occurred_at",
    "feedback": "received_at",
}


def row_counts(store: Store) -> dict[str, int]:
    """Rows per data table, in schema order, in one query."""
    names = catalog.data_tables()
    parts = [f"SELECT '{n}' AS t, count(*) AS n FROM {q(n)}" for n in names]
    counts = {str(t): int(n) for t, n in store.fetchall(" UNION ALL ".join(parts))}
    return {n: counts[n] for n in names}


def date_ranges(store: Store) -> dict[str, tuple[datetime, datetime]]:
    """First and last timestamp of each dated table that has rows."""
    parts = [
        f"SELECT '{t}' AS t, min({q(c)}) AS lo, max({q(c)}) AS hi FROM {q(t)}"
        for t, c in TIME_COLUMNS.items()
    ]
    rows = store.fetchall(" UNION ALL ".join(parts))
    return {str(t): (lo, hi) for t, lo, hi in rows if lo is not None}


def schema_version(store: Store) -> int:
    row = store.fetchall("SELECT max(version) FROM schema_migrations")
    return int(row[0][0] or 0)


def is_empty(store: Store) -> bool:
    return not any(row_counts(store).values())
