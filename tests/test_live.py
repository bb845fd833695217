"""The live path: the change feed and its coalescing, and GET /api/v1/live through a real server."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import httpx2 as httpx
import psycopg
import pytest

from conftest import DEMO_AS_OF
from orders_file import write_orders_csv
from salesmetrics.domain.access import EVERYTHING
from salesmetrics.domain.errors import ConfigError
from salesmetrics.domain.periods import add_months
from salesmetrics.services.imports.model import ImportRequest
from salesmetrics.services.imports.run import run_import
from salesmetrics.services.live import (
    ChangeFeed,
    LiveLimits,
    Notice,
    TooManyStreams,
    data_version,
    notices,
)
from salesmetrics.services.overview import HEADLINE, SPARK_MONTHS, TREND_MONTHS, keys, overview
from salesmetrics.services.workspace import init_workspace, workspace
from signed_in import bearer, offline_token, owner_client

Serve = Callable[..., str]  # serve(url, **environment) -> base URL of a running server
AUTH: dict[str, str] = {}  # an owner's token for the server `serve` started last


class Counter:
    """A data version that the test moves by hand."""

    def __init__(self) -> None:
        self.value = 7

    def __call__(self) -> int:
        return self.value


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the feed, in one process


def test_wait_change_wakes_on_publish_and_times_out() -> None:
    async def scenario() -> tuple[int | None, int | None, float]:
        feed = ChangeFeed(Counter(), poll_seconds=60)  # only the test publishes
        await feed.start()
        try:
            asyncio.get_running_loop().call_later(0.05, feed.publish, 8)
            woke = await feed.wait_change(7, timeout=2)
            start = time.monotonic()
            quiet = await feed.wait_change(8, timeout=0.2)
            return woke, quiet, time.monotonic() - start
        finally:
            await feed.stop()

    woke, quiet, waited = run(scenario())  # type: ignore[misc]
    assert woke == 8 and quiet is None and 0.15 < waited < 1


def test_the_watcher_notices_a_new_version_within_200_ms() -> None:
    counter = Counter()

    async def scenario() -> float:
        feed = ChangeFeed(counter, poll_seconds=0.05)
        await feed.start()
        try:
            assert feed.version == 7
            counter.value = 9
            start = time.monotonic()
            assert await feed.wait_change(7, timeout=2) == 9
            return time.monotonic() - start
        finally:
            await feed.stop()

    assert run(scenario()) < 0.2


def test_a_burst_reaches_a_subscriber_as_few_notices_ending_with_the_latest() -> None:
    async def scenario() -> tuple[list[Notice], float]:
        feed = ChangeFeed(Counter(), poll_seconds=60)  # only the test publishes
        await feed.start()
        heard: list[Notice] = []

        async def listen() -> None:
            async for notice in notices(feed, max_seconds=60, min_gap=0.25):
                heard.append(notice)

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.01)
        start = time.monotonic()
        for version in range(8, 1008):  # 1,000 changes, about a second's worth
            feed.publish(version)
            await asyncio.sleep(0.001)
        burst = time.monotonic() - start
        await asyncio.sleep(0.6)  # the last notice may wait out one gap
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        await feed.stop()
        return heard, burst

    heard, burst = run(scenario())  # type: ignore[misc]
    assert heard[0].kind == "hello" and heard[0].version == 7
    changes = [n.version for n in heard[1:]]
    assert all(n.kind == "change" for n in heard[1:])
    assert 2 <= len(changes) <= burst / 0.25 + 3, (changes, burst)  # ~1 per 250 ms, not 1,000
    assert changes == sorted(changes) and changes[-1] == 1007


def test_notices_end_after_the_lifetime_and_catch_up_a_returning_client() -> None:
    async def scenario() -> tuple[list[Notice], float]:
        feed = ChangeFeed(Counter(), poll_seconds=60, limits=LiveLimits(max_seconds=0.3))
        await feed.start()
        start = time.monotonic()
        heard = [n async for n in notices(feed, last_seen=5)]
        await feed.stop()
        return heard, time.monotonic() - start

    heard, took = run(scenario())  # type: ignore[misc]
    assert [(n.kind, n.version) for n in heard] == [("hello", 7), ("change", 7)]
    assert 0.25 < took < 1.5
    assert set(heard[0].as_dict()) == {"version", "at"}


def test_streams_are_capped_and_slots_come_back() -> None:
    feed = ChangeFeed(Counter(), limits=LiveLimits(max_streams=2))
    first, second = feed.open_stream(), feed.open_stream()
    with pytest.raises(TooManyStreams, match="limit"):
        feed.open_stream()
    first.release()
    first.release()  # twice is harmless
    assert feed.streams == 1
    feed.open_stream()
    second.release()
    assert feed.streams == 1


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESMETRICS_LIVE_MAX_SECONDS", "12.5")
    monkeypatch.setenv("SALESMETRICS_LIVE_MAX_STREAMS", "40")
    assert LiveLimits.from_env() == LiveLimits(12.5, 40)
    monkeypatch.setenv("SALESMETRICS_LIVE_MAX_STREAMS", "many")
    with pytest.raises(ConfigError, match="SALESMETRICS_LIVE_MAX_STREAMS"):
        LiveLimits.from_env()


def test_every_data_write_moves_the_version_the_watcher_reads(store_url: str) -> None:
    init_workspace(store_url, {})
    with workspace(store_url) as ws:
        before = data_version(ws)
        ws.store.write(lambda tx: None)  # a data write, even an empty one, bumps it
        ws.store.write(lambda tx: None, changes_data=False)  # a rollup rebuild does not
        assert data_version(ws) == before + 1


# ---------------------------------------------------------------- SSE through a real server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Start `salesmetrics serve` on a workspace with extra environment; stop it afterwards."""
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[BinaryIO] = []

    def start(url: str, **env: str) -> str:
        AUTH.update(bearer(offline_token(url)))  # before the server opens the workspace
        port = _free_port()
        log = (tmp_path / f"serve-{port}.log").open("wb")
        logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "salesmetrics", "serve", "--db", url, "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, env={**os.environ, **env},
        )  # fmt: skip
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=20)
    for log in logs:
        log.close()


