"""What differs between DuckDB and PostgreSQL: type names and placeholders. Nothing else.
(Spark reads a warehouse export and never runs DDL.)"""

from __future__ import annotations

from enum import StrEnum

from salesmetrics.storage.migrations.base import AddColumns, AddIndex, CreateTable, Operation
from salesmetrics.storage.schema import ColType, Column, Index, Table


class Dialect(StrEnum):
    DUCKDB = "duckdb"
    POSTGRES = "postgres"
    SPARK = "pyspark"  # read-only: a warehouse export queried by Spark SQL (storage/spark_store)


_COMMON: dict[ColType, str] = {
    ColType.ID: "BIGINT",
    ColType.REF: "BIGINT",
    ColType.TEXT: "VARCHAR",
    ColType.INT: "INTEGER",
    ColType.BIGINT: "BIGINT",
    ColType.MONEY: "BIGINT",
    ColType.CURRENCY: "VARCHAR(3)",
    ColType.BOOL: "BOOLEAN",
    ColType.FLOAT: "DOUBLE PRECISION",
    ColType.TIMESTAMP: "TIMESTAMPTZ",
    ColType.DATE: "DATE",
    ColType.JSON: "JSON",
}
_OVERRIDES: dict[Dialect, dict[ColType, str]] = {
    Dialect.DUCKDB: {},
    Dialect.POSTGRES: {ColType.JSON: "JSONB"},
}


def q(name: str) -> str:
    """Quote an identifier (names come from our own schema, never from users)."""
    return '"' + name.replace('"', '""') + '"'


def sql_type(dialect: Dialect, ctype: ColType) -> str:
    return _OVERRIDES[dialect].get(ctype, _COMMON[ctype])


def sequence_name(table: str) -> str:
    return f"seq_{table}_id"


def _column_ddl(dialect: Dialect, table: Table, column: Column) -> str:
    parts = [q(column.name), sql_type(dialect, column.type)]
    if column is table.key and column.type is ColType.ID:
        parts.append(f"DEFAULT nextval('{sequence_name(table.name)}')")
    elif column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if not column.nullable:
        parts.append("NOT NULL")
    if column is table.key:
        parts.append("PRIMARY KEY")
    return " ".join(parts)


def _index_ddl(table: str, index: Index) -> str:
    kind = "UNIQUE INDEX" if index.unique else "INDEX"
    name = q(f"ix_{table}_{'_'.join(index.columns)}")
    cols = ", ".join(q(c) for c in index.columns)
    return f"CREATE {kind} IF NOT EXISTS {name} ON {q(table)} ({cols})"


def create_table(dialect: Dialect, table: Table) -> list[str]:
    """Statements that create a table, its sequence and its indexes, idempotently."""
    out = []
    if table.has_sequence:
        out.append(f"CREATE SEQUENCE IF NOT EXISTS {q(sequence_name(table.name))}")
    cols = ",\n  ".join(_column_ddl(dialect, table, c) for c in table.columns)
    out.append(f"CREATE TABLE IF NOT EXISTS {q(table.name)} (\n  {cols}\n)")
    out.extend(_index_ddl(table.name, ix) for ix in table.indexes if _wants(dialect, ix))
    return out


def _wants(dialect: Dialect, index: Index) -> bool:
    """DuckDB scans with zone maps; a plain ART index only pays for point lookups."""
    return index.unique or index.point_lookups or dialect is not Dialect.DUCKDB


def operation_sql(dialect: Dialect, op: Operation) -> list[str]:
    """The statements of one migration operation."""
    match op:
        case CreateTable(table=t):
            return create_table(dialect, t)
        case AddColumns(table=name, columns=cols):
            stub = Table(name, (Column("_", ColType.TEXT), *cols))
            return [
                f"ALTER TABLE {q(name)} ADD COLUMN IF NOT EXISTS {_column_ddl(dialect, stub, c)}"
                for c in cols
            ]
        case AddIndex(table=name, index=idx):
            return [_index_ddl(name, idx)] if _wants(dialect, idx) else []


def placeholders(dialect: Dialect, sql: str) -> str:
    """Repositories write `?` placeholders; psycopg wants `%s`. Quoted text is left alone."""
    if dialect is Dialect.DUCKDB:
        return sql
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote:
            quote = None if ch == quote else quote
            out.append("%%" if ch == "%" else ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)
