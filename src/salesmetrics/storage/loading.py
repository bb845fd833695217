"""Shared rules of bulk loading from Arrow, whatever the engine."""

from __future__ import annotations

from typing import Protocol

import pyarrow as pa

from salesmetrics.domain.errors import InputError
from salesmetrics.storage import catalog
from salesmetrics.storage.dialect import q, sequence_name
from salesmetrics.storage.protocol import Params


class _Executes(Protocol):
    def execute(self, sql: str, params: Params = ()) -> None: ...


def insert_columns(table: str, data: pa.Table) -> list[str]:
    """The columns to insert: those of the data, each of which the table must have."""
    known = set(catalog.table(table).column_names)
    unknown = [c for c in data.column_names if c not in known]
    if unknown:
        raise InputError(f"table {table} has no column {', '.join(unknown)}")
    return list(data.column_names)


def after_explicit_ids(tx: _Executes, table: str, cols: list[str]) -> None:
    """Rows loaded with their own ids move the table's sequence past them."""
    if "id" in cols and catalog.table(table).has_sequence:
        seq = sequence_name(table)
        tx.execute(
            f"SELECT setval('{seq}', (SELECT max(id) FROM {q(table)})) "
            f"WHERE (SELECT max(id) FROM {q(table)}) IS NOT NULL"
        )
