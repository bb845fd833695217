"""Fixtures: every storage-level test runs on DuckDB and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from salesmetrics.domain.enums import DemoSize
from salesmetrics.services.demo import create_demo
from salesmetrics.services.workspace import open_workspace
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


DEMO_AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A small demo workspace (seed 7, as of DEMO_AS_OF) on each engine, shared by a module."""
    folder = tmp_path_factory.mktemp("demo")
    cwd = Path.cwd()
    os.chdir(folder)  # a PostgreSQL demo writes its truth file to the current folder
    admin = None
    if request.param == "duckdb":
        url = str(folder / "ws.duckdb")
    else:
        admin = request.getfixturevalue("pg_admin_url")
        name = f"sm_demo_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = admin.rpartition("/")[0] + "/" + name
    ws = open_workspace(url, create=True)
    create_demo(ws, DemoSize.SMALL, seed=7, as_of=DEMO_AS_OF)
    ws.close()
    try:
        yield url
    finally:
        os.chdir(cwd)
        if admin is not None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
