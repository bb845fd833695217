"""The least an orders import can cost in DuckDB: the floor under issue 3's "within 3x of read_csv".

`sql_floor(csv, db)` loads a clean orders CSV (the shape `tests/orders_file.py` writes) into a
fresh workspace with nothing but DuckDB SQL in one transaction: read_csv, group the lines into
orders, create the customers, insert orders and lines into the workspace's own tables (with
their indexes), commit, close. No sniffing, no validation, no revert log, no rollups: what any
import of this file into this schema must at least do. With `drop`, those indexes are dropped
first, to show what they cost.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from salesmetrics.services.workspace import init_workspace

# The unique (source, external_id) indexes the floor's inserts maintain besides primary keys.
UNIQUE_EXTERNAL = ("ix_orders_source_external_id", "ix_customers_source_external_id")

_STEPS = (
    "CREATE TEMP TABLE raw AS SELECT row_number() OVER () AS r, * FROM read_csv(?)",
    "CREATE TEMP TABLE o AS SELECT order_id, min(r) AS r, first(order_date ORDER BY r) AS d, "
    "first(customer ORDER BY r) AS cu, first(status ORDER BY r) AS st, "
    "first(currency ORDER BY r) AS cur, "
    "sum(CAST(round(unit_price * 100) AS BIGINT) * quantity) AS tot FROM raw GROUP BY order_id",
    "INSERT INTO customers (id, source, email) "
    "SELECT row_number() OVER (), 'import', cu FROM (SELECT DISTINCT cu FROM o)",
    "CREATE TEMP TABLE oid AS SELECT order_id, row_number() OVER (ORDER BY r) AS id FROM o",
    "INSERT INTO orders (id, external_id, source, customer_id, ordered_at, status, currency, "
    "total_minor) SELECT oid.id, o.order_id, 'import', c.id, o.d, o.st, o.cur, o.tot "
    "FROM o JOIN oid USING (order_id) JOIN customers c ON c.email = o.cu",
    "INSERT INTO order_lines (id, order_id, line_no, quantity, unit_price_minor, "
    "line_total_minor, currency) SELECT raw.r, oid.id, 1, quantity, "
    "CAST(round(unit_price * 100) AS BIGINT), CAST(round(unit_price * 100) AS BIGINT) * quantity, "
    "currency FROM raw JOIN oid USING (order_id)",
)


def sql_floor(csv: Path, db: Path, drop: tuple[str, ...] = ()) -> float:
    """Seconds from opening a fresh workspace to closing it after the SQL-only load."""
    for suffix in ("", ".wal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    init_workspace(str(db), {})
    if drop:
        con = duckdb.connect(str(db))
        for index in drop:
            con.execute(f"DROP INDEX {index}")
        con.close()
    start = time.perf_counter()
    con = duckdb.connect(str(db))
    con.begin()
    for step in _STEPS:
        con.execute(step, [str(csv)] if "?" in step else [])
    con.commit()
    con.close()
    return time.perf_counter() - start
