"""Fixtures: every storage-level test runs on DuckDB and on a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
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


class _DemoTemplates:
    """One small demo (seed 7, as of DEMO_AS_OF) per engine per test process, made on first use
    and copied for each module that asks: a DuckDB file copied, a PostgreSQL database created
    from it as a template. Making one takes ~6 s; two dozen modules ask, on both engines."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.folders: dict[str, Path] = {}  # engine -> folder with the workspace and its truth
        self.pg_template = ""
        self.admin = ""

    def _make(self, engine: str, admin: str | None) -> Path:
        folder = self.factory.mktemp(f"demo-template-{engine}")
        cwd = Path.cwd()
        os.chdir(folder)  # a PostgreSQL demo writes its truth file to the current folder
        try:
            if admin is None:
                url = str(folder / "ws.duckdb")
            else:
                self.admin = admin
                self.pg_template = f"sm_demo_template_{uuid.uuid4().hex[:10]}"
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{self.pg_template}"')
                url = admin.rpartition("/")[0] + "/" + self.pg_template
            ws = open_workspace(url, create=True)
            create_demo(ws, DemoSize.SMALL, seed=7, as_of=DEMO_AS_OF)
            ws.close()
        finally:
            os.chdir(cwd)
        if admin is not None:  # a template must have no sessions
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [self.pg_template],
                )
        return folder

    def copy_into(self, folder: Path, engine: str, admin: str | None) -> str:
        """A fresh copy of the demo, its truth file(s) in `folder`; returns its URL."""
        if engine not in self.folders:
            self.folders[engine] = self._make(engine, admin)
        for item in self.folders[engine].iterdir():
            if item.is_file():
                shutil.copyfile(item, folder / item.name)
        if admin is None:
            return str(folder / "ws.duckdb")
        name = f"sm_demo_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg_template}"')
        return admin.rpartition("/")[0] + "/" + name

    def close(self) -> None:
        if self.pg_template:
            with psycopg.connect(self.admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_template}" WITH (FORCE)')


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_DemoTemplates]:
    templates = _DemoTemplates(tmp_path_factory)
    yield templates
    templates.close()


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_templates: _DemoTemplates,
) -> Iterator[str]:
    """A small demo workspace (seed 7, as of DEMO_AS_OF) on each engine, a module's own copy.
    The current folder is the copy's folder while the module runs (a PostgreSQL workspace's
    truth file is looked up there)."""
    folder = tmp_path_factory.mktemp("demo")
    cwd = Path.cwd()
    admin = request.getfixturevalue("pg_admin_url") if request.param == "postgres" else None
    url = demo_templates.copy_into(folder, request.param, admin)
    os.chdir(folder)
    try:
        yield url
    finally:
        os.chdir(cwd)
        if admin is not None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
