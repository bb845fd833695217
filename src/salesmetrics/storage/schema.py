"""Tables as data. Migrations hold them; the current schema is the fold of all migrations."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pyarrow as pa


class ColType(StrEnum):
    """Logical column types; each dialect maps them to its own SQL type."""

    ID = "id"  # BIGINT surrogate key, filled from the table's sequence
    REF = "ref"  # BIGINT pointing at another table's id
    TEXT = "text"
    INT = "int"
    BIGINT = "bigint"
    MONEY = "money"  # BIGINT minor units; always next to a currency column
    CURRENCY = "currency"  # three-letter ISO code
    BOOL = "bool"
    FLOAT = "float"
    TIMESTAMP = "timestamp"  # UTC instant
    DATE = "date"  # local business date
    JSON = "json"


ARROW_TYPES: dict[ColType, pa.DataType] = {
    ColType.ID: pa.int64(),
    ColType.REF: pa.int64(),
    ColType.TEXT: pa.string(),
    ColType.INT: pa.int32(),
    ColType.BIGINT: pa.int64(),
    ColType.MONEY: pa.int64(),
    ColType.CURRENCY: pa.string(),
    ColType.BOOL: pa.bool_(),
    ColType.FLOAT: pa.float64(),
    ColType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ColType.DATE: pa.date32(),
    ColType.JSON: pa.string(),
}


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its logical type, nullability and, for references, the table it points at."""

    name: str
    type: ColType
    nullable: bool = True
    references: str | None = None
    default: str | None = None  # a SQL literal valid on every engine

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]


@dataclass(frozen=True, slots=True)
class Index:
    """A (possibly unique) index over some columns of a table."""

    columns: tuple[str, ...]
    unique: bool = False
    point_lookups: bool = False  # built on DuckDB too: records are looked up one by one by it


@dataclass(frozen=True, slots=True)
class Table:
    """A table: columns in order, the first is the key; unique and plain indexes."""

    name: str
    columns: tuple[Column, ...]
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    doc: str = ""

    @property
    def key(self) -> Column:
        return self.columns[0]

    @property
    def has_sequence(self) -> bool:
        return self.key.type is ColType.ID

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow_type, c.nullable) for c in self.columns])


def col(
    name: str,
    type_: ColType,
    *,
    null: bool = True,
    ref: str | None = None,
    default: str | None = None,
) -> Column:
    """Shorthand used by the migrations: `col("team_id", REF, ref="teams")`."""
    return Column(name, type_, null, ref, default)


def ident(*, source: bool = True) -> tuple[Column, ...]:
    """The id every table has, plus external_id and source for rows that come from outside."""
    key = Column("id", ColType.ID, nullable=False)
    if not source:
        return (key,)
    return (
        key,
        Column("external_id", ColType.TEXT),
        Column("source", ColType.TEXT, nullable=False, default="'local'"),
    )


EXTERNAL = Index(("source", "external_id"), unique=True)
