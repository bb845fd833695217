"""Create the demo workspace and write its ground truth beside it."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from salesmetrics.demo import DemoData, generate
from salesmetrics.domain.access import LOCAL
from salesmetrics.domain.enums import DemoSize
from salesmetrics.domain.errors import InputError
from salesmetrics.domain.settings import WorkspaceSettings
from salesmetrics.services.access.demo_accounts import add_demo_accounts
from salesmetrics.services.feedback import followups
from salesmetrics.services.leads.training import train_model
from salesmetrics.services.metrics import refresh_rollups
from salesmetrics.services.pipeline import common, forecast
from salesmetrics.services.segments.refresh import refresh as refresh_segments
from salesmetrics.services.workspace import Workspace, workspace
from salesmetrics.storage.open import duckdb_path, is_postgres, resolve_url
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


@dataclass
class _Loader:
    """Loads batches, counting rows and hashing them as it goes."""

    data: DemoData
    progress: Progress | None
    counts: dict[str, int] = field(default_factory=dict)
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)

    def load(self, tx: WriteTx, table: str, batch: pa.Table) -> None:
        if table == "settings":
            pairs = zip(batch["key"].to_pylist(), batch["value"].to_pylist(), strict=True)
            chosen = WorkspaceSettings.from_mapping({str(k): str(v) for k, v in pairs})
            settings_repo.write(tx, chosen.as_strings())
            return
        n = bulk.load(tx, table, batch)
        self.digest.update(table.encode())
        self.digest.update(_batch_digest(batch))
        self.counts[table] = self.counts.get(table, 0) + n
        if self.progress:
            self.progress(sum(self.counts.values()), self.data.expected_rows, table)

    def load_all(self, tx: WriteTx) -> None:
        for table, batch in self.data.batches():
            self.load(tx, table, batch)

    def result(self, url: str) -> DemoResult:
        target = truth_path(url)
        text = json.dumps(self.data.truth, ensure_ascii=False, indent=2)
        target.write_text(text, encoding="utf-8")
        rows = sum(self.counts.values())
        return DemoResult(rows, self.counts, self.digest.hexdigest(), target, self.data.truth)


FORECAST_WEEKS = 26
FOLLOWUP_SEED = 11
FOLLOWUP_DONE_SHARE = 0.75
FOLLOWUP_NOTE = "Зателефонували клієнтові, запропонували заміну або повернення"


def truth_path(url: str) -> Path:
    """./x.duckdb -> ./x.truth.json; a PostgreSQL workspace -> ./salesmetrics.truth.json."""
    if is_postgres(url):
        return Path("salesmetrics.truth.json")
    path = Path(duckdb_path(url))
    return path.with_name(path.stem + ".truth.json")


def _refuse_data(ws: Workspace) -> None:
    if not workspace_repo.is_empty(ws.store):
        raise InputError(
            f"the workspace {ws.store.url} already has data; "
            "the demo goes into a new one: pass another --db"
        )


def create_demo(
    ws: Workspace,
    size: DemoSize = DemoSize.SMALL,
    seed: int = 42,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Fill an open, empty workspace with the demo business in one transaction."""
    _refuse_data(ws)
    loader = _Loader(generate(size, seed, as_of), progress)
    ws.store.write(loader.load_all)
    _derived(ws, as_of or date.today())
    return loader.result(ws.store.url)


def create_demo_workspace(
    url: str | None,
    size: DemoSize = DemoSize.SMALL,
    seed: int = 42,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """The demo as a whole workspace: complete, or not there at all.

    A DuckDB file is built beside its target, a commit per batch (one transaction for 30M rows
    would hold them all in memory), and moved into place only when complete. PostgreSQL takes
    the whole demo in one transaction.
    """
    chosen = resolve_url(url)
    path = None if is_postgres(chosen) else duckdb_path(chosen)
    if path is None or path == ":memory:":
        with workspace(chosen, create=True) as ws:
            return create_demo(ws, size, seed, as_of, progress)
    target = Path(path)
    if target.exists():
        with workspace(str(target)) as ws:
            _refuse_data(ws)
    building = target.with_name(f".{target.name}.building-{os.getpid()}")
    loader = _Loader(generate(size, seed, as_of), progress)
    try:
        with workspace(str(building), create=True) as ws:
            for table, batch in loader.data.batches():
                ws.store.write(functools.partial(_load_one, loader, table, batch))
            _derived(ws, as_of or date.today())
        Path(f"{target}.wal").unlink(missing_ok=True)
        building.replace(target)
    finally:
        building.unlink(missing_ok=True)
        Path(f"{building}.wal").unlink(missing_ok=True)
    return loader.result(str(target))


def _derived(ws: Workspace, as_of: date) -> None:
    """What the app keeps beside the data, as it would stand had the demo business used it:
    rollups, sign-in accounts, forecast history, a lead model, segments, follow-ups."""
    refresh_rollups(ws)
    add_demo_accounts(ws)
    forecast_history(ws, as_of)
    lead_model(ws, as_of)
    segments(ws, as_of)
    followup_history(ws, as_of)


def followup_history(ws: Workspace, as_of: date) -> None:
    """The follow-ups of the last two weeks' detractors, most of them done a day or so after
    the response (some late, some still open), so the queue and the timing report have
    something to show from the start."""
    now = datetime.combine(as_of, time(), ZoneInfo(ws.settings.time_zone))
    followups.open_new(ws, now, on_arrival=True)
    gen = np.random.default_rng(FOLLOWUP_SEED)
    for f in followups.queue(ws, LOCAL, "open", limit=10_000):
        hours = float(gen.lognormal(np.log(20), 0.8))
        done = f.received_at + timedelta(hours=hours)
        if gen.random() < FOLLOWUP_DONE_SHARE and done < now:
            followups.close(ws, LOCAL, f.id, FOLLOWUP_NOTE, now=done)


def forecast_history(ws: Workspace, as_of: date) -> None:
    """Weekly forecast snapshots of the last half year, rebuilt from the demo's history, so the
    accuracy report has something to show from the start (marked `reconstructed`)."""
    forecast.rebuild_history(common.ask(ws, LOCAL, as_of=as_of), FORECAST_WEEKS)


def lead_model(ws: Workspace, as_of: date) -> None:
    """A lead model trained on the demo's decided leads, so scores and the model card are
    there from the start (trained as at the demo's data cut)."""
    train_model(ws, LOCAL, at=datetime.combine(as_of, time(), ZoneInfo(ws.settings.time_zone)))


def segments(ws: Workspace, as_of: date) -> None:
    """Every customer's segment stored as at the demo's data cut, so `kpi --by segment` and the
    segment filter work from the start."""
    refresh_segments(ws, as_of - timedelta(days=1))


def _load_one(loader: _Loader, table: str, batch: pa.Table, tx: WriteTx) -> None:
    loader.load(tx, table, batch)


def _batch_digest(batch: pa.Table) -> bytes:
    """A digest of a batch's Arrow IPC bytes: equal data, equal digest."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_table(batch)
    return hashlib.sha256(sink.getvalue().to_pybytes()).digest()
