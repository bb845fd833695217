"""Version 6: a one-column index on external_id where events look records up.

Every entity table is unique on (source, external_id), but DuckDB only scans an index by one
column: `source = ? AND external_id IN (...)` read the whole table instead (20-75 ms a lookup
on the large demo's deals and orders, several per applied batch of events). With an index on
external_id alone the same lookup is an index scan; PostgreSQL gains it for lookups in any
source (a reference by external id alone).
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import AddIndex, Migration
from salesmetrics.storage.schema import Index

LOOKED_UP = ("customers", "deals", "leads", "orders", "products", "reps")

MIGRATION = Migration(
    6,
    "index external_id alone where events look records up",
    tuple(AddIndex(table, Index(("external_id",), point_lookups=True)) for table in LOOKED_UP),
)
