"""Reads for the warehouse export: which tables go out, partitioned by which month, and a
table's rows one month at a time (the same SQL on DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from salesmetrics.domain.periods import add_months
from salesmetrics.storage import catalog
from salesmetrics.storage.dialect import q
from salesmetrics.storage.protocol import Store

# What the metric engine and a read-only workspace need besides the business tables. Never
# exported: people, credentials, sessions, the audit log, the events inbox, import history.
SUPPORT_TABLES = ("settings", "workspace_state", "customer_segments")
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


def exported_tables() -> list[str]:
    return [*catalog.data_tables(), *SUPPORT_TABLES]


def columns(table: str) -> list[str]:
    return list(catalog.table(table).column_names)


def months(store: Store, table: str) -> list[str]:
    """The months (UTC, "YYYY-MM") from the table's first dated row to its last, plus NO_MONTH
    when some rows have no date; [] for an unpartitioned table."""
    if table not in PARTITIONS:
        return []
    source, col = PARTITIONS[table]
    row = store.fetchall(
        f"SELECT min({_ref(table, col)}), max({_ref(table, col)}), "
        f"count(*) - count({_ref(table, col)}) FROM {_from(table, source)}"
    )[0]
    out = []
    if row[0] is not None:
        month, last = _month_of(row[0]), _month_of(row[1])
        while month <= last:
            out.append(f"{month.year:04}-{month.month:02}")
            month = add_months(month, 1)
    if row[2]:
        out.append(NO_MONTH)
    return out


def read(store: Store, table: str, month: str | None = None) -> pa.Table:
    """A table's rows (of one month when it is partitioned), in id order, with its columns."""
    names = columns(table)
    cols = ", ".join(f"t.{q(c)}" for c in names)
    if month is None:
        order = "t.id" if "id" in names else ", ".join(f"t.{q(c)}" for c in names[:1])
        return store.fetch_arrow(f"SELECT {cols} FROM {q(table)} t ORDER BY {order}")
    source, col = PARTITIONS[table]
    ref = _ref(table, col)
    params: list[object] = []
    if month == NO_MONTH:
        where = f"{ref} IS NULL"
    else:
        lo = date.fromisoformat(f"{month}-01")
        hi = add_months(lo, 1)
        params = [lo, hi]
        if catalog.table(source).column(col).type.value == "timestamp":
            params = [datetime(b.year, b.month, b.day, tzinfo=UTC) for b in (lo, hi)]
        where = f"{ref} >= ? AND {ref} < ?"
    sql = f"SELECT {cols} FROM {_from(table, source)} WHERE {where} ORDER BY t.id"
    return store.fetch_arrow(sql, params)


def _from(table: str, source: str) -> str:
    if table == source:
        return f"{q(table)} t"
    return f"{q(table)} t JOIN {q(source)} s ON s.id = t.order_id"  # lines under their order


def _ref(table: str, col: str) -> str:
    source = PARTITIONS[table][0]
    return f"{'t' if table == source else 's'}.{q(col)}"


def _month_of(value: object) -> date:
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value
        return date(value.year, value.month, 1)
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    raise TypeError(f"not a date: {value!r}")
