"""Version 8: quarter and year targets split into months.

A target set for a quarter or a year is kept as the row the person set (`has_months`, its
value the whole) and one row per month (`parent_id` pointing at it, values by the split), so
every month-based reading (the metric engine's `revenue_target`, the Team page's attainment)
adds up months and never counts the whole beside its parts.
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import AddColumns, AddIndex, Migration
from salesmetrics.storage.schema import ColType, Index, col

MIGRATION = Migration(
    8,
    "targets: quarter and year plans split into monthly rows",
    (
        AddColumns(
            "targets",
            (
                col("parent_id", ColType.REF, ref="targets"),
                col(
                    "has_months", ColType.BOOL, default="FALSE"
                ),  # null on DuckDB: not null is refused there
            ),
        ),
        AddIndex("targets", Index(("period_start_on",))),
    ),
)
