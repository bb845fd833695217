"""Bulk load of Arrow batches into tables, cast to each table's schema first."""

from __future__ import annotations

import pyarrow as pa

from salesmetrics.domain.errors import InputError
from salesmetrics.storage import catalog
from salesmetrics.storage.protocol import WriteTx


def conform(table: str, data: pa.Table) -> pa.Table:
    """Cast a batch to the table's Arrow types, column by column, with errors that name both."""
    schema = catalog.table(table).arrow_schema()
    arrays = []
    for name in data.column_names:
        if name not in schema.names:
            raise InputError(f"table {table} has no column {name}")
        target = schema.field(name).type
        try:
            arrays.append(data[name].cast(target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise InputError(
                f"{table}.{name}: cannot store {data[name].type} as {target}: {exc}"
            ) from exc
    return pa.table(arrays, names=data.column_names)


def load(tx: WriteTx, table: str, data: pa.Table) -> int:
    """Append a batch inside the caller's transaction; returns the rows written."""
    if data.num_rows == 0:
        return 0
    return tx.load_arrow(table, conform(table, data))
