"""Rollup tables: rebuild one from a SELECT (whole, or some days of it), and read which data
version each was built from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from salesmetrics.storage.dialect import Dialect, q
from salesmetrics.storage.protocol import BUMP_DATA_VERSION, NOTIFY_CHANGE, Store, WriteTx


def state(store: Store) -> tuple[int, dict[str, int]]:
    """The current data version (0 before the first write) and each rollup's build version."""
    rows = store.fetchall(
        "SELECT '', value FROM workspace_state WHERE key = 'data_version' "
        "UNION ALL SELECT name, data_version FROM rollup_state"
    )
    current = next((int(v) for n, v in rows if n == ""), 0)
    return current, {str(n): int(v) for n, v in rows if n != ""}


def existing(store: Store, tables: list[str]) -> set[str]:
    """Which of these tables the workspace has (a rollup added by a later migration may not)."""
    marks = ", ".join("?" for _ in tables)
    rows = store.fetchall(
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_schema = current_schema() AND table_name IN ({marks})",
        tuple(tables),
    )
    return {str(r[0]) for r in rows}


def has_other_currency(store: Store, table: str, base: str) -> bool:
    """Whether any row of `table` holds an amount in a currency other than `base`."""
    rows = store.fetchall(
        f"SELECT count(*) FROM (SELECT 1 FROM {q(table)} WHERE currency <> ? LIMIT 1) AS x",
        (base,),
    )
    return bool(rows[0][0])


def rebuild(tx: WriteTx, table: str, columns: list[str], select_sql: str) -> int:
    """Replace a rollup's rows and record the data version it now reflects."""
    tx.execute(f"DELETE FROM {q(table)}")
    names = ", ".join(q(c) for c in columns)
    tx.execute(f"INSERT INTO {q(table)} ({names}) {select_sql}")  # SQL compiled by ibis
    rows = tx.fetchall(f"SELECT count(*) FROM {q(table)}")
    version = tx.fetchall("SELECT value FROM workspace_state WHERE key = 'data_version'")
    current = int(version[0][0]) if version else 0
    tx.execute("DELETE FROM rollup_state WHERE name = ?", (table,))
    tx.execute(
        "INSERT INTO rollup_state (name, data_version, built_at) VALUES (?, ?, ?)",
        (table, current, datetime.now(UTC)),
    )
    return int(rows[0][0])


def bump_data_version(tx: WriteTx) -> int:
    """Move the data version on now (for a write made with changes_data=False that keeps its
    rollups fresh itself); the new version. Other writers bumping it wait for this commit."""
    tx.execute(BUMP_DATA_VERSION)
    if tx.dialect is Dialect.POSTGRES:
        tx.execute(NOTIFY_CHANGE)
    return int(tx.fetchall("SELECT value FROM workspace_state WHERE key = 'data_version'")[0][0])


def built(tx: WriteTx) -> dict[str, int]:
    """The data version each built rollup reflects, inside a write."""
    return {str(n): int(v) for n, v in tx.fetchall("SELECT name, data_version FROM rollup_state")}


def local_days(tx: WriteTx, zone: str, instants: Sequence[datetime]) -> set[date]:
    """The local days of these instants in a zone, as the database (and so the rollups) tell
    them."""
    if not instants:
        return set()
    rows = tx.fetchall(
        "SELECT DISTINCT CAST(timezone(?, t) AS DATE) "
        "FROM unnest(CAST(? AS TIMESTAMPTZ[])) AS x(t)",
        (zone, list(instants)),
    )
    return {r[0] for r in rows}


def replace_days(
    tx: WriteTx, table: str, columns: list[str], select_sql: str, day_column: str,
    days: Sequence[tuple[date, date]],
) -> None:  # fmt: skip
    """Replace the rows of these day ranges (of `day_column`) with those of a SELECT that
    yields exactly those days."""
    where = " OR ".join(f"{q(day_column)} BETWEEN ? AND ?" for _ in days)
    tx.execute(f"DELETE FROM {q(table)} WHERE {where}", [d for r in days for d in r])
    names = ", ".join(q(c) for c in columns)
    tx.execute(f"INSERT INTO {q(table)} ({names}) {select_sql}")  # SQL compiled by ibis


def mark_built(tx: WriteTx, tables: Sequence[str], version: int) -> None:
    """Record that these rollups reflect the data at `version`."""
    if tables:
        marks = ", ".join("?" for _ in tables)
        tx.execute(
            f"UPDATE rollup_state SET data_version = ?, built_at = ? WHERE name IN ({marks})",
            (version, datetime.now(UTC), *tables),
        )
