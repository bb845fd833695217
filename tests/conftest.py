"""Fixtures: every storage-level test runs on DuckDB and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from salesmetrics.storage.open import open_store
from salesmetrics.storage.protocol import Store

ENGINES = ("duckdb", "postgres")


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The test server (scripts/pg-test-cluster.sh, started by `make test`)."""
    url = os.environ.get("SALESMETRICS_TEST_PG")
    if not url:
        if os.environ.get("SALESMETRICS_TEST_SKIP_PG") == "1":
            pytest.skip("PostgreSQL tests skipped by SALESMETRICS_TEST_SKIP_PG=1")
        pytest.fail(
            "SALESMETRICS_TEST_PG is not set: run `make test`, or start a server with "
            "scripts/pg-test-cluster.sh start and export the URL it prints"
        )
    return url


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    name = f"sm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = pg_admin_url.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """A URL for a new workspace on each engine."""
    if request.param == "duckdb":
        return str(Path(tmp_path) / "ws.duckdb")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url, create=True)
    yield s
    s.close()
