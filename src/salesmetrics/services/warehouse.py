"""The workspace as a Parquet warehouse, for a distributed engine (Spark) to read.

`export(ws, folder)` writes each business table (plus the settings and state the metric engine
reads; never people, credentials or the audit log) under `folder/<table>/`. Tables with a date
are partitioned by its UTC month, Hive style (`orders/month=2026-11/part-0.parquet`; a line is
filed under its order's month); the rest are one file. The export is incremental: a partition
is rewritten only when its rows changed (a fingerprint of its rows, values, nulls and types,
kept in `_salesmetrics.json`), and a partition that no longer has rows is removed.

Each file is written beside its place under a hidden name and renamed into it, so a reader never
sees half a file; the manifest is written last. A crash mid-export leaves some partitions new
and some old: the next export puts it right (a reader of the folder meanwhile may see a mix).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from salesmetrics.domain.errors import InputError
from salesmetrics.services.live import data_version
from salesmetrics.services.workspace import Workspace, schema_version
from salesmetrics.storage.repositories import warehouse as repo

MANIFEST = "_salesmetrics.json"
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
            f"{folder} holds other files: export into an empty or earlier export's folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    old = read_manifest(folder).get("tables", {})
    version = data_version(ws)
    report = ExportReport(folder, version, 0.0)
    tables: dict[str, Any] = {}
    names = repo.exported_tables()
    for i, name in enumerate(names):
        if progress is not None:
            progress(i, len(names), name)
        done, entry = _export_table(ws, folder, name, old.get(name, {}).get("parts", {}))
        report.tables[name], tables[name] = done, entry
    manifest = {
        "format": FORMAT, "schema_version": schema_version(ws), "data_version": version,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"), "tables": tables,
    }  # fmt: skip
    _write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1).encode())
    if progress is not None:
        progress(len(names), len(names), "")
    report.seconds = time.perf_counter() - started
    return report


def _export_table(
    ws: Workspace, folder: Path, name: str, before: dict[str, Any]
) -> tuple[TableExport, dict[str, Any]]:
    done = TableExport()
    parts: dict[str, Any] = {}
    months = repo.months(ws.store, name)
    partition_by = repo.PARTITIONS.get(name, (None, None))[1]
    keys: list[str | None] = list(months) if partition_by else [None]
    for month in keys:
        data = repo.read(ws.store, name, month)
        if month is not None and data.num_rows == 0:
            continue
        key = month or WHOLE
        path = _part_path(folder, name, month)
        fingerprint = _fingerprint(data)
        if before.get(key, {}).get("fingerprint") != fingerprint or not path.exists():
            _write_part(path, data)
            done.written += 1
        parts[key] = {"rows": data.num_rows, "fingerprint": fingerprint}
        done.parts += 1
        done.rows += data.num_rows
    if partition_by and not parts:  # an empty table still has its columns for a reader
        data = repo.read(ws.store, name, repo.NO_MONTH)
        path = _part_path(folder, name, repo.NO_MONTH)
        if repo.NO_MONTH not in before or not path.exists():
            _write_part(path, data)
            done.written += 1
        parts[repo.NO_MONTH] = {"rows": 0, "fingerprint": _fingerprint(data)}
        done.parts += 1
    for key in set(before) - set(parts):
        shutil.rmtree(_part_path(folder, name, None if key == WHOLE else key).parent, True)
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


def _write_part(path: Path, data: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    hidden = path.with_name(f".{path.name}.tmp")  # readers skip names starting with a dot
    pq.write_table(data, hidden, compression="zstd")
    hidden.replace(path)


def _write_atomic(path: Path, body: bytes) -> None:
    hidden = path.with_name(f".{path.name}.tmp")
    hidden.write_bytes(body)
    hidden.replace(path)
