"""The one storage Protocol both clients implement. Callers never see a driver object."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

import pyarrow as pa

from salesmetrics.storage.dialect import Dialect

T = TypeVar("T")

BUMP_DATA_VERSION = (
    "INSERT INTO workspace_state (key, value) VALUES ('data_version', 1) "
    "ON CONFLICT (key) DO UPDATE SET value = workspace_state.value + 1"
)
# PostgreSQL: every transaction that moves the data version also notifies this channel, so the
# other server processes on the workspace hear of the change at commit instead of polling.
CHANGES_CHANNEL = "salesmetrics_changes"
NOTIFY_CHANGE = f"NOTIFY {CHANGES_CHANNEL}"
Params = Sequence[Any]


class ChangeListener(Protocol):
    """Waits for other processes' data changes (PostgreSQL's LISTEN on CHANGES_CHANNEL)."""

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when a change was announced (or may have been
        missed, after a reconnect): read the data version then."""
        ...

    def close(self) -> None: ...


class Reader(Protocol):
    """Reads: a store, or one consistent snapshot of it (Store.read_snapshot)."""

    @property
    def dialect(self) -> Dialect: ...

    def fetchall(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]: ...

    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table: ...


class WriteTx(Protocol):
    """One write transaction; everything done through it commits together or not at all."""

    @property
    def dialect(self) -> Dialect: ...

    def execute(self, sql: str, params: Params = ()) -> None: ...

    def fetchall(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]: ...

    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table: ...

    def load_arrow(self, table: str, data: pa.Table) -> int:
        """Append rows; columns are matched by name, absent ones take their defaults."""
        ...

    def update_from_arrow(self, table: str, data: pa.Table) -> int:
        """Set the given columns of the rows whose `id` is in the data's `id` column."""
        ...

    def delete_ids(self, table: str, ids: pa.Array) -> int:
        """Delete the rows with these ids."""
        ...


class Store(Protocol):
    """A workspace database: reads anywhere, writes as serialised transactions."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def url(self) -> str: ...

    def fetchall(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]: ...

    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table: ...

    def write(self, work: Callable[[WriteTx], T], *, changes_data: bool = True) -> T:
        """Run `work` in one transaction; commit if it returns, roll back if it raises.

        Unless `changes_data` is False, the transaction also bumps the data version, so
        anything derived from the data (rollups) knows it is stale."""
        ...

    def change_listener(self) -> ChangeListener | None:
        """A listener for changes committed by other processes; None where only one process
        opens the workspace (a DuckDB file)."""
        ...

    def read_snapshot(self) -> AbstractContextManager[Reader]:
        """Many reads that see one moment of the data (a long export), while writers go on:
        a read-only transaction (PostgreSQL: REPEATABLE READ)."""
        ...

    def lead(self, role: str) -> bool:
        """Whether this process holds `role` (e.g. running the alert loop) among the processes
        on the workspace: taken on the first call that finds it free, kept until close."""
        ...

    def close(self) -> None: ...
