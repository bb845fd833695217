"""The import log, the changes each import made, and the lookups an import needs."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.storage import catalog
from salesmetrics.storage.dialect import Dialect, q, sequence_name
from salesmetrics.storage.protocol import Store, WriteTx
from salesmetrics.storage.schema import ColType

LOG_COLUMNS = (
    "id",
    "kind",
    "file_name",
    "file_sha256",
    "started_at",
    "finished_at",
    "status",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "mapping",
    "user_id",
    "error",
)


def allocate_ids(tx: WriteTx, table: str, n: int) -> list[int]:
    """n fresh ids from the table's sequence, as a list (see `allocate_id_array`)."""
    return [int(i) for i in allocate_id_array(tx, table, n)]


def allocate_id_array(tx: WriteTx, table: str, n: int) -> npt.NDArray[np.int64]:
    """n fresh ids from the table's sequence, sorted.

    DuckDB has one writer, so a block is reserved by moving the sequence once; PostgreSQL may
    have several, so each id is drawn from the sequence (sorted, as the block would be).
    """
    if n == 0:
        return np.empty(0, dtype=np.int64)
    seq = sequence_name(table)
    if tx.dialect is Dialect.DUCKDB:
        first = int(tx.fetchall(f"SELECT nextval('{seq}')")[0][0])
        if n > 1:
            tx.execute(f"SELECT setval('{seq}', ?)", [first + n - 1])
        return np.arange(first, first + n, dtype=np.int64)
    # Drawn server-side; only the range crosses the wire when no other writer drew in between
    # (the usual case): fetching 1.5M ids as rows took 2.7 s of a 1M-line import.
    first, last, scattered = tx.fetchall(
        "WITH drawn AS MATERIALIZED "
        f"(SELECT nextval('{seq}') AS id FROM generate_series(1, ?)) "
        "SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL "
        "ELSE array_agg(id ORDER BY id) END FROM drawn",
        [n],
    )[0]
    if scattered is not None:
        return np.asarray([int(x) for x in scattered], dtype=np.int64)
    return np.arange(int(first), int(last) + 1, dtype=np.int64)


def lookup(tx: WriteTx, table: str, column: str, values: list[str]) -> dict[str, int]:
    """value (lower-cased) -> id for rows whose `column` matches one of values, ignoring case.

    One scan of the column, matched in Arrow: lower-casing in SQL would depend on the
    server's locale (PostgreSQL's C locale leaves Cyrillic alone).
    """
    if not values:
        return {}
    rows = tx.fetch_arrow(
        f"SELECT id, CAST({q(column)} AS VARCHAR) AS v FROM {q(table)} "
        f"WHERE {q(column)} IS NOT NULL ORDER BY id"
    )
    if not rows.num_rows:
        return {}
    keys = pc.utf8_lower(rows["v"].combine_chunks())
    wanted = pc.unique(pc.utf8_lower(pa.array(values, pa.string())))
    at = pc.index_in(wanted, value_set=keys)  # the first (smallest id) match
    hits = pc.is_valid(at)
    ids = rows["id"].combine_chunks().take(at.filter(hits))
    return dict(zip(wanted.filter(hits).to_pylist(), ids.to_pylist(), strict=True))


def stored(tx: WriteTx, table: str, columns: list[str], source: str | None) -> pa.Table:
    """The rows an import may match: all of the table, or those of one source."""
    cols = ", ".join(q(c) for c in columns)
    if source is None:
        return tx.fetch_arrow(f"SELECT {cols} FROM {q(table)}")
    return tx.fetch_arrow(f"SELECT {cols} FROM {q(table)} WHERE source = ?", [source])


def stored_lines(tx: WriteTx, columns: list[str], source: str) -> pa.Table:
    """The lines of a source's orders."""
    cols = ", ".join(f"l.{q(c)}" for c in columns)
    return tx.fetch_arrow(
        f"SELECT {cols} FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.source = ?",
        [source],
    )


def rows_by_id(tx: WriteTx, table: str, ids: list[int]) -> list[dict[str, Any]]:
    """Whole rows, as JSON-ready dicts (the prior image a revert restores)."""
    if not ids:
        return []
    out: list[dict[str, Any]] = []
    names = catalog.table(table).column_names
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        marks = ", ".join("?" for _ in chunk)
        cols = ", ".join(q(c) for c in names)
        rows = tx.fetchall(f"SELECT {cols} FROM {q(table)} WHERE id IN ({marks})", chunk)
        out.extend(dict(zip(names, r, strict=True)) for r in rows)
    return out


