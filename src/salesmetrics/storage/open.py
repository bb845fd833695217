"""Pick and open the client a workspace URL names, and bring its schema up to date."""

from __future__ import annotations

import os
from pathlib import Path

from salesmetrics.domain.errors import ConfigError, NotFoundError
from salesmetrics.storage.duckdb_store import DuckDBStore
from salesmetrics.storage.migrate import migrate
from salesmetrics.storage.postgres_store import PostgresStore
from salesmetrics.storage.protocol import Store
from salesmetrics.storage.spark_store import SparkStore, is_spark

DEFAULT_DB = "salesmetrics.duckdb"
ENV_VAR = "SALESMETRICS_DB"


def resolve_url(url: str | None) -> str:
    """--db, else $SALESMETRICS_DB, else ./salesmetrics.duckdb."""
    chosen = url or os.environ.get(ENV_VAR) or DEFAULT_DB
    if not chosen.strip():
        raise ConfigError("the workspace URL is empty: pass --db or set SALESMETRICS_DB")
    return chosen


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def duckdb_path(url: str) -> str:
    path = url.removeprefix("duckdb://")
    if "://" in path:
        raise ConfigError(
            f"'{url}' is not a workspace: use a DuckDB file path or a postgresql:// URL"
        )
    return path


def open_store(url: str | None = None, *, create: bool = False) -> Store:
    """Open a workspace; with create=False a missing DuckDB file is an error, not a new file."""
    chosen = resolve_url(url)
    store: Store
    if is_spark(chosen):  # a read-only warehouse export: no schema to bring up to date
        return SparkStore(chosen)
    if is_postgres(chosen):
        store = PostgresStore(chosen)
    else:
        path = duckdb_path(chosen)
        if path != ":memory:" and not create and not Path(path).exists():
            raise NotFoundError(
                f"no workspace at {path}: run `salesmetrics init` or `salesmetrics demo` first"
            )
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        store = DuckDBStore(path)
    try:
        migrate(store)
    except Exception:
        store.close()
        raise
    return store
