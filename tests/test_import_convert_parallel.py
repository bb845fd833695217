"""A large file's columns are converted two at a time (ingest/convert.py, PARALLEL_ROWS); the
result and every issue, warning and note must be what converting them in turn gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import salesmetrics.ingest.convert as convert_module
from salesmetrics.services.imports.model import ImportRequest
from salesmetrics.services.imports.run import Plan, prepare
from salesmetrics.services.workspace import Workspace, init_workspace, workspace


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    url = str(tmp_path / "w.duckdb")  # prepare reads only the workspace's settings
    init_workspace(url, {})
    with workspace(url) as w:
        yield w


def _messy_orders(path: Path, rows: int) -> Path:
    """Orders with bad cells in several columns: dates, quantities, prices, statuses, emails,
    decimal commas (a note) and a future date (a warning)."""
    lines = ["order_id;order_date;customer;sku;quantity;unit_price;status;currency"]
    for i in range(rows):
        date = "2024-03-01" if i % 37 else "not a date"
        if i % 101 == 0:
            date = "2099-01-01"
        qty = "2" if i % 41 else "two"
        price = "12,50" if i % 43 else "12,5x"
        status = "paid" if i % 47 else "half-paid"
        who = f"c{i % 500}@example.com" if i % 53 else "nobody at example"
        lines.append(f"ORD-{i // 2};{date};{who};SKU-{i % 7};{qty};{price};{status};UAH")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _prepared(ws: Workspace, path: Path, parallel_from: int) -> Plan:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convert_module, "PARALLEL_ROWS", parallel_from)
        return prepare(ws, ImportRequest("orders", path))


def test_two_at_a_time_gives_what_one_by_one_gives(ws: Workspace, tmp_path: Path) -> None:
    path = _messy_orders(tmp_path / "orders.csv", 3_000)
    serial = _prepared(ws, path, 10**12)
    parallel = _prepared(ws, path, 0)
    assert len(serial.conv.issues) > 200  # every kind of bad cell is in there
    assert {i.column for i in serial.conv.issues} >= {"order_date", "quantity", "unit_price"}
    assert serial.conv.warnings and serial.conv.notes
    assert parallel.conv.issues == serial.conv.issues  # the same issues, in the same order
    assert parallel.conv.warnings == serial.conv.warnings
    assert parallel.conv.notes == serial.conv.notes
    assert parallel.conv.data.equals(serial.conv.data)
