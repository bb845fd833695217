"""The one storage Protocol both clients implement. Callers never see a driver object."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import pyarrow as pa

from salesmetrics.storage.dialect import Dialect

T = TypeVar("T")

BUMP_DATA_VERSION = (
    "INSERT INTO workspace_state (key, value) VALUES ('data_version', 1) "
    "ON CONFLICT (key) DO UPDATE SET value = workspace_state.value + 1"
)
Params = Sequence[Any]


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

    def close(self) -> None: ...
