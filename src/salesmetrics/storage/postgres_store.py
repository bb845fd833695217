"""PostgreSQL client: psycopg 3 with a connection pool; bulk loads through COPY."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool

from salesmetrics.domain.errors import InputError, StorageError
from salesmetrics.storage.dialect import Dialect, placeholders, q
from salesmetrics.storage.loading import after_explicit_ids, insert_columns
from salesmetrics.storage.protocol import (
    BUMP_DATA_VERSION,
    CHANGES_CHANNEL,
    NOTIFY_CHANGE,
    ChangeListener,
    Params,
)

T = TypeVar("T")
_COPY_CHUNK = 200_000


# PostgreSQL type name -> the Arrow type DuckDB would return for the same column.
_ARROW_BY_PG: dict[str, pa.DataType] = {
    "int8": pa.int64(),
    "int4": pa.int32(),
    "int2": pa.int16(),
    "float8": pa.float64(),
    "float4": pa.float32(),
    "numeric": pa.float64(),
    "bool": pa.bool_(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "json": pa.string(),
    "jsonb": pa.string(),
    "date": pa.date32(),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "timestamp": pa.timestamp("us"),
}


def _arrow_type(cur: psycopg.Cursor[tuple[Any, ...]], oid: int) -> pa.DataType | None:
    info = cur.adapters.types.get(oid)
    return _ARROW_BY_PG.get(info.name) if info else None


def _rows_to_arrow(cur: psycopg.Cursor[tuple[Any, ...]]) -> pa.Table:
    desc = cur.description or []
    rows = cur.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in desc]
    arrays = [
        pa.array(
            [float(x) if isinstance(x, Decimal) else x for x in values],
            type=_arrow_type(cur, d.type_code),
        )
        for d, values in zip(desc, columns, strict=True)
    ]
    return pa.table(arrays, names=[d.name for d in desc])


def _configure(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    """JSON comes back as text, as it does from DuckDB; callers parse it where they need to."""
    conn.adapters.register_loader("json", TextLoader)
    conn.adapters.register_loader("jsonb", TextLoader)


class _Tx:
    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self._conn = conn

    @property
    def dialect(self) -> Dialect:
        return Dialect.POSTGRES

    def execute(self, sql: str, params: Params = ()) -> None:
        self._conn.execute(
            placeholders(Dialect.POSTGRES, sql) if params else sql, list(params) or None
        )

    def fetchall(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        query = placeholders(Dialect.POSTGRES, sql) if params else sql
        return self._conn.execute(query, list(params) or None).fetchall()

    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table:
        query = placeholders(Dialect.POSTGRES, sql) if params else sql
        with self._conn.cursor() as cur:
            cur.execute(query, list(params) or None)
            return _rows_to_arrow(cur)

    def _copy(self, table: str, data: pa.Table) -> None:
        names = ", ".join(q(c) for c in data.column_names)
        copy_sql = f"COPY {q(table)} ({names}) FROM STDIN (FORMAT csv, HEADER false)"
        with self._conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for start in range(0, data.num_rows, _COPY_CHUNK):
                buf = io.BytesIO()
                options = pacsv.WriteOptions(include_header=False)
                pacsv.write_csv(data.slice(start, _COPY_CHUNK), buf, options)
                copy.write(buf.getvalue())

    def load_arrow(self, table: str, data: pa.Table) -> int:
        cols = insert_columns(table, data)
        self._copy(table, data)
        after_explicit_ids(self, table, cols)
        return int(data.num_rows)

    def _staged(self, table: str, data: pa.Table) -> str:
        """Copy the data into a temporary table shaped like `table`'s columns; return its name."""
        cols = ", ".join(q(c) for c in insert_columns(table, data))
        self._conn.execute("DROP TABLE IF EXISTS _src")
        self._conn.execute(
            f"CREATE TEMP TABLE _src ON COMMIT DROP AS SELECT {cols} FROM {q(table)} WITH NO DATA"
        )
        self._copy("_src", data)
        return "_src"

    def update_from_arrow(self, table: str, data: pa.Table) -> int:
        src = self._staged(table, data)
        sets = ", ".join(f"{q(c)} = {src}.{q(c)}" for c in data.column_names if c != "id")
        self._conn.execute(
            f"UPDATE {q(table)} SET {sets} FROM {src} WHERE {q(table)}.id = {src}.id"
        )
        return int(data.num_rows)

    def delete_ids(self, table: str, ids: pa.Array) -> int:
        src = self._staged(table, pa.table({"id": ids}))
        self._conn.execute(f"DELETE FROM {q(table)} WHERE id IN (SELECT id FROM {src})")
        return len(ids)


