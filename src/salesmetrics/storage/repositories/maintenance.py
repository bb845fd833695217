"""Housekeeping statements outside any transaction."""

from __future__ import annotations

import logging

from salesmetrics.storage.dialect import Dialect
from salesmetrics.storage.duckdb_store import SERVING_CHECKPOINT_MB, checkpoint_mb
from salesmetrics.storage.protocol import Store

log = logging.getLogger(__name__)


def checkpoint(store: Store) -> bool:
    """Write DuckDB's log into the database file now; whether it ran. PostgreSQL checkpoints
    on its own. A checkpoint that cannot run now (another write is open) is left to the next
    pause or to the automatic one: nothing is lost either way."""
    if store.dialect is not Dialect.DUCKDB:
        return False
    try:
        store.fetchall("CHECKPOINT")
    except Exception as exc:  # the driver's own error classes: busy, closed
        log.info("checkpoint skipped: %s", exc)
        return False
    return True


def checkpoint_for_serving(store: Store) -> int | None:
    """A server checkpoints when events pause: raise DuckDB's threshold so that the automatic
    checkpoint seldom falls inside a commit a request waits for (SALESMETRICS_DUCKDB_CHECKPOINT_MB,
    default 256). The MiB now in force; None on PostgreSQL."""
    if store.dialect is not Dialect.DUCKDB:
        return None
    mb = checkpoint_mb(SERVING_CHECKPOINT_MB) or SERVING_CHECKPOINT_MB
    store.fetchall(f"SET checkpoint_threshold = '{mb}MiB'")  # an int: nothing to escape
    return mb