def _events(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """Server-sent events from a stream of lines (comments and pings skipped)."""
    event: dict[str, str] = {}
    for line in lines:
        if line == "":
            if event:
                yield event
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value.lstrip(" ")


def _status(url: str) -> int:
    """The status of a stream's answer, without waiting for the stream to end."""
    with httpx.stream("GET", url, timeout=5, headers=AUTH) as response:
        return response.status_code


def _order_event(n: int) -> dict[str, object]:
    return {
        "id": f"live-test-{n}-{time.time_ns()}", "type": "order.placed",
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"external_id": f"LIVE-{n}-{time.time_ns()}", "currency": "UAH",
                 "lines": [{"quantity": 1, "unit_price_minor": 1_000_000}]},
    }  # fmt: skip


@pytest.mark.slow
def test_sse_on_duckdb_hello_change_after_an_event_then_the_lifetime_ends(
    tmp_path: Path, serve: Serve
) -> None:
    db = str(tmp_path / "live.duckdb")
    init_workspace(db, {})
    base = serve(db, SALESMETRICS_LIVE_MAX_SECONDS="4", SALESMETRICS_LIVE_MAX_STREAMS="2")
    opened = time.monotonic()
    with httpx.stream("GET", f"{base}/api/v1/live", timeout=10, headers=AUTH) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response.iter_lines())
        hello = next(events)
        assert hello["event"] == "hello" and hello["retry"] == "1000"
        version = json.loads(hello["data"])["version"]
        assert hello["id"] == str(version)

        # A third stream is refused while two are open (this one and the next).
        with httpx.stream("GET", f"{base}/api/v1/live", timeout=10, headers=AUTH) as second:
            assert second.status_code == 200
            full = httpx.get(f"{base}/api/v1/live", timeout=5, headers=AUTH)
            assert full.status_code == 503 and full.headers["retry-after"]
            assert full.headers["content-type"].startswith("application/problem+json")
            assert full.json()["code"] == "too_many_streams"
        deadline = time.monotonic() + 5  # a closed stream gives its place back
        while _status(f"{base}/api/v1/live") == 503:
            assert time.monotonic() < deadline, "the closed stream's place never came back"
            time.sleep(0.1)

        posted = httpx.post(f"{base}/api/v1/events", json=_order_event(1), timeout=5,
                            headers=AUTH)  # fmt: skip
        assert posted.status_code == 202, posted.text
        replied = time.monotonic()
        change = next(events)
        heard = time.monotonic()
        assert change["event"] == "change" and json.loads(change["data"])["version"] > version
        assert heard - replied < 1.0
        for _ in events:  # whatever else comes, the server ends the stream after its lifetime
            pass
    lived = time.monotonic() - opened
    assert 3.5 < lived < 8, lived


