"""Several server processes on one PostgreSQL workspace: `salesmetrics serve --workers 2`.

A live stream held by one worker hears an event posted to the other within a second (the
workers hear each other's changes through LISTEN/NOTIFY), and every event is applied once,
whichever worker received it and however often it was sent. Which worker answers is read from
/healthz (`process`) on the same keep-alive connection the request then uses."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
import pytest

from salesmetrics.domain.access import LOCAL
from salesmetrics.services.access import users
from salesmetrics.services.workspace import init_workspace, workspace
from served import free_port
from signed_in import person

ONE_CONNECTION = httpx.Limits(max_connections=1, max_keepalive_connections=1)


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory, demo_templates: Any, pg_admin_url: str
) -> Iterator[tuple[str, dict[str, str], str]]:
    """(base URL, owner's auth header, workspace URL) of `serve --workers 2` on a small demo."""
    folder = tmp_path_factory.mktemp("workers")
    url = demo_templates.copy_into(folder, "postgres", pg_admin_url)
    with workspace(url) as ws:
        token = users.create_token(ws, LOCAL, person(ws)).secret
    port = free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        cmd = [sys.executable, "-m", "salesmetrics", "serve", "--db", url, "--port", str(port),
               "--workers", "2"]  # fmt: skip
        env = {**os.environ, "SALESMETRICS_ALERTS": "off"}
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=folder, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_both(base, proc, log)
        yield base, {"Authorization": f"Bearer {token}"}, url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')


def _wait_for_both(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Until /healthz has answered from two different processes (both workers are up)."""
    seen: set[str] = set()
    deadline = time.monotonic() + 90
    while len(seen) < 2 and time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server ended: {log.read_text(errors='replace')[-2000:]}")
        try:
            with httpx.Client(base_url=base, timeout=5) as c:
                seen.add(c.get("/healthz").json()["process"])
        except httpx.TransportError:
            time.sleep(0.2)
    assert len(seen) == 2, f"one worker answered: {seen}\n{log.read_text(errors='replace')}"


def _client_on(base: str, headers: dict[str, str], want: str | None, avoid: str | None) -> tuple[
    httpx.Client, str
]:  # fmt: skip
    """A one-connection client whose connection is served by worker `want` (or not `avoid`)."""
    for _ in range(400):
        c = httpx.Client(base_url=base, headers=headers, timeout=10, limits=ONE_CONNECTION)
        tag = str(c.get("/healthz").json()["process"])
        if (want is None or tag == want) and tag != avoid:
            return c, tag
        c.close()
    pytest.fail(f"no connection reached the worker wanted ({want=}, {avoid=})")


def _order(event_id: str, amount_minor: int) -> dict[str, object]:
    return {
        "id": event_id, "type": "order.placed", "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"external_id": f"W-{event_id}", "currency": "UAH", "status": "paid",
                 "lines": [{"quantity": 1, "unit_price_minor": amount_minor}]},
    }  # fmt: skip


class _Stream:
    """A live stream read on a thread: (arrival time, event, data) of each SSE event."""

    def __init__(self, client: httpx.Client) -> None:
        self.events: list[tuple[float, str, dict[str, Any]]] = []
        self._client = client
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self._ready.wait(20), "the live stream did not say hello"

    def _read(self) -> None:
        # the client closed: the stream ends with the test
        with contextlib.suppress(httpx.TransportError, httpx.StreamError, RuntimeError):
            self._lines()

    def _lines(self) -> None:
        kind = ""
        with self._client.stream("GET", "/api/v1/live", timeout=None) as r:
            for line in r.iter_lines():
                if line.startswith("event:"):
                    kind = line.partition(":")[2].strip()
                elif line.startswith("data:"):
                    data = json.loads(line.partition(":")[2])
                    self.events.append((time.monotonic(), kind, data))
                    self._ready.set()

    def change_after(self, version: int, since: float, timeout: float) -> float | None:
        """Seconds from `since` (the event's sending) until a change beyond `version` arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, kind, data in list(self.events):
                if kind == "change" and data["version"] > version and at >= since:
                    return at - since
            time.sleep(0.01)
        return None


@pytest.mark.postgres
@pytest.mark.slow
def test_an_event_posted_to_one_worker_reaches_a_stream_on_the_other(
    two_workers: tuple[str, dict[str, str], str],
) -> None:
    base, headers, _ = two_workers
    listener, held_by = _client_on(base, headers, None, None)
    stream = _Stream(listener)
    took = []
    for n in range(5):
        poster, posted_to = _client_on(base, headers, None, held_by)
        assert posted_to != held_by
        version = max(d["version"] for _, _, d in stream.events)
        sent = time.monotonic()
        reply = poster.post("/api/v1/events", json=_order(f"cross-{n}-{time.time_ns()}", 10_000))
        assert reply.status_code == 202, reply.text
        poster.close()
        seconds = stream.change_after(version, sent, timeout=5.0)
        assert seconds is not None, f"round {n}: the stream on {held_by} heard nothing"
        took.append(seconds)
    listener.close()
    # every round: the fallback read every 2 s alone would miss most of them
    assert max(took) < 1.0, took
    print(f"event on one worker -> stream on the other: {[round(t, 3) for t in took]} s")


@pytest.mark.postgres
@pytest.mark.slow
def test_each_event_is_applied_once_whichever_worker_gets_it(
    two_workers: tuple[str, dict[str, str], str],
) -> None:
    base, headers, url = two_workers
    one, tag = _client_on(base, headers, None, None)
    other, _ = _client_on(base, headers, None, tag)
    events = [_order(f"once-{n}-{time.time_ns()}", 1_000 + n) for n in range(40)]
    errors: list[str] = []

    def send(client: httpx.Client, batch: list[dict[str, object]]) -> None:
        for e in batch:
            r = client.post("/api/v1/events", json=e)
            if r.status_code not in (200, 202):
                errors.append(f"{r.status_code} {r.text[:200]}")

    # every event sent to both workers at once, the second time in reverse order
    threads = [threading.Thread(target=send, args=(one, events)),
               threading.Thread(target=send, args=(other, events[::-1]))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    ids = [str(e["id"]) for e in events]
    externals = [f"W-{i}" for i in ids]
    deadline = time.monotonic() + 30
    while True:
        with psycopg.connect(url) as conn:
            statuses = conn.execute(
                "SELECT status, count(*) FROM event_inbox WHERE event_id = ANY(%s) GROUP BY 1",
                [ids],
            ).fetchall()
            attempts = conn.execute(
                "SELECT max(attempts) FROM event_inbox WHERE event_id = ANY(%s)", [ids]
            ).fetchone()
            orders = conn.execute(
                "SELECT external_id, count(*) FROM orders WHERE external_id = ANY(%s) GROUP BY 1",
                [externals],
            ).fetchall()
        if dict(statuses).get("applied") == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    one.close()
    other.close()
    assert dict(statuses) == {"applied": len(ids)}, statuses
    assert attempts == (1,), attempts  # each applied by one worker, in one attempt
    assert sorted(orders) == sorted((x, 1) for x in externals)


def test_several_workers_on_a_duckdb_file_are_refused_with_the_reason(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    init_workspace(str(db), {})
    cmd = [sys.executable, "-m", "salesmetrics", "serve", "--db", str(db), "--workers", "2"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode != 0
    assert "--workers 2 needs a PostgreSQL workspace" in done.stderr, done.stderr
