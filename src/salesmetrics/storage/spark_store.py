"""A read-only workspace on Apache Spark: the Parquet warehouse `salesmetrics warehouse export`
writes, registered as Spark SQL views through ibis's PySpark backend, queried with the SQL the
metric engine compiles for the `pyspark` dialect.

URL: `spark:/path/to/warehouse` (any path or URI Spark reads: `spark:hdfs://nn/warehouse`,
`spark:s3a://bucket/warehouse`). The master is $SALESMETRICS_SPARK_MASTER, `local[2]` by default
(a cluster: `spark://host:7077`, `yarn`, `k8s://...`); other Spark settings come from the usual
spark-defaults.conf or $SALESMETRICS_SPARK_CONF (`key=value;key=value`)."""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa

from salesmetrics.domain.errors import ConfigError, StorageError
from salesmetrics.storage import catalog
from salesmetrics.storage.dialect import Dialect, q
from salesmetrics.storage.protocol import Params

T = TypeVar("T")
SCHEME = "spark:"
MASTER_ENV = "SALESMETRICS_SPARK_MASTER"
CONF_ENV = "SALESMETRICS_SPARK_CONF"
LOG_LEVEL_ENV = "SALESMETRICS_SPARK_LOG_LEVEL"
MANIFEST = "_salesmetrics.json"
# Spark's settings that make its SQL answer as DuckDB and PostgreSQL do: instants in UTC, and a
# division by zero or a bad cast gives NULL as the compiled SQL expects, not an error.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "2g",
    # a warehouse has a folder per month per table: list them here, not in a Spark job each
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "4096",
}
LOCAL_CONF = {"spark.sql.shuffle.partitions": "4"}  # local mode: a few cores, small shuffles
# Tables the engine reads that an export does not hold, as empty views (no rollups on Spark:
# every metric is computed from the facts).
_EMPTY = {
    "rollup_state": "SELECT CAST(NULL AS STRING) AS name, CAST(NULL AS BIGINT) AS data_version "
    "WHERE 1 = 0",
}


_OPEN = [0]  # SparkStores open in this process: they share its one session
_OPEN_LOCK = threading.Lock()


def is_spark(url: str) -> bool:
    return url.startswith(SCHEME)