@pytest.mark.slow
def test_sse_on_postgres_hears_an_import_made_by_another_process(
    pg_url: str, tmp_path: Path, serve: Serve
) -> None:
    init_workspace(pg_url, {})
    base = serve(pg_url)
    orders = write_orders_csv(tmp_path / "orders.csv", 20)
    with httpx.stream("GET", f"{base}/api/v1/live", timeout=10, headers=AUTH) as response:
        events = _events(response.iter_lines())
        version = json.loads(next(events)["data"])["version"]
        with workspace(pg_url) as ws:  # this process writes; the server only watches
            report = run_import(ws, ImportRequest("orders", orders))
            assert report.rows_read == 20
            done = time.monotonic()
            after = data_version(ws)
        change = next(events)
        assert change["event"] == "change"
        assert json.loads(change["data"])["version"] == after > version
        assert time.monotonic() - done < 1.0
    # A client that comes back with an old Last-Event-ID hears that it missed a change.
    with httpx.stream(
        "GET", f"{base}/api/v1/live", headers={"Last-Event-ID": str(version), **AUTH}, timeout=10
    ) as again:
        events = _events(again.iter_lines())
        assert next(events)["event"] == "hello"
        assert json.loads(next(events)["data"])["version"] == after


def test_live_is_in_the_openapi(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    init_workspace(db, {})
    with owner_client(db) as client:
        op = client.get("/openapi.json").json()["paths"]["/api/v1/live"]["get"]
    assert "text/event-stream" in op["responses"]["200"]["content"]
    assert "application/problem+json" in op["responses"]["503"]["content"]
    assert "SALESMETRICS_LIVE_MAX_SECONDS" in op["description"]


# ---------------------------------------------------------------- the Overview's parts


def test_the_overview_in_parts_equals_the_metrics_asked_directly(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        o = overview(ws, keys(ws, EVERYTHING, DEMO_AS_OF))
        first = DEMO_AS_OF.replace(day=1)
        months = f"{add_months(first, 1 - TREND_MONTHS)}..{DEMO_AS_OF}"
        trend = ws.metrics.query(["revenue"], period=months, grain="month", as_of=DEMO_AS_OF)
        assert o.trend == [(r["period"], r["revenue"]) for r in trend.rows()]
        months = f"{add_months(first, 1 - SPARK_MONTHS)}..{DEMO_AS_OF}"
        sparks = ws.metrics.query(list(HEADLINE), period=months, grain="month", as_of=DEMO_AS_OF)
        rows = sparks.rows()
        for card in o.cards:
            assert card.spark == tuple(r[card.name] for r in rows), card.name
        revenue = next(c.value for c in o.cards if c.name == "revenue")
        assert sum(c.revenue or 0 for c in o.channels) == revenue
        assert abs(sum(c.share or 0 for c in o.channels) - 1) < 1e-9
        assert sum(v or 0 for _, v in o.by_rep) == revenue


def test_fragments_show_a_write_at_once_and_are_rendered_once_per_version(
    store_url: str, tmp_path: Path
) -> None:
    init_workspace(store_url, {"locale": "en"})
    with owner_client(store_url) as client:
        ws = client.app.state.workspace  # type: ignore[attr-defined]
        empty = client.get("/fragments/overview/cards?lang=uk")
        assert empty.status_code == 200 and 'data-metric="revenue"' in empty.text
        assert client.get("/fragments/overview/cards?lang=uk").content == empty.content
        today = datetime.now(UTC).date().isoformat()
        orders = tmp_path / "orders.csv"
        orders.write_text(
            "order_id,order_date,customer,sku,quantity,unit_price,status,currency\n"
            f"L-1,{today},a@example.com,SKU-1,2,1500.00,paid,UAH\n",
            encoding="utf-8",
        )
        run_import(ws, ImportRequest("orders", orders))
        cards = client.get("/fragments/overview/cards?lang=uk").text
        assert "3\u00a0000,00\u00a0₴" in cards  # 2 x 1,500.00 UAH, formatted for Ukrainian
        channels = client.get("/fragments/overview/channels?lang=en").text
        assert "(no channel)" in channels and "3,000.00" in channels
        charts = client.get("/fragments/overview/charts?lang=en").json()
        assert charts["trend"]["y"][-1] == 3000 and len(charts["trend"]["x"]) == 24
        assert charts["version"] == data_version(ws)


@pytest.mark.postgres
def test_postgres_announces_each_data_change_to_listeners_at_commit(pg_url: str) -> None:
    """LISTEN/NOTIFY: a write that moves the data version (either way: a write that changes
    data, or one that bumps the version itself, as the events applier does) wakes a listener
    of another connection at commit, not before; a write that does not is not announced."""
    from salesmetrics.storage.open import open_store
    from salesmetrics.storage.repositories.rollups import bump_data_version

    init_workspace(pg_url, {})
    writer, watcher = open_store(pg_url), open_store(pg_url)
    listener = watcher.change_listener()
    assert listener is not None
    try:
        assert listener.wait(0.1)  # (re)connected: anything before is unheard, look once
        assert not listener.wait(0.3)
        started = time.monotonic()
        writer.write(lambda tx: tx.execute("UPDATE settings SET value = value"))
        assert listener.wait(2.0) and time.monotonic() - started < 1.0
        writer.write(lambda tx: bump_data_version(tx), changes_data=False)
        assert listener.wait(2.0)
        writer.write(lambda tx: tx.execute("SELECT 1"), changes_data=False)
        assert not listener.wait(0.3)

        def slow(tx: object) -> None:  # heard only once it commits
            assert not listener.wait(0.3)

        writer.write(slow)
        assert listener.wait(2.0)
    finally:
        listener.close()
        writer.close()
        watcher.close()


@pytest.mark.postgres
def test_one_process_leads_the_alert_loop_and_another_takes_over_when_it_ends(
    pg_url: str,
) -> None:
    from salesmetrics.storage.open import open_store

    init_workspace(pg_url, {})
    first, second = open_store(pg_url), open_store(pg_url)
    try:
        assert first.lead("alert-loop") and first.lead("alert-loop")  # kept
        assert not second.lead("alert-loop")
        assert second.lead("another role")
        # the leader's lock connection dies (a server restart, a dropped link): the lock goes
        # with it; another process takes the role, and the old leader knows it lost it
        with psycopg.connect(pg_url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a "
                "JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted "
                "WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()"
            ).fetchall()
        assert len(killed) == 2  # the alert loop's (first) and "another role"'s (second)
        time.sleep(0.2)
        assert second.lead("alert-loop")
        assert not first.lead("alert-loop")
        second.close()  # its connections end: the role is free
        assert first.lead("alert-loop")
    finally:
        first.close()
        second.close()


def test_a_duckdb_workspace_has_no_listener_and_leads_alone(tmp_path: Path) -> None:
    from salesmetrics.storage.open import open_store

    store = open_store(str(tmp_path / "w.duckdb"), create=True)
    try:
        assert store.change_listener() is None and store.lead("alert-loop")
    finally:
        store.close()
