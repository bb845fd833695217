"""Create the demo workspace and write its ground truth beside it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from salesmetrics.demo import generate
from salesmetrics.domain.enums import DemoSize
from salesmetrics.domain.errors import InputError
from salesmetrics.domain.settings import WorkspaceSettings
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.open import is_postgres
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import bulk
from salesmetrics.storage.repositories import settings as settings_repo
from salesmetrics.storage.repositories import workspace as workspace_repo

Progress = Callable[[int, int, str], None]  # rows done, rows expected, table being loaded


@dataclass(frozen=True, slots=True)
class DemoResult:
    rows: int
    rows_by_table: dict[str, int]
    checksum: str
    truth_path: Path
    truth: dict[str, object]


def truth_path(url: str) -> Path:
    """./x.duckdb -> ./x.truth.json; a PostgreSQL workspace -> ./salesmetrics.truth.json."""
    if is_postgres(url):
        return Path("salesmetrics.truth.json")
    path = Path(url.removeprefix("duckdb://"))
    return path.with_name(path.stem + ".truth.json")


def create_demo(
    ws: Workspace,
    size: DemoSize = DemoSize.SMALL,
    seed: int = 42,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Fill an empty workspace with the demo business in one transaction."""
    if not workspace_repo.is_empty(ws.store):
        raise InputError(
            f"the workspace {ws.store.url} already has data; "
            "the demo goes into a new one: pass another --db"
        )
    data = generate(size, seed, as_of)
    digest = hashlib.sha256()
    counts: dict[str, int] = {}

    def load_all(tx: WriteTx) -> None:
        done = 0
        for table, batch in data.batches():
            if table == "settings":
                values = {str(k): str(v) for k, v in zip(*batch.to_pydict().values(), strict=True)}
                settings_repo.write(tx, WorkspaceSettings.from_mapping(values).as_strings())
                continue
            n = bulk.load(tx, table, batch)
            digest.update(table.encode())
            digest.update(_batch_digest(batch))
            counts[table] = counts.get(table, 0) + n
            done += n
            if progress:
                progress(done, data.expected_rows, table)

    ws.store.write(load_all)
    target = truth_path(ws.store.url)
    target.write_text(json.dumps(data.truth, ensure_ascii=False, indent=2), encoding="utf-8")
    return DemoResult(sum(counts.values()), counts, digest.hexdigest(), target, data.truth)


def _batch_digest(batch: pa.Table) -> bytes:
    """A digest of a batch's Arrow IPC bytes: equal data, equal digest."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_table(batch)
    return hashlib.sha256(sink.getvalue().to_pybytes()).digest()
