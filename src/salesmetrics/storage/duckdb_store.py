"""DuckDB client: one writer thread fed by a queue; reads on their own per-thread cursors."""

from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from salesmetrics.domain.env import positive
from salesmetrics.domain.errors import (
    InputError,
    StorageError,
    WorkspaceLockedError,
)
from salesmetrics.storage.dialect import Dialect, q
from salesmetrics.storage.loading import after_explicit_ids, insert_columns
from salesmetrics.storage.protocol import BUMP_DATA_VERSION, Params

T = TypeVar("T")

_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": "false",
    "autoload_known_extensions": "true",
    "TimeZone": "UTC",
}
CHECKPOINT_ENV = "SALESMETRICS_DUCKDB_CHECKPOINT_MB"
SERVING_CHECKPOINT_MB = 256  # DuckDB's own default is 16: a checkpoint every few seconds


def checkpoint_mb(default: int | None = None) -> int | None:
    """MiB of log after which a commit writes it into the file: SALESMETRICS_DUCKDB_CHECKPOINT_MB,
    else `default` (None: DuckDB's own 16). That commit waits for the checkpoint, hundreds of
    ms on a large workspace, so a server under a stream of events wants it rare; a bulk writer
    (demo, import) wants it small, since the log's data stays in memory until then (the
    large demo peaks at 1.8 GiB with 16, 3.2 GiB with 256)."""
    return positive(CHECKPOINT_ENV, default, int, "megabytes")


def _config() -> dict[str, str | bool | int | float | list[str]]:
    """The connection settings (the checkpoint threshold only when it is set)."""
    mb = checkpoint_mb()
    return {**_CONFIG, **({"checkpoint_threshold": f"{mb}MiB"} if mb else {})}


def _locked_message(path: str, exc: Exception) -> str:
    pid = re.search(r"PID (\d+)", str(exc))
    holder = f" (process {pid.group(1)})" if pid else ""
    return (
        f"the workspace {path} is open for writing in another process{holder}, "
        "probably `salesmetrics serve`; stop it, or pass --server URL to go through it"
    )


def connect(path: str) -> duckdb.DuckDBPyConnection:
    """Open the file read-write with built-in extensions only; a held lock is a clear error."""
    try:
        return duckdb.connect(path, config=_config())
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WorkspaceLockedError(_locked_message(path, exc)) from exc
        raise StorageError(f"cannot open {path}: {exc}") from exc


def _translate(exc: BaseException) -> BaseException:
    """A broken constraint is the user's input at fault; say which rule it broke."""
    if isinstance(exc, duckdb.ConstraintException):
        first = str(exc).splitlines()[0]
        return InputError(f"rejected by the database: {first}")
    return exc


class _Tx:
    """The writer thread's view of one open transaction."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur

    @property
    def dialect(self) -> Dialect:
        return Dialect.DUCKDB

    def execute(self, sql: str, params: Params = ()) -> None:
        # DuckDB 2 refuses new work on a cursor whose last result was not drained.
        self._cur.execute(sql, list(params)).fetchall()

    def fetchall(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return self._cur.execute(sql, list(params)).fetchall()

    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table:
        result: pa.Table = self._cur.sql(sql, params=list(params)).to_arrow_table()
        return result

    def _with_view(self, data: pa.Table, sql: str) -> None:
        """Run `sql` with the Arrow table visible as the view `_src`."""
        self._cur.register("_src", data)
        try:
            self._cur.execute(sql).fetchall()
        finally:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses this too
                self._cur.unregister("_src")

    def load_arrow(self, table: str, data: pa.Table) -> int:
        cols = insert_columns(table, data)
        names = ", ".join(q(c) for c in cols)
        self._with_view(data, f"INSERT INTO {q(table)} ({names}) SELECT {names} FROM _src")
        after_explicit_ids(self, table, cols)
        return int(data.num_rows)

    def update_from_arrow(self, table: str, data: pa.Table) -> int:
        sets = ", ".join(f"{q(c)} = _src.{q(c)}" for c in insert_columns(table, data) if c != "id")
        self._with_view(
            data, f"UPDATE {q(table)} SET {sets} FROM _src WHERE {q(table)}.id = _src.id"
        )
        return int(data.num_rows)

    def delete_ids(self, table: str, ids: pa.Array) -> int:
        self._with_view(
            pa.table({"id": ids}), f"DELETE FROM {q(table)} WHERE id IN (SELECT id FROM _src)"
        )
        return len(ids)


@dataclass
class _Job:
    work: Callable[[_Tx], Any]
    done: Future[Any]
    changes_data: bool = True


class DuckDBStore:
    """A DuckDB workspace file. The writer thread is the only one that writes."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._con = connect(path)
        self._local = threading.local()
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._writer = threading.Thread(target=self._run, name="salesmetrics-writer", daemon=True)
        self._writer.start()
        self._closed = False

    @property
    def dialect(self) -> Dialect:
        return Dialect.DUCKDB

    @property
    def url(self) -> str:
        return self._path

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cur = cur
        return cur

    def fetchall(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return self._cursor().execute(sql, list(params)).fetchall()

    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table:
        table: pa.Table = self._cursor().sql(sql, params=list(params)).to_arrow_table()
        return table

    def write(self, work: Callable[[_Tx], T], *, changes_data: bool = True) -> T:
        if threading.current_thread() is self._writer:
            raise StorageError("a write inside a write: pass the open transaction along instead")
        if self._closed:
            raise StorageError(f"the workspace {self._path} is closed")
        job = _Job(work, Future(), changes_data)
        self._jobs.put(job)
        result: T = job.done.result()
        return result

    def _run(self) -> None:
        cur = self._con.cursor()
        while (job := self._jobs.get()) is not None:
            if not job.done.set_running_or_notify_cancel():
                continue
            cur.begin()
            try:
                result = job.work(_Tx(cur))
                if job.changes_data:
                    cur.execute(BUMP_DATA_VERSION).fetchall()
                cur.commit()
            except BaseException as exc:
                cur.rollback()
                job.done.set_exception(_translate(exc))
            else:
                job.done.set_result(result)
        cur.close()

    @contextmanager
    def read_snapshot(self) -> Iterator[_Tx]:
        """A read transaction on a cursor of its own: DuckDB's MVCC keeps its view while the
        writer thread commits."""
        cur = self._con.cursor()
        try:
            cur.begin()
            yield _Tx(cur)
        finally:
            cur.rollback()
            cur.close()

    def change_listener(self) -> None:
        return None  # one process per file: the writer is in this process

    def lead(self, role: str) -> bool:
        return True  # the only process on the file

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._jobs.put(None)
        self._writer.join()
        self._con.close()
