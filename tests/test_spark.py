"""The same metrics on Apache Spark (local mode): the demo workspace exported as a Parquet
warehouse, read by Spark through ibis's PySpark backend, gives every built-in KPI exactly as
DuckDB gives it (floats to 1e-9 relative: sums may add in another order).

Also the export itself, on both engines: partitioned by month, incremental (a second export
writes nothing; a changed order rewrites its month's partition and the state, nothing else)."""

from __future__ import annotations

import fcntl
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from conftest import DEMO_AS_OF
from salesmetrics.domain.errors import InputError, QueryError, StorageError
from salesmetrics.metrics.plan import Planner
from salesmetrics.services import warehouse
from salesmetrics.services.workspace import open_workspace, workspace
from salesmetrics.storage import catalog
from salesmetrics.storage.repositories.warehouse import EXPORTED
from salesmetrics.storage.spark_store import SparkStore

# (options, whether every metric must take them): a monthly series beside the previous period's
# (each month's closing states, comparisons, deltas), and a year's totals by rep (every metric
# that breaks down by rep). Spark in local mode takes about a second a statement: kept lean.
SHAPES: list[tuple[dict[str, Any], bool]] = [
    ({"period": "last_quarter", "grain": "month", "compare": "previous"}, True),
    ({"period": "trailing_12_months", "by": ["rep"]}, False),
]


@pytest.fixture(scope="module")
def exported(
    tmp_path_factory: pytest.TempPathFactory, demo_templates: Any
) -> Iterator[tuple[str, Path]]:
    """(the demo's DuckDB URL, its warehouse export)."""
    folder = tmp_path_factory.mktemp("spark")
    url = demo_templates.copy_into(folder, "duckdb", None)
    with workspace(url) as ws:
        warehouse.export(ws, folder / "warehouse")
    yield url, folder / "warehouse"


def _in_child(db: str, shapes: list[dict[str, Any]], folder: Path) -> list[list[dict[str, Any]]]:
    """Each shape's rows computed on `db` in a process of its own (Spark's JVM ends with it),
    through JSON as the child sends them, sorted by period and rep."""
    spec = folder / f"spec-{len(list(folder.glob('spec-*')))}.json"
    spec.write_text(json.dumps({"db": db, "as_of": DEMO_AS_OF.isoformat(), "shapes": shapes}))
    child = Path(__file__).with_name("spark_child.py")
    done = subprocess.run([sys.executable, str(child), str(spec)], capture_output=True,
                          text=True, timeout=900, cwd=folder)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return [
        sorted(rows, key=lambda r: (str(r.get("period")), str(r.get("rep"))))
        for rows in json.loads(done.stdout)
    ]


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)  # type: ignore[arg-type]
    return a == b


