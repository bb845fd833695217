"""Load tests/metric_fixture.yaml, the hand-computed KPI dataset, into a new workspace."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from salesmetrics.services.workspace import init_workspace, open_workspace
from salesmetrics.storage import catalog
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import bulk
from salesmetrics.storage.schema import ColType

FIXTURE = Path(__file__).with_name("metric_fixture.yaml")


@cache
def fixture() -> dict[str, Any]:
    """The parsed YAML: settings, per-table defaults and rows."""
    data: dict[str, Any] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    return data


def rows(table: str) -> list[dict[str, Any]]:
    """One table's rows with its defaults filled in."""
    defaults = fixture()["defaults"].get(table, {})
    return [{**defaults, **row} for row in fixture()["tables"][table]]


def _timestamp(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if stamp.tzinfo is None:
        raise ValueError(f"{where}: timestamp {value!r} needs an explicit UTC offset")
    return stamp.astimezone(UTC)


def _date(value: Any, where: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"{where}: {value!r} is not a date")


def to_arrow(table: str) -> pa.Table:
    """The table's YAML rows as Arrow, typed by the storage catalog."""
    spec = catalog.table(table)
    data = rows(table)
    names = list(dict.fromkeys(name for row in data for name in row))
    columns = []
    for name in names:
        column = spec.column(name)
        values = [row.get(name) for row in data]
        if column.type is ColType.TIMESTAMP:
            values = [_timestamp(v, f"{table}.{name}") for v in values]
        elif column.type is ColType.DATE:
            values = [_date(v, f"{table}.{name}") for v in values]
        columns.append(pa.array(values, type=column.arrow_type))
    return pa.table(columns, names=names)


def load_fixture(url: str) -> None:
    """Create a workspace at `url` and load every fixture table in one transaction."""
    init_workspace(url, {k: str(v) for k, v in fixture()["settings"].items()})
    ws = open_workspace(url)
    try:
        batches = {name: to_arrow(name) for name in fixture()["tables"]}

        def write(tx: WriteTx) -> None:
            for name, batch in batches.items():
                bulk.load(tx, name, batch)

        ws.store.write(write)
        ws.metrics.refresh_rollups()  # as every service write does: eligible KPIs read them
    finally:
        ws.close()
