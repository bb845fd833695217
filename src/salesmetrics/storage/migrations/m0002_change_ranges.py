"""Version 2: an import logs the rows it inserted as id ranges, not one row per id.

A 1M-row import inserted 1.5M rows and logged 1.5M changes; ids it draws are contiguous, so
one (row_id, row_id_last) range per table says the same.
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import AddColumns, Migration
from salesmetrics.storage.schema import ColType, col

MIGRATION = Migration(
    2,
    "import changes as id ranges",
    (AddColumns("import_changes", (col("row_id_last", ColType.BIGINT),)),),
)
