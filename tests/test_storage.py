"""The storage layer on both engines: schema round trip, transactions, migrations."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pyarrow as pa
import pytest

from salesmetrics.storage import catalog
from salesmetrics.storage.dialect import Dialect
from salesmetrics.storage.migrate import migrate
from salesmetrics.storage.migrations import MIGRATIONS
from salesmetrics.storage.open import open_store
from salesmetrics.storage.protocol import Store
from salesmetrics.storage.repositories import bulk
from salesmetrics.storage.repositories import imports as imports_repo
from salesmetrics.storage.schema import ColType, Column, Table

BIG = 2**62 + 7  # money far beyond float precision must survive exactly


def _value(column: Column, row: int) -> Any:
    """A value of the column's type that varies by row; every third optional value is NULL."""
    if column.nullable and row % 3 == 2:
        return None
    base = datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC)
    by_type: dict[ColType, Any] = {
        ColType.ID: row + 1,
        ColType.REF: row + 10,
        ColType.TEXT: f'Рядок «{row}», "quoted", comma; ünïcode 😀',
        ColType.INT: -(row + 1),
        ColType.BIGINT: BIG - row,
        ColType.MONEY: BIG - row if row % 2 else -123_45,
        ColType.CURRENCY: ("UAH", "USD", "EUR")[row % 3],
        ColType.BOOL: row % 2 == 0,
        ColType.FLOAT: 0.1 * (row + 1),
        ColType.TIMESTAMP: base + timedelta(days=row, microseconds=row),
        ColType.DATE: date(2024, 2, 29) + timedelta(days=row),
        ColType.JSON: json.dumps({"джерело": "реклама", "n": row, "ok": True}, ensure_ascii=False),
    }
    return by_type[column.type]


def _sample(table: Table, rows: int = 4) -> pa.Table:
    data = {c.name: [_value(c, r) for r in range(rows)] for c in table.columns}
    if table.name == "settings":
        data["key"] = [f"k{r}" for r in range(rows)]
    return pa.table(data, schema=table.arrow_schema())


def _normalise(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    json_cols = [c.name for c in table.columns if c.type is ColType.JSON]
    for row in rows:
        for name in json_cols:
            if row[name] is not None:
                row[name] = json.loads(row[name])
    return rows


@pytest.mark.parametrize("name", list(catalog.tables()))
def test_every_table_round_trips_exactly(store: Store, name: str) -> None:
    table = catalog.table(name)
    sent = _sample(table)
    # workspace_state is the store's own counter: this write must not also bump it
    store.write(lambda tx: bulk.load(tx, name, sent), changes_data=name != "workspace_state")
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    got = store.fetch_arrow(f'SELECT {cols} FROM "{name}" ORDER BY "{table.key.name}"')
    assert got.schema.names == sent.schema.names
    assert _normalise(table, got.to_pylist()) == _normalise(table, sent.to_pylist())
    assert [f.type for f in got.schema] == [f.type for f in table.arrow_schema()]


def test_money_is_exact_integer_minor_units(store: Store) -> None:
    lines = pa.table(
        {
            "id": [1],
            "order_id": [1],
            "line_no": [1],
            "quantity": [3],
            "unit_price_minor": [BIG],
            "line_total_minor": [BIG],
            "currency": ["UAH"],
        }
    )
    store.write(lambda tx: bulk.load(tx, "order_lines", lines))
    (total,) = store.fetchall("SELECT sum(line_total_minor) FROM order_lines")[0]
    assert int(total) == BIG


def test_sequence_continues_after_explicit_ids(store: Store) -> None:
    store.write(
        lambda tx: bulk.load(
            tx, "channels", pa.table({"id": [41], "name": ["SEO"], "kind": ["organic"]})
        )
    )
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO channels (name, kind) VALUES (?, ?)", ["Instagram", "paid"]
        )
    )
    ids = [r[0] for r in store.fetchall("SELECT id FROM channels ORDER BY id")]
    assert ids == [41, 42]


