"""What keeps the events path fast on DuckDB: lookups by external id scan an index, the log
is checkpointed on our schedule (its threshold is a setting), and a checkpoint runs on demand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from salesmetrics.domain.errors import ConfigError
from salesmetrics.storage.duckdb_store import CHECKPOINT_ENV
from salesmetrics.storage.open import open_store
from salesmetrics.storage.protocol import Store
from salesmetrics.storage.repositories import bulk, maintenance
from salesmetrics.storage.repositories import events as events_repo


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Store]:
    store = open_store(str(tmp_path / "ws.duckdb"), create=True)
    yield store
    store.close()


def _customers(store: Store, n: int) -> None:
    rows = pa.table({
        "source": ["shop"] * n, "external_id": [f"C{i:05d}" for i in range(n)],
        "name": [f"Customer {i}" for i in range(n)],
    })  # fmt: skip
    store.write(lambda tx: bulk.load(tx, "customers", rows))


def _statements(store: Store, lookup: Any) -> list[tuple[str, list[Any]]]:
    """The SELECTs a repository lookup runs, captured from its transaction."""
    seen: list[tuple[str, list[Any]]] = []

    def work(tx: Any) -> None:
        real = tx.fetchall

        def spy(sql: str, params: Any = ()) -> Any:
            seen.append((sql, list(params)))
            return real(sql, params)

        tx.fetchall = spy
        lookup(tx)

    store.write(work, changes_data=False)
    return seen


@pytest.mark.parametrize(
    "lookup",
    [
        lambda tx: events_repo.ids_by_key(tx, "customers", "shop", ["C00007", "C00042", "X"]),
        lambda tx: events_repo.ids_by_external(tx, "customers", ["C00007", "C00042", "X"]),
    ],
    ids=["by source and external id", "by external id in any source"],
)
def test_lookups_by_external_id_scan_an_index_on_duckdb(duck: Store, lookup: Any) -> None:
    _customers(duck, 5000)
    statements = _statements(duck, lookup)
    assert statements
    for sql, params in statements:  # the plan as run, with the values bound
        plan = "\n".join(str(r[1]) for r in duck.fetchall(f"EXPLAIN ANALYZE {sql}", params))
        assert "Index Scan" in plan, plan  # not a Sequential Scan of the whole table


def test_the_checkpoint_threshold_is_a_setting_and_a_server_raises_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "ws.duckdb")

    def threshold(store: Store) -> str:
        return str(store.fetchall("SELECT current_setting('checkpoint_threshold')")[0][0])

    store = open_store(path, create=True)
    assert threshold(store) == "16.0 MiB"  # DuckDB's own: bulk writers keep memory low
    assert maintenance.checkpoint_for_serving(store) == 256
    assert threshold(store) == "256.0 MiB"
    store.close()
    monkeypatch.setenv(CHECKPOINT_ENV, "64")
    store = open_store(path)
    assert threshold(store) == "64.0 MiB"
    assert maintenance.checkpoint_for_serving(store) == 64 and threshold(store) == "64.0 MiB"
    store.close()
    monkeypatch.setenv(CHECKPOINT_ENV, "lots")
    with pytest.raises(ConfigError, match=f"{CHECKPOINT_ENV}='lots' is not a positive number"):
        open_store(path)


def test_a_checkpoint_empties_the_log_on_duckdb_and_is_a_no_op_elsewhere(store: Store) -> None:
    _customers(store, 100)
    ran = maintenance.checkpoint(store)
    if store.dialect.value != "duckdb":
        assert ran is False
        return
    assert ran is True
    wal = Path(store.url + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert store.fetchall("SELECT count(*) FROM customers") == [(100,)]