def to_json(row: dict[str, Any]) -> str:
    def enc(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        return v

    return json.dumps({k: enc(v) for k, v in row.items()}, ensure_ascii=False)


def from_json(table: str, text: str) -> dict[str, Any]:
    """A prior image back to the Python values of each column's type."""
    raw = json.loads(text)
    out: dict[str, Any] = {}
    for col in catalog.table(table).columns:
        v = raw.get(col.name)
        if v is not None and col.type is ColType.TIMESTAMP:
            v = datetime.fromisoformat(v).astimezone(UTC)
        elif v is not None and col.type is ColType.DATE:
            v = date.fromisoformat(v)
        elif v is not None and col.type is ColType.JSON and not isinstance(v, str):
            v = json.dumps(v, ensure_ascii=False)
        out[col.name] = v
    return out


def start(tx: WriteTx, values: dict[str, Any]) -> int:
    (import_id,) = allocate_ids(tx, "imports", 1)
    cols = ["id", *values]
    marks = ", ".join("?" for _ in cols)
    tx.execute(
        f"INSERT INTO imports ({', '.join(q(c) for c in cols)}) VALUES ({marks})",
        [import_id, *values.values()],
    )
    return import_id


def set_status(tx: WriteTx, import_id: int, status: str, **values: Any) -> None:
    sets = ", ".join(f"{q(k)} = ?" for k in ["status", *values])
    tx.execute(f"UPDATE imports SET {sets} WHERE id = ?", [status, *values.values(), import_id])


def record(
    tx: WriteTx,
    import_id: int,
    table: str,
    row_ids: list[int] | npt.NDArray[np.int64],
    action: str,
    priors: list[str | None] | None = None,
) -> None:
    """Log what an import did to which rows: inserts as id ranges, updates and deletes one
    row each with its prior image."""
    if not len(row_ids):
        return
    if action == "insert":
        first, last = _runs(row_ids)
    else:
        first, last = np.asarray(row_ids, dtype=np.int64), None
    n = len(first)
    table_data = pa.table(
        {
            "import_id": pa.repeat(pa.scalar(import_id, pa.int64()), n),
            "table_name": pa.repeat(pa.scalar(table), n),
            "row_id": pa.array(first, pa.int64()),
            "row_id_last": pa.array(last, pa.int64())
            if last is not None
            else pa.nulls(n, pa.int64()),
            "action": pa.repeat(pa.scalar(action), n),
            "prior": pa.array(priors, pa.string()) if priors else pa.nulls(n, pa.string()),
        }
    )
    tx.load_arrow("import_changes", table_data)


def _runs(
    ids: list[int] | npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Consecutive ids as (first, last) runs: [4, 5, 6, 9] -> ([4, 9], [6, 9])."""
    ordered = np.sort(np.asarray(ids, dtype=np.int64))  # np.unique is 30x slower here
    ordered = ordered[np.r_[True, np.diff(ordered) != 0]]
    breaks = np.flatnonzero(np.diff(ordered) != 1)
    return ordered[np.r_[0, breaks + 1]], ordered[np.r_[breaks, len(ordered) - 1]]


def changes(tx: WriteTx, import_id: int) -> list[tuple[str, int, int, str, str | None]]:
    """(table, first id, last id, action, prior image) of everything an import did."""
    rows = tx.fetchall(
        "SELECT table_name, row_id, coalesce(row_id_last, row_id), action, prior "
        "FROM import_changes WHERE import_id = ? ORDER BY id",
        [import_id],
    )
    return [(str(t), int(a), int(b), str(act), p) for t, a, b, act, p in rows]


def delete_range(tx: WriteTx, table: str, first: int, last: int) -> None:
    tx.execute(f"DELETE FROM {q(table)} WHERE id BETWEEN ? AND ?", [first, last])


def later_touching(tx: WriteTx, import_id: int) -> list[int]:
    """Applied imports after this one that changed any row this one changed."""
    rows = tx.fetchall(
        "SELECT DISTINCT later.import_id FROM import_changes later "
        "JOIN import_changes mine ON mine.table_name = later.table_name "
        "AND mine.row_id <= coalesce(later.row_id_last, later.row_id) "
        "AND later.row_id <= coalesce(mine.row_id_last, mine.row_id) "
        "JOIN imports i ON i.id = later.import_id "
        "WHERE mine.import_id = ? AND later.import_id > ? AND i.status = 'applied' "
        "ORDER BY 1",
        [import_id, import_id],
    )
    return [int(r[0]) for r in rows]


def listing(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    cols = ", ".join(q(c) for c in LOG_COLUMNS)
    rows = store.fetchall(f"SELECT {cols} FROM imports ORDER BY id DESC LIMIT {int(limit)}")
    return [dict(zip(LOG_COLUMNS, r, strict=True)) for r in rows]


def one(store: Store, import_id: int) -> dict[str, Any] | None:
    cols = ", ".join(q(c) for c in LOG_COLUMNS)
    rows = store.fetchall(f"SELECT {cols} FROM imports WHERE id = ?", [import_id])
    return dict(zip(LOG_COLUMNS, rows[0], strict=True)) if rows else None


def change_counts(store: Store, import_id: int) -> dict[str, dict[str, int]]:
    rows = store.fetchall(
        "SELECT table_name, action, sum(coalesce(row_id_last, row_id) - row_id + 1) "
        "FROM import_changes "
        "WHERE import_id = ? GROUP BY 1, 2 ORDER BY 1, 2",
        [import_id],
    )
    out: dict[str, dict[str, int]] = {}
    for t, a, n in rows:
        out.setdefault(str(t), {})[str(a)] = int(n)
    return out


def checksum(store: Store) -> str:
    """A digest of every business table's rows, in id order: equal data, equal digest.

    Each row is hashed by pandas' vectorised row hash (values, nulls and types), which is ~7x
    faster than hashing Python row objects; the table's name, columns and row count go first."""
    digest = hashlib.sha256()
    for name in catalog.data_tables():
        names = catalog.table(name).column_names
        cols = ", ".join(q(c) for c in names)
        data = store.fetch_arrow(f"SELECT {cols} FROM {q(name)} ORDER BY id")
        digest.update(f"{name}:{data.num_rows}:{','.join(names)}".encode())
        if data.num_rows:
            rows = pd.util.hash_pandas_object(data.to_pandas(), index=False)
            digest.update(rows.to_numpy().tobytes())
    return digest.hexdigest()
