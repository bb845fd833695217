"""Reads for the warehouse export: which tables go out, partitioned by which month, and a
table's rows one month at a time (the same SQL on DuckDB and PostgreSQL, both in UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from salesmetrics.domain.periods import add_months
from salesmetrics.storage import catalog
from salesmetrics.storage.dialect import q
from salesmetrics.storage.protocol import Reader

# What goes out, by name (a table added later stays home until it is listed here): the tables
# the metric engine reads, and the settings and state it needs. Never exported: people,
# credentials, sessions, the audit log, alerts and their deliveries (sign-in e-mails), the
# events inbox, the import history.
EXPORTED = (
    "teams", "reps", "channels", "marketing_spend", "customers", "products", "orders",
    "order_lines", "pipelines", "stages", "leads", "deals", "deal_stage_changes",
    "deal_close_date_changes", "activities", "targets", "feedback", "fx_rates",
    "customer_segments", "settings", "workspace_state",
)  # fmt: skip
# The table a partitioned table's month comes from, and the column: a line is filed under its
# order's month.
PARTITIONS: dict[str, tuple[str, str]] = {
    "orders": ("orders", "ordered_at"),
    "order_lines": ("orders", "ordered_at"),
    "customers": ("customers", "acquired_at"),
    "leads": ("leads", "created_at"),
    "deals": ("deals", "created_at"),
    "deal_stage_changes": ("deal_stage_changes", "changed_at"),
    "deal_close_date_changes": ("deal_close_date_changes", "changed_at"),
    "activities": ("activities", "occurred_at"),
    "feedback": ("feedback", "received_at"),
    "marketing_spend": ("marketing_spend", "period_start_on"),
    "targets": ("targets", "period_start_on"),
}
NO_MONTH = "none"  # the partition of rows without a date (a customer never acquired)


def columns(table: str) -> list[str]:
    return list(catalog.table(table).column_names)


def data_version(db: Reader) -> int:
    rows = db.fetchall("SELECT value FROM workspace_state WHERE key = 'data_version'")
    return int(rows[0][0]) if rows else 0


def months(db: Reader, table: str) -> list[str]:
    """The months ("YYYY-MM", UTC) the table has rows in, plus NO_MONTH when some rows have
    no date; [] for an unpartitioned table."""
    if table not in PARTITIONS:
        return []
    ref = _ref(table)
    got = db.fetchall(
        f"SELECT DISTINCT date_trunc('month', {ref}) FROM {_from(table)}"  # sessions are UTC
    )
    return sorted(_label(m) for (m,) in got)


def read(db: Reader, table: str, month: str | None = None) -> pa.Table:
    """A table's rows (of one month when it is partitioned), in key order, with its columns."""
    names = columns(table)
    cols = ", ".join(f"t.{q(c)}" for c in names)
    order = "t.id" if "id" in names else f"t.{q(names[0])}"
    if month is None:
        return db.fetch_arrow(f"SELECT {cols} FROM {q(table)} t ORDER BY {order}")
    ref = _ref(table)
    params: list[object] = []
    if month == NO_MONTH:
        where = f"{ref} IS NULL"
    else:
        lo = date.fromisoformat(f"{month}-01")
        hi = add_months(lo, 1)
        params = [lo, hi]
        source, col = PARTITIONS[table]
        if catalog.table(source).column(col).type.value == "timestamp":
            params = [datetime(b.year, b.month, b.day, tzinfo=UTC) for b in (lo, hi)]
        where = f"{ref} >= ? AND {ref} < ?"
    return db.fetch_arrow(
        f"SELECT {cols} FROM {_from(table)} WHERE {where} ORDER BY {order}", params
    )


def _from(table: str) -> str:
    source = PARTITIONS[table][0]
    if table == source:
        return f"{q(table)} t"
    return f"{q(table)} t JOIN {q(source)} s ON s.id = t.order_id"  # lines under their order


def _ref(table: str) -> str:
    source, col = PARTITIONS[table]
    return f"{'t' if table == source else 's'}.{q(col)}"


def _label(value: object) -> str:
    if value is None:
        return NO_MONTH
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value
    if isinstance(value, date):
        return f"{value.year:04}-{value.month:02}"
    raise TypeError(f"not a month: {value!r}")
