"""The workspace as a Parquet warehouse, for a distributed engine (Spark) to read.

`export(ws, folder)` writes the tables the metric engine reads (plus the settings and state it
needs; never people, credentials, alerts or the audit log: storage/repositories/warehouse.py
lists them) under `folder/<table>/`. Tables with a date are partitioned by its UTC month, Hive
style (`orders/month=2026-11/part-0.parquet`; a line is filed under its order's month); the
rest are one file. All reads come from one snapshot of the data (a read-only transaction), so
an export is one moment of the workspace even while writers go on.

Incremental: each file carries the fingerprint of its rows (values, nulls and types) in its
Parquet metadata, and is rewritten only when the rows' fingerprint differs; a month folder
whose rows are gone is removed. Every export still reads and hashes the whole workspace; it
writes only what changed. Each file is written under a hidden name (readers skip names that
start with a dot) and renamed into place; the manifest `_salesmetrics.json` (tables, columns,
partitions, data version) is written last. A crash mid-export leaves whole files, some new and
some old, and the next export puts it right. One export at a time per folder (a lock file).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from salesmetrics.domain.errors import InputError
from salesmetrics.services.workspace import Workspace, schema_version
from salesmetrics.storage.protocol import Reader
from salesmetrics.storage.repositories import warehouse as repo

MANIFEST = "_salesmetrics.json"
LOCK = ".export.lock"
FINGERPRINT_KEY = b"salesmetrics.fingerprint"
FORMAT = 1
WHOLE = "all"  # the one part of an unpartitioned table, in the manifest
PART_FILE = "part-0.parquet"


@dataclass
class TableExport:
    parts: int = 0
    written: int = 0
    removed: int = 0
    rows: int = 0


@dataclass
class ExportReport:
    folder: Path
    data_version: int
    seconds: float
    tables: dict[str, TableExport] = field(default_factory=dict)

    @property
    def written(self) -> int:
        return sum(t.written for t in self.tables.values())

    @property
    def parts(self) -> int:
        return sum(t.parts for t in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "data_version": self.data_version,
            "seconds": round(self.seconds, 3),
            "parts": self.parts,
            "written": self.written,
            "tables": {n: vars(t) for n, t in self.tables.items()},
        }


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise InputError(f"{path} is not a warehouse manifest (not JSON)") from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"{path}: warehouse format {manifest.get('format')!r}, expected {FORMAT}")
    return manifest


def export(
    ws: Workspace, folder: Path, progress: Callable[[int, int, str], None] | None = None
) -> ExportReport:
    """Bring `folder` up to date with the workspace; what was written and kept."""
    started = time.perf_counter()
    if folder.exists() and any(folder.iterdir()) and not (folder / MANIFEST).exists():
        raise InputError(
            f"{folder} holds other files: export into an empty folder or an earlier export's"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        read_manifest(folder)  # a folder of another format is refused before anything changes
        if not (folder / MANIFEST).exists():  # from now on the folder is an export's
            _write_atomic(folder / MANIFEST, json.dumps({"format": FORMAT, "tables": {}}).encode())
        with ws.store.read_snapshot() as db:
            report = ExportReport(folder, repo.data_version(db), 0.0)
            tables: dict[str, Any] = {}
            for i, name in enumerate(repo.EXPORTED):
                if progress is not None:
                    progress(i, len(repo.EXPORTED), name)
                report.tables[name], tables[name] = _export_table(db, folder, name)
        manifest = {
            "format": FORMAT, "schema_version": schema_version(ws),
            "data_version": report.data_version,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"), "tables": tables,
        }  # fmt: skip
        _write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1).encode())
    if progress is not None:
        progress(len(repo.EXPORTED), len(repo.EXPORTED), "")
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / LOCK).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"another export into {folder} is running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _export_table(db: Reader, folder: Path, name: str) -> tuple[TableExport, dict[str, Any]]:
    done = TableExport()
    parts: dict[str, Any] = {}
    partition_by = repo.PARTITIONS.get(name, (None, None))[1]
    keys: list[str | None] = list(repo.months(db, name)) if partition_by else [None]
    if partition_by and not keys:  # an empty table still has its columns for a reader
        keys = [repo.NO_MONTH]
    for month in keys:
        data = repo.read(db, name, month)
        path = _part_path(folder, name, month)
        fingerprint = _fingerprint(data)
        if _fingerprint_of(path) != fingerprint:
            _write_part(path, data, fingerprint)
            done.written += 1
        parts[month or WHOLE] = {"rows": data.num_rows, "fingerprint": fingerprint}
        done.parts += 1
        done.rows += data.num_rows
    if partition_by:  # month folders whose rows are gone (or left by a crashed export)
        kept = {f"month={m}" for m in keys}
        for stale in (folder / name).glob("month=*"):
            if stale.name not in kept:
                shutil.rmtree(stale)
                done.removed += 1
    return done, {"partition_by": partition_by, "columns": repo.columns(name), "parts": parts}


def _part_path(folder: Path, table: str, month: str | None) -> Path:
    if month is None:
        return folder / table / PART_FILE
    return folder / table / f"month={month}" / PART_FILE


def _fingerprint(data: pa.Table) -> str:
    digest = hashlib.sha256(f"{data.schema}:{data.num_rows}".encode())
    if data.num_rows:
        rows = pd.util.hash_pandas_object(data.to_pandas(), index=False)
        digest.update(rows.to_numpy().tobytes())
    return digest.hexdigest()


def _fingerprint_of(path: Path) -> str | None:
    """The fingerprint a file was written with (its own metadata), or None."""
    try:
        meta = pq.read_metadata(path).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None
    value = meta.get(FINGERPRINT_KEY)
    return value.decode() if value else None


def _write_part(path: Path, data: pa.Table, fingerprint: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    hidden = path.with_name(f".{path.name}.tmp")  # readers skip names starting with a dot
    meta = {**(data.schema.metadata or {}), FINGERPRINT_KEY: fingerprint.encode()}
    pq.write_table(data.replace_schema_metadata(meta), hidden, compression="zstd")
    hidden.replace(path)


def _write_atomic(path: Path, body: bytes) -> None:
    hidden = path.with_name(f".{path.name}.tmp")
    hidden.write_bytes(body)
    hidden.replace(path)
