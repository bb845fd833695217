"""Apply the migrations a workspace has not seen yet, each in its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from salesmetrics.storage.dialect import Dialect, operation_sql
from salesmetrics.storage.migrations import MIGRATIONS, Migration
from salesmetrics.storage.protocol import Store, WriteTx

_LEDGER = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
)
_PG_LOCK = "SELECT pg_advisory_xact_lock(7405001)"  # two processes never migrate at once


def applied_versions(store: Store) -> set[int]:
    return {row[0] for row in store.fetchall("SELECT version FROM schema_migrations")}


def _apply(store: Store, migration: Migration) -> bool:
    def work(tx: WriteTx) -> bool:
        if store.dialect is Dialect.POSTGRES:
            tx.execute(_PG_LOCK)
        done = tx.fetchall("SELECT 1 FROM schema_migrations WHERE version = ?", [migration.version])
        if done:
            return False
        for op in migration.operations:
            for stmt in operation_sql(store.dialect, op):
                tx.execute(stmt)
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            [migration.version, migration.name, datetime.now(UTC)],
        )
        return True

    return store.write(work, changes_data=False)


def migrate(store: Store) -> list[int]:
    """Bring the schema up to date; returns the versions applied now (empty if none)."""

    def ledger(tx: WriteTx) -> None:
        if store.dialect is Dialect.POSTGRES:
            tx.execute(_PG_LOCK)
        tx.execute(_LEDGER)

    store.write(ledger, changes_data=False)
    seen = applied_versions(store)
    return [m.version for m in MIGRATIONS if m.version not in seen and _apply(store, m)]
