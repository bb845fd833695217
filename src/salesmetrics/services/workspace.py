"""Open, initialise and describe a workspace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from salesmetrics.domain.settings import WorkspaceSettings
from salesmetrics.storage import open as storage_open
from salesmetrics.storage.protocol import Store, WriteTx
from salesmetrics.storage.repositories import access as access_repo
from salesmetrics.storage.repositories import maintenance
from salesmetrics.storage.repositories import settings as settings_repo
from salesmetrics.storage.repositories import workspace as workspace_repo

if TYPE_CHECKING:
    from salesmetrics.services.metrics import MetricsService


@dataclass(frozen=True, slots=True)
class TableInfo:
    name: str
    rows: int


@dataclass(frozen=True, slots=True)
class WorkspaceInfo:
    """What `salesmetrics info`, the home page and /api/v1/workspace show."""

    url: str
    engine: str
    schema_version: int
    settings: WorkspaceSettings
    tables: tuple[TableInfo, ...]
    date_ranges: dict[str, tuple[datetime, datetime]]

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def as_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "engine": self.engine,
            "schema_version": self.schema_version,
            "settings": self.settings.as_strings(),
            "tables": {t.name: t.rows for t in self.tables},
            "total_rows": self.total_rows,
            "date_ranges": {
                k: {"first": lo.isoformat(), "last": hi.isoformat()}
                for k, (lo, hi) in self.date_ranges.items()
            },
        }


class Workspace:
    """An open workspace: its store and settings. Services take one of these."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._metrics: MetricsService | None = None

    @property
    def settings(self) -> WorkspaceSettings:
        return WorkspaceSettings.from_mapping(settings_repo.read(self.store))

    @property
    def metrics(self) -> MetricsService:
        """The metric engine over this workspace (built-in and workspace KPIs)."""
        if self._metrics is None:
            from salesmetrics.services.metrics import MetricsService

            self._metrics = MetricsService(self)
        return self._metrics

    def close(self) -> None:
        self.store.close()


def resolve_url(url: str | None) -> str:
    """The workspace a command would use: --db, $SALESMETRICS_DB, or ./salesmetrics.duckdb."""
    return storage_open.resolve_url(url)


def open_workspace(url: str | None = None, *, create: bool = False) -> Workspace:
    """Open (and migrate) a workspace; with create=True a new DuckDB file may be made."""
    return Workspace(storage_open.open_store(url, create=create))


@contextmanager
def workspace(url: str | None = None, *, create: bool = False) -> Iterator[Workspace]:
    ws = open_workspace(url, create=create)
    try:
        yield ws
    finally:
        ws.close()


def init_workspace(url: str | None, overrides: Mapping[str, str]) -> WorkspaceSettings:
    """Create or migrate a workspace and store its settings (validated, defaults filled)."""
    with workspace(url, create=True) as ws:
        current = settings_repo.read(ws.store)
        chosen = WorkspaceSettings.from_mapping({**current, **overrides})
        changed = {k: v for k, v in chosen.as_strings().items() if current.get(k) != v}

        def work(tx: WriteTx) -> None:
            settings_repo.write(tx, chosen.as_strings())
            if changed and current:  # a new workspace's first settings are not a change
                at = datetime.now(UTC)
                access_repo.append_audit(tx, at, None, "local", "settings_changed", "settings",
                                         None, changed, None)  # fmt: skip

        ws.store.write(work)
        ws.metrics.refresh_rollups()  # a new time zone moves the local days
        return chosen


def prepare_for_serving(ws: Workspace) -> None:
    """Settings a long-running server wants and a one-off command does not (a rarer automatic
    checkpoint: the server checkpoints when events pause)."""
    maintenance.checkpoint_for_serving(ws.store)


def schema_version(ws: Workspace) -> int:
    """The newest migration applied to the workspace."""
    return workspace_repo.schema_version(ws.store)


def describe(ws: Workspace) -> WorkspaceInfo:
    """Tables, row counts, date ranges, schema version and settings."""
    store = ws.store
    return WorkspaceInfo(
        url=store.url,
        engine=store.dialect.value,
        schema_version=workspace_repo.schema_version(store),
        settings=ws.settings,
        tables=tuple(TableInfo(n, c) for n, c in workspace_repo.row_counts(store).items()),
        date_ranges=workspace_repo.date_ranges(store),
    )