@pytest.mark.slow
@pytest.mark.spark
def test_every_built_in_kpi_is_the_same_on_spark_as_on_duckdb(
    exported: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = exported
    with workspace(url) as duck:
        names = duck.metrics.catalog.names()
        shapes = []
        for options, everyone in SHAPES:
            wanted = []
            for name in names:
                try:  # planning says whether a metric takes the breakdown; nothing runs
                    Planner(duck.metrics.catalog).plan(duck.metrics.request([name], **options))
                except QueryError:
                    assert not everyone, f"{name} does not take {options}"
                    continue
                wanted.append(name)
            shapes.append({"metrics": wanted, "options": options})
    assert len(names) >= 40
    assert len(shapes[1]["metrics"]) >= 35
    expected = _in_child(url, shapes, tmp_path)
    got = _in_child(f"spark:{folder}", shapes, tmp_path)
    for shape, want_rows, have_rows in zip(shapes, expected, got, strict=True):
        assert len(have_rows) == len(want_rows) and have_rows, shape["options"]
        for want, have in zip(want_rows, have_rows, strict=True):
            assert want.keys() == have.keys()
            differ = {k: (want[k], have[k]) for k in want if not _same(want[k], have[k])}
            assert not differ, (shape["options"], differ)
    totals = expected[0][0]
    assert sum(1 for n in names if totals.get(n)) >= len(names) - 3  # real figures compared


def test_a_spark_workspace_is_read_only_and_says_so(
    exported: tuple[str, Path], tmp_path: Path
) -> None:
    _, folder = exported
    store = SparkStore(f"spark:{folder}")  # Spark starts at the first query, not here
    try:
        assert store.dialect.value == "pyspark" and store.change_listener() is None
        with pytest.raises(StorageError, match="read-only warehouse export"):
            store.write(lambda tx: None)
    finally:
        store.close()
    with pytest.raises(StorageError, match="no warehouse at"):
        open_workspace(f"spark:{tmp_path / 'nothing'}")


def _files(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*.parquet")}


def test_the_export_is_partitioned_by_month_and_incremental(demo_url: str, tmp_path: Path) -> None:
    target = tmp_path / "warehouse"
    with workspace(demo_url) as ws:
        first = warehouse.export(ws, target)
        files = _files(target)
        assert first.written == first.parts == len(files) > 30
        assert {p.split("/")[0] for p in files} == set(EXPORTED)
        months = sorted(p for p in files if p.startswith("orders/month="))
        assert len(months) >= 24 and "orders/month=2026-11/part-0.parquet" in months
        lines = pq.read_table(target / "order_lines").num_rows
        total = ws.store.fetchall("SELECT count(*) FROM order_lines")[0][0]
        assert lines == total == first.tables["order_lines"].rows

        again = warehouse.export(ws, target)
        assert again.written == 0 and _files(target) == files

        # an order moves from March to April: both months of orders and of lines, and the state
        oid = ws.store.fetchall(
            "SELECT min(id) FROM orders WHERE ordered_at >= ? AND ordered_at < ?",
            ["2026-03-01", "2026-04-01"],
        )[0][0]
        ws.store.write(lambda tx: tx.execute(
            "UPDATE orders SET ordered_at = ?, status = 'refunded' WHERE id = ?",
            [datetime(2026, 4, 15, 12, tzinfo=UTC), oid],
        ))  # fmt: skip
        third = warehouse.export(ws, target)
        changed = {p for p, t in _files(target).items() if files.get(p) != t}
        assert changed == {
            f"{table}/month={m}/part-0.parquet"
            for table in ("orders", "order_lines") for m in ("2026-03", "2026-04")
        } | {"workspace_state/part-0.parquet"}  # fmt: skip
        assert third.written == 5
        april = pq.read_table(target / "orders" / "month=2026-04").to_pylist()
        assert [r["status"] for r in april if r["id"] == oid] == ["refunded"]
        march = pq.read_table(target / "orders" / "month=2026-03").to_pylist()
        assert oid not in {r["id"] for r in march}

        # a table emptied: its month folders go, an empty file keeps its columns
        ws.store.write(lambda tx: tx.execute("DELETE FROM targets"))
        warehouse.export(ws, target)
        assert [p.name for p in (target / "targets").iterdir()] == ["month=none"]
        assert pq.read_table(target / "targets").num_rows == 0

        # a month folder a crashed export left behind is removed; a lost file written again
        shutil.copytree(target / "orders" / "month=2026-03", target / "orders" / "month=1999-01")
        shutil.rmtree(target / "orders" / "month=2026-05")
        fourth = warehouse.export(ws, target)
        assert fourth.tables["orders"].removed == 1 and fourth.tables["orders"].written == 1
        assert not (target / "orders" / "month=1999-01").exists()
        assert (target / "orders" / "month=2026-05" / "part-0.parquet").exists()
        assert (
            pq.read_table(target / "orders").num_rows
            == ws.store.fetchall("SELECT count(*) FROM orders")[0][0]
        )

        # one export at a time per folder
        with (target / ".export.lock").open("a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            with pytest.raises(InputError, match="another export"):
                warehouse.export(ws, target)


def test_nothing_personal_leaves_in_an_export() -> None:
    """The export is an allow-list: no table of people, credentials, alerts or audit, and no
    exported table with a column of sign-in e-mails, passwords or tokens."""
    private = {"users", "sessions", "api_tokens", "audit_log", "alerts", "alert_deliveries",
               "event_inbox", "imports", "import_changes"}  # fmt: skip
    assert not private & set(EXPORTED)
    for name in EXPORTED:
        names = set(catalog.table(name).column_names)
        assert not names & {"recipient", "password_hash", "token_hash", "secret"}, name
