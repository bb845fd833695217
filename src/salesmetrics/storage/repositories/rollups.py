"""Rollup tables: rebuild one from a SELECT, and read which data version each was built from."""

from __future__ import annotations

from datetime import UTC, datetime

from salesmetrics.storage.dialect import q
from salesmetrics.storage.protocol import Store, WriteTx


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