class PostgresStore:
    """A PostgreSQL workspace. Writes are transactions on pooled connections."""

    def __init__(self, url: str, *, max_size: int = 8) -> None:
        self._url = url
        self._roles: dict[str, psycopg.Connection[tuple[Any, ...]]] = {}
        self._roles_lock = threading.Lock()
        _probe(url)
        try:
            self._pool = ConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                kwargs={"autocommit": True, "options": "-c TimeZone=UTC"},
                configure=_configure,
                open=True,
                timeout=10,
            )
            self._pool.wait(timeout=10)
        except Exception as exc:  # psycopg_pool raises its own PoolTimeout
            raise StorageError(f"cannot reach PostgreSQL at {_redact(url)}: {exc}") from exc

    @property
    def dialect(self) -> Dialect:
        return Dialect.POSTGRES

    @property
    def url(self) -> str:
        return _redact(self._url)

    def fetchall(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        query = placeholders(Dialect.POSTGRES, sql) if params else sql
        with self._pool.connection() as conn:
            return conn.execute(query, list(params) or None).fetchall()

    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table:
        query = placeholders(Dialect.POSTGRES, sql) if params else sql
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(query, list(params) or None)
            return _rows_to_arrow(cur)

    def write(self, work: Callable[[_Tx], T], *, changes_data: bool = True) -> T:
        try:
            with self._pool.connection() as conn, conn.transaction():
                result = work(_Tx(conn))
                if changes_data:
                    conn.execute(BUMP_DATA_VERSION)
                    conn.execute(NOTIFY_CHANGE)  # delivered at commit, to every listener
                return result
        except psycopg.errors.IntegrityError as exc:
            first = str(exc).splitlines()[0]
            raise InputError(f"rejected by the database: {first}") from exc

    def change_listener(self) -> ChangeListener:
        return _Listener(self._url)

    @contextmanager
    def read_snapshot(self) -> Iterator[_Tx]:
        with self._pool.connection() as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield _Tx(conn)
            finally:
                conn.execute("ROLLBACK")

    def lead(self, role: str) -> bool:
        """A session advisory lock on a connection of its own, held until close. Checked at
        each call: if its connection died (the server restarted, the link dropped), the lock
        went with it, and this process leads again only if it can take the lock anew."""
        with self._roles_lock:
            held = self._roles.get(role)
        if held is not None:
            if _alive(held):
                return True
            held.close()
            with self._roles_lock:
                self._roles.pop(role, None)
        key = int.from_bytes(hashlib.sha256(f"salesmetrics:{role}".encode()).digest()[:4])
        conn = psycopg.connect(self._url, autocommit=True, **_LONG_LIVED)
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()
        if not row or not row[0]:
            conn.close()
            return False
        with self._roles_lock:
            self._roles[role] = conn
        return True

    def close(self) -> None:
        with self._roles_lock:
            for conn in self._roles.values():
                conn.close()
            self._roles.clear()
        self._pool.close()


# Connections kept open for a process's life (a LISTEN, a held lock): a link that dies without
# a word (a NAT or proxy timing out, a failover) is noticed within about a minute.
_LONG_LIVED: dict[str, Any] = {
    "connect_timeout": 5, "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
    "keepalives_count": 3,
}  # fmt: skip


class _Listener:
    """LISTEN on a connection of its own (a pooled one would lose its LISTEN when returned)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None

    def wait(self, timeout: float) -> bool:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._url, autocommit=True, **_LONG_LIVED)
            self._conn.execute(f"LISTEN {CHANGES_CHANNEL}")
            return True  # changes made while not listening went unheard: look now
        heard = False
        try:
            for _ in self._conn.notifies(timeout=timeout, stop_after=1):
                heard = True
            for _ in self._conn.notifies(timeout=0):  # a burst counts once
                pass
        except psycopg.OperationalError:
            self._conn.close()  # reconnect at the next wait
            raise
        return heard

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def _alive(conn: psycopg.Connection[tuple[Any, ...]]) -> bool:
    try:
        conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _probe(url: str) -> None:
    """Connect once before pooling, so an unreachable server fails fast with its own reason."""
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        reason = " ".join(part.strip() for part in str(exc).splitlines()) or type(exc).__name__
        raise StorageError(f"cannot reach PostgreSQL at {_redact(url)}: {reason}") from exc


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, cred = head.partition("//")
    user = cred.split(":", 1)[0]
    return f"{scheme}//{user}:***@{tail}"