class SparkStore:
    """Reads only: a write is an error that says where the data comes from."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.folder = url.removeprefix(SCHEME).removeprefix("//") or "."
        manifest = _manifest(self.folder)
        self.schema_version = int(manifest.get("schema_version", 0))
        if self.schema_version != catalog.LATEST_VERSION:
            raise StorageError(
                f"the warehouse at {self.folder} has schema version {self.schema_version}, this "
                f"salesmetrics reads {catalog.LATEST_VERSION}: export it again"
            )
        self._manifest = manifest
        self._stamp = _stamp(self.folder)
        self._session: Any = None  # started at the first query: a refused write needs none
        self._closed = False

    def _spark(self) -> Any:
        with _OPEN_LOCK:
            if self._closed:
                raise StorageError(f"the workspace {self._url} is closed")
            if self._session is None:
                self._session = _session()
                _OPEN[0] += 1
                self._register(self._manifest)
            elif _stamp(self.folder) != self._stamp:  # exported again: read the files anew
                self._manifest = _manifest(self.folder)
                self._register(self._manifest)
            return self._session

    def _register(self, manifest: dict[str, Any]) -> None:
        """One view per table, of the table's own columns. Views are the session's: one
        warehouse per process (a second spark: store re-registers the names for its own)."""
        import ibis

        self._stamp = _stamp(self.folder)
        con = ibis.pyspark.connect(self._session)  # registers the files, sets ibis's options
        for name, entry in manifest.get("tables", {}).items():
            cols = ", ".join(q(c).replace('"', "`") for c in entry["columns"])
            path = f"{self.folder.rstrip('/')}/{name}"
            raw = f"__{name}_parquet"
            con.read_parquet(path, table_name=raw)  # partition discovery adds `month`
            self._session.sql(f"CREATE OR REPLACE TEMP VIEW `{name}` AS SELECT {cols} FROM `{raw}`")
        for name, sql in _EMPTY.items():
            self._session.sql(f"CREATE OR REPLACE TEMP VIEW `{name}` AS {sql}")
        self._session.sql(  # the schema the export was made with (info, /healthz read it)
            "CREATE OR REPLACE TEMP VIEW `schema_migrations` AS SELECT "
            f"{self.schema_version} AS version, 'warehouse export' AS name, "
            "current_timestamp() AS applied_at"
        )

    @property
    def dialect(self) -> Dialect:
        return Dialect.SPARK

    @property
    def url(self) -> str:
        return self._url

    def fetchall(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._frame(sql, params).collect()]

    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table:
        table: pa.Table = self._frame(sql, params).toArrow()
        return table

    def _frame(self, sql: str, params: Params) -> Any:
        args = [_literal(p) for p in params]
        try:
            return self._spark().sql(_spark_sql(sql), args=args or None)
        except Exception as exc:  # Spark's AnalysisException and friends: say which statement
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StorageError(f"Spark could not run a query: {first}") from exc

    def write(self, work: Callable[[Any], T], *, changes_data: bool = True) -> T:
        raise StorageError(
            f"{self._url} is a read-only warehouse export: change the workspace it was exported "
            "from, then `salesmetrics warehouse export` again"
        )

    def change_listener(self) -> None:
        return None

    @contextmanager
    def read_snapshot(self) -> Iterator[SparkStore]:
        yield self  # nothing writes here

    def lead(self, role: str) -> bool:
        return False  # runs no server loops: nothing here changes

    def close(self) -> None:
        """The last store of the process to close stops Spark (its JVM and connections)."""
        with _OPEN_LOCK:
            if self._closed:
                return
            self._closed = True
            if self._session is not None:
                _OPEN[0] -= 1
                if _OPEN[0] == 0:
                    _stop(self._session)


def _manifest_path(folder: str) -> Path:
    if "://" not in folder:
        return Path(folder) / MANIFEST
    local = os.environ.get("SALESMETRICS_SPARK_MANIFEST")  # a cluster's storage: a local copy
    if not local:
        raise ConfigError(
            f"{folder} is not a local folder: set SALESMETRICS_SPARK_MANIFEST to a local copy "
            f"of its {MANIFEST}"
        )
    return Path(local)


def _manifest(folder: str) -> dict[str, Any]:
    path = _manifest_path(folder)
    if not path.exists():
        raise StorageError(
            f"no warehouse at {folder} ({MANIFEST} missing): run "
            f"`salesmetrics warehouse export {folder}` first"
        )
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise StorageError(f"{path} is not a warehouse manifest") from None
    return manifest


def _stamp(folder: str) -> int:
    try:
        return _manifest_path(folder).stat().st_mtime_ns
    except OSError:
        return 0


def _session() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            "a spark: workspace needs PySpark and Java 17: pip install 'salesmetrics[spark]' "
            "(make test installs both)"
        ) from None
    master = os.environ.get(MASTER_ENV, "local[2]")
    builder = SparkSession.builder.master(master).appName("salesmetrics")
    conf = {**SESSION_CONF, **(LOCAL_CONF if master.startswith("local") else {})}
    for item in os.environ.get(CONF_ENV, "").split(";"):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            conf[key.strip()] = value.strip()
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise StorageError(f"Spark did not start (is Java 17 installed?): {exc}") from exc
    level = os.environ.get(LOG_LEVEL_ENV, "FATAL")  # a failed query is reported by us, once
    session.sparkContext.setLogLevel(level)
    logging.getLogger("SQLQueryContextLogger").setLevel(getattr(logging, level, logging.CRITICAL))
    return session


def _stop(session: Any) -> None:
    """Stop the session, its py4j gateway and the JVM the gateway started."""
    from pyspark import SparkContext

    session.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        proc = getattr(gateway, "proc", None)
        gateway.shutdown()
        SparkContext._gateway = None
        SparkContext._jvm = None
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()  # the JVM's launcher ends when its stdin does
            try:
                proc.wait(timeout=30)
            except Exception:
                proc.kill()
                proc.wait()


def _literal(value: object) -> object:
    """An instant stays zoned (PySpark reads a naive one in the machine's local zone, not the
    session's); a naive one, which the repositories never pass, is taken as UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@functools.lru_cache(maxsize=512)
def _spark_sql(sql: str) -> str:
    """SQL as Spark reads it. The metric engine compiles for Spark already (backticks); the
    repositories' SQL (double-quoted names, DuckDB's spelling) is transpiled by sqlglot."""
    if "`" in sql:
        return sql
    import sqlglot

    return str(sqlglot.transpile(sql, read="duckdb", write="spark")[0])
