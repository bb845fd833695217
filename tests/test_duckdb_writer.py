"""DuckDB's single writer: concurrent writes serialise; a second process gets a clear error."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from salesmetrics.storage.open import open_store
from salesmetrics.storage.protocol import Store

THREADS, WRITES = 16, 40


def _increment(tx: Any) -> None:
    # Read-modify-write: without serialisation, concurrent increments would be lost.
    (value,) = tx.fetchall("SELECT value FROM settings WHERE key = 'counter'")[0]
    tx.execute("UPDATE settings SET value = ? WHERE key = 'counter'", [str(int(value) + 1)])
    tx.execute("INSERT INTO teams (name) VALUES (?)", [f"team {value}"])


@pytest.fixture
def duck(tmp_path: Path) -> Any:
    s = open_store(str(tmp_path / "ws.duckdb"), create=True)
    yield s
    s.close()


def test_concurrent_writes_are_serialised(duck: Store) -> None:
    duck.write(lambda tx: tx.execute("INSERT INTO settings VALUES ('counter', '0')"))
    errors: list[BaseException] = []
    reads: list[int] = []

    def writer() -> None:
        try:
            for _ in range(WRITES):
                duck.write(_increment)
                reads.append(duck.fetchall("SELECT count(*) FROM teams")[0][0])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = THREADS * WRITES
    assert duck.fetchall("SELECT value FROM settings WHERE key = 'counter'") == [(str(total),)]
    names = {r[0] for r in duck.fetchall("SELECT name FROM teams")}
    assert names == {f"team {i}" for i in range(total)}  # each increment saw the one before
    assert len(reads) == total and max(reads) == total


def test_write_inside_write_is_refused(duck: Store) -> None:
    with pytest.raises(Exception, match="write inside a write"):
        duck.write(lambda tx: duck.write(lambda inner: None))


@pytest.mark.slow
def test_second_process_gets_a_clear_error(duck: Store) -> None:
    cmd = [sys.executable, "-m", "salesmetrics", "info", "--db", duck.url]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 4
    assert "open for writing in another process" in result.stderr
    assert "--server" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