def test_allocated_ids_are_fresh_sorted_and_never_taken_again(store: Store) -> None:
    """A block of ids for rows written with explicit ids: n distinct, ascending, and the
    sequence goes on after them (rows inserted later get none of them)."""
    block = store.write(lambda tx: imports_repo.allocate_ids(tx, "teams", 5_000))
    assert len(block) == 5_000 and block == sorted(set(block))
    ids = pa.array(block, pa.int64())
    names = pa.array([f"t{i}" for i in range(len(block))])
    store.write(lambda tx: bulk.load(tx, "teams", pa.table({"id": ids, "name": names})))
    store.write(lambda tx: tx.execute("INSERT INTO teams (name) VALUES (?)", ["after"]))
    (after,) = store.fetchall("SELECT id FROM teams WHERE name = 'after'")[0]
    assert after > block[-1]


@pytest.mark.postgres
def test_ids_drawn_around_another_writer_are_the_ones_drawn(pg_url: str) -> None:
    """On PostgreSQL each id comes from the sequence; when the drawn ids are not one run (here
    the sequence steps by 3, as if another writer drew between them) each is returned."""
    store = open_store(pg_url, create=True)
    try:
        store.write(lambda tx: tx.execute("ALTER SEQUENCE seq_teams_id INCREMENT BY 3"))
        drawn = store.write(lambda tx: imports_repo.allocate_ids(tx, "teams", 4))
        assert len(set(drawn)) == 4 and drawn == sorted(drawn)
        assert [b - a for a, b in pairwise(drawn)] == [3, 3, 3]
    finally:
        store.close()


def test_failed_write_changes_nothing(store: Store) -> None:
    def half_then_fail(tx: Any) -> None:
        tx.execute("INSERT INTO teams (name) VALUES (?)", ["Київ"])
        raise RuntimeError("boom after the first insert")

    with pytest.raises(RuntimeError, match="boom"):
        store.write(half_then_fail)
    assert store.fetchall("SELECT count(*) FROM teams") == [(0,)]
    store.write(lambda tx: tx.execute("INSERT INTO teams (name) VALUES (?)", ["Львів"]))
    assert store.fetchall("SELECT name FROM teams") == [("Львів",)]


def test_migrations_are_idempotent(store: Store) -> None:
    assert migrate(store) == []
    assert migrate(store) == []
    rows = store.fetchall("SELECT version FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]


def test_database_matches_the_catalog(store: Store) -> None:
    schema_filter = "main" if store.dialect is Dialect.DUCKDB else "public"
    rows = store.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
        [schema_filter],
    )
    found: dict[str, list[str]] = {}
    for t, c in rows:
        found.setdefault(t, []).append(c)
    for name, table in catalog.tables().items():
        assert found.get(name) == list(table.column_names), name


def test_unique_external_id_per_source(store: Store) -> None:
    row = pa.table({"external_id": ["C-1"], "source": ["shop"], "name": ["Олена"]})
    store.write(lambda tx: bulk.load(tx, "customers", row))
    with pytest.raises(Exception, match=r"(?i)duplicate|unique|constraint"):
        store.write(lambda tx: bulk.load(tx, "customers", row))
    other = pa.table({"external_id": ["C-1"], "source": ["crm"], "name": ["Олена"]})
    store.write(lambda tx: bulk.load(tx, "customers", other))
    assert store.fetchall("SELECT count(*) FROM customers") == [(2,)]


def test_every_write_moves_the_data_version_on(store: Store) -> None:
    def version() -> int:
        rows = store.fetchall("SELECT value FROM workspace_state WHERE key = 'data_version'")
        return int(rows[0][0]) if rows else 0

    before = version()
    store.write(lambda tx: None)
    assert version() == before + 1
    store.write(lambda tx: None, changes_data=False)
    assert version() == before + 1
    with pytest.raises(ZeroDivisionError):
        store.write(lambda tx: 1 // 0)
    assert version() == before + 1  # a rolled-back write changed nothing
