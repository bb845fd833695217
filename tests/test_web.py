"""The web app over a real workspace: health, summary page, workspace API."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from salesmetrics.services.workspace import init_workspace
from salesmetrics.storage.open import open_store
from salesmetrics.storage.repositories import bulk
from signed_in import owner_client


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    init_workspace(store_url, {"name": "Квіткова крамниця", "locale": "uk"})
    s = open_store(store_url)
    teams = pa.table({"name": [f"Команда {i}" for i in range(1234)]})
    s.write(lambda tx: bulk.load(tx, "teams", teams))
    s.close()
    with owner_client(store_url) as c:
        yield c


def test_health_reports_engine_and_schema(client: TestClient, store_url: str) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["schema_version"] >= 1
    assert body["engine"] == ("postgres" if store_url.startswith("postgresql") else "duckdb")


def test_workspace_page_shows_the_workspace_summary(client: TestClient) -> None:
    page = client.get("/workspace")
    assert page.status_code == 200
    assert "Квіткова крамниця" in page.text
    assert "Огляд робочого простору" in page.text
    assert "1\u00a0234" in page.text  # Ukrainian grouping: a no-break space
    english = client.get("/workspace?lang=en").text
    assert "Workspace summary" in english and "1,234" in english


def test_workspace_api_is_json(client: TestClient) -> None:
    body = client.get("/api/v1/workspace").json()
    assert body["tables"]["teams"] == 1234 and body["total_rows"] == 1234
    assert body["settings"]["name"] == "Квіткова крамниця"
    assert "/api/v1/workspace" in client.get("/openapi.json").json()["paths"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    init_workspace(db, {})
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "salesmetrics", "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        # a workspace with nobody to sign in sends its first visitor to create the owner
        page = httpx.get(f"http://127.0.0.1:{port}/", headers={"accept": "text/html"},
                         follow_redirects=True, timeout=60)  # fmt: skip
        assert page.url.path == "/setup" and 'name="password"' in page.text
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)  # also closes the pipes
    assert b"no users yet" in out and b"/setup" in out
