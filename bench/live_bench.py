"""The Overview page and the live path on the large demo (DuckDB), through a real server.

Budgets (issue "web dashboard, REST API and live updates"):
  render          GET / full server render, p95 < 300 ms (loopback, after warm-up, no writes
                  meanwhile: the page's figures are computed once per data version);
  after_change    the same, for the first GET after each data change (what a reload costs
                  right after an event; reported, no budget of its own);
  with_streams    the same render and /healthz while 300 live streams are open, and the time
                  until one change has reached every one of them (reported);
  event_to_screen from the 2xx reply of POST /api/v1/events (one order.placed) until the
                  revenue card of an open Overview in Chromium shows the new number,
                  p95 < 1 s.

`python bench/live_bench.py [--db PATH] [--requests 50] [--samples 20]` copies the workspace
(default: /tmp/big-rollups.duckdb if present, else a new `salesmetrics demo --size large`) so
the events it posts leave the original alone, serves it, writes bench/results/live.json and
prints the figures; `bench_live(path)` returns them (bench/run.py uses it on the large demo).

Every route but /healthz takes credentials: before serving, the copy gets an owner
(bench@example.com) and an API token; HTTP requests send the token, Chromium signs in with
the owner's password on the sign-in page (its session cookie then carries the page and its
live stream). /healthz is timed without credentials, as a load balancer asks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import numpy as np
from playwright.sync_api import Page, sync_playwright

RESULTS = Path(__file__).parent / "results"
BIG = Path("/tmp/big-rollups.duckdb")
CHROMIUM = "/usr/bin/chromium"
BUDGET = {"render_p95_ms": 300.0, "event_to_screen_p95_ms": 1000.0}
REVENUE = "[data-testid=value-revenue]"
EMAIL, PASSWORD = "bench@example.com", "bench password 1"  # the owner made on the copy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(db: str, log: Path) -> Iterator[str]:
    """`salesmetrics serve` on the workspace, until the block ends."""
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "salesmetrics", "serve", "--db", db, "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {log}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def _owner_token(db: Path) -> dict[str, str]:
    """An owner (EMAIL, PASSWORD) and an API token on the copy, before it is served; returns the
    Authorization header."""
    from salesmetrics.domain.access import LOCAL, Role
    from salesmetrics.services.access import users
    from salesmetrics.services.workspace import workspace

    with workspace(str(db)) as ws:
        users.add_user(ws, LOCAL, EMAIL, Role.OWNER, password=PASSWORD)
        secret = users.create_token(ws, LOCAL, EMAIL, "live bench").secret
    return {"Authorization": f"Bearer {secret}"}


def _sign_in(page: Page, base: str) -> None:
    """Sign in through the sign-in page, as a person does; the session cookie stays."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=sign-in]")
    page.wait_for_url(lambda url: "/login" not in url)


def _ms(values: list[float]) -> dict[str, float]:
    a = np.array(values) * 1000
    return {
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "max_ms": round(float(a.max()), 1),
        "n": len(values),
    }


def _order(amount_minor: int) -> dict[str, Any]:
    n = time.time_ns()
    return {
        "id": f"bench-live-{n}", "type": "order.placed",
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"external_id": f"BENCH-LIVE-{n}", "currency": "UAH", "status": "paid",
                 "lines": [{"quantity": 1, "unit_price_minor": amount_minor}]},
    }  # fmt: skip


def _post(client: httpx.Client, base: str, auth: dict[str, str] | None = None) -> float:
    """One order; `auth` unless the client sends the token already."""
    reply = client.post(f"{base}/api/v1/events", json=_order(1_234_500), headers=auth)
    reply.raise_for_status()
    return time.monotonic()


def bench_render(base: str, requests: int, auth: dict[str, str]) -> dict[str, Any]:
    """GET / timed after a warm-up; then the first GET after each of a few data changes."""
    with httpx.Client(timeout=60, headers=auth) as client:
        for _ in range(5):
            client.get(f"{base}/?lang=uk").raise_for_status()
        steady = []
        for _ in range(requests):
            start = time.perf_counter()
            client.get(f"{base}/?lang=uk").raise_for_status()
            steady.append(time.perf_counter() - start)
        after = []
        for _ in range(max(3, requests // 5)):
            _post(client, base)
            time.sleep(0.5)  # applied by then (the events API applies in the background)
            start = time.perf_counter()
            client.get(f"{base}/?lang=uk").raise_for_status()
            after.append(time.perf_counter() - start)
    return {"steady": _ms(steady), "after_change": _ms(after)}


def _one(page: Page, client: httpx.Client, base: str) -> float:
    before = page.inner_text(REVENUE)
    replied = _post(client, base)
    page.wait_for_function(
        "([sel, old]) => document.querySelector(sel).innerText !== old",
        arg=[REVENUE, before], timeout=30_000, polling=10,
    )  # fmt: skip
    return time.monotonic() - replied


def bench_event_to_screen(base: str, samples: int, auth: dict[str, str]) -> dict[str, Any]:
    """An open Overview in Chromium; one event at a time; time until the card changes."""
    with sync_playwright() as p, httpx.Client(timeout=60, headers=auth) as client:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            _sign_in(page, base)
            page.goto(f"{base}/?lang=uk")
            page.wait_for_selector("[data-live-status].is-live", timeout=60_000)
            warm = _one(page, client, base)  # the first query after the rollups go stale
            took = []
            for _ in range(samples):
                took.append(_one(page, client, base))
                time.sleep(0.3)
            reloaded = page.evaluate("performance.getEntriesByType('navigation').length") != 1
        finally:
            browser.close()
    return {**_ms(took), "first_ms": round(warm * 1000, 1), "page_reloaded": reloaded}


class Streams:
    """`n` open live streams held by one background event loop; records when each hears a
    `change` after `mark()`."""

    def __init__(self, base: str, n: int, auth: dict[str, str]) -> None:
        self.base, self.n, self.auth = base, n, auth
        self.open = 0
        self.heard: list[float] = []
        self._since = float("inf")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> Streams:
        self._thread.start()
        deadline = time.monotonic() + 60
        while self.open < self.n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def mark(self) -> None:
        self.heard, self._since = [], time.monotonic()

    async def _one(self, client: httpx.AsyncClient) -> None:
        async with client.stream("GET", f"{self.base}/api/v1/live") as response:
            response.raise_for_status()  # a refused stream (401) is not counted as open
            self.open += 1
            async for line in response.aiter_lines():
                if line == "event: change" and time.monotonic() >= self._since:
                    self.heard.append(time.monotonic() - self._since)

    async def _main(self) -> None:
        limits = httpx.Limits(max_connections=self.n + 10)
        async with httpx.AsyncClient(timeout=None, limits=limits, headers=self.auth) as client:
            tasks = [asyncio.create_task(self._one(client)) for _ in range(self.n)]
            while not self._stop.is_set():
                await asyncio.sleep(0.1)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def bench_streams(base: str, n: int, requests: int, auth: dict[str, str]) -> dict[str, Any]:
    """GET / and /healthz with `n` streams open, and how fast one change reaches all of them."""
    with Streams(base, n, auth) as streams, httpx.Client(timeout=60) as client:
        page, health = [], []
        for _ in range(requests):
            start = time.perf_counter()
            client.get(f"{base}/?lang=uk", headers=auth).raise_for_status()
            page.append(time.perf_counter() - start)
            start = time.perf_counter()
            client.get(f"{base}/healthz").raise_for_status()
            health.append(time.perf_counter() - start)
        streams.mark()
        _post(client, base, auth)
        deadline = time.monotonic() + 10
        while len(streams.heard) < streams.open and time.monotonic() < deadline:
            time.sleep(0.01)
        fan_out = sorted(streams.heard)
    return {
        "streams": streams.open, "render": _ms(page), "healthz": _ms(health),
        "heard_change": len(fan_out),
        "first_heard_ms": round(fan_out[0] * 1000, 1) if fan_out else None,
        "all_heard_ms": round(fan_out[-1] * 1000, 1) if fan_out else None,
    }  # fmt: skip


def bench_live(
    db: str, *, requests: int = 50, samples: int = 20, streams: int = 300
) -> dict[str, Any]:
    """Copy the workspace, serve it and measure; the copy is removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "live.duckdb"
        shutil.copyfile(db, copy)
        auth = _owner_token(copy)  # before serving: one process at a time opens the file
        with served(str(copy), Path(tmp) / "serve.log") as base:
            render = bench_render(base, requests, auth)
            held = bench_streams(base, streams, requests, auth)
            screen = bench_event_to_screen(base, samples, auth)
    within = {
        "render": render["steady"]["p95_ms"] < BUDGET["render_p95_ms"],
        "event_to_screen": screen["p95_ms"] < BUDGET["event_to_screen_p95_ms"],
    }
    return {"db": db, "render": render, "with_streams": held, "event_to_screen": screen,
            "budget": BUDGET, "within_budget": within}  # fmt: skip


def print_live(m: dict[str, Any]) -> None:
    r, s, ok, h = m["render"], m["event_to_screen"], m["within_budget"], m["with_streams"]
    print(
        f"overview render  p50 {r['steady']['p50_ms']:>7.1f} ms  p95 {r['steady']['p95_ms']:>7.1f}"
        f" ms  (first after a change: p50 {r['after_change']['p50_ms']:.1f} ms, p95 "
        f"{r['after_change']['p95_ms']:.1f} ms)  {'ok' if ok['render'] else 'OVER BUDGET'}"
    )
    print(
        f"with {h['streams']} live streams open: render p95 {h['render']['p95_ms']:.1f} ms, "
        f"healthz p95 {h['healthz']['p95_ms']:.1f} ms; one change reached "
        f"{h['heard_change']} of them, the first {h['first_heard_ms']} ms and the last "
        f"{h['all_heard_ms']} ms after the 2xx reply"
    )
    print(
        f"event to screen  p50 {s['p50_ms']:>7.1f} ms  p95 {s['p95_ms']:>7.1f} ms  max "
        f"{s['max_ms']:.1f} ms  (first {s['first_ms']:.1f} ms)  "
        f"{'ok' if ok['event_to_screen'] else 'OVER BUDGET'}"
    )


def _large_demo(folder: Path) -> str:
    path = folder / "demo-large.duckdb"
    subprocess.run(
        [sys.executable, "-m", "salesmetrics", "demo", "--size", "large", "--db", str(path)],
        check=True,
    )
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="a DuckDB workspace (it is copied, never changed)")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--streams", type=int, default=300, help="live streams held open")
    args = parser.parse_args()
    stamp = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}",
    }
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or (str(BIG) if BIG.exists() else _large_demo(Path(tmp)))
        figures = bench_live(db, requests=args.requests, samples=args.samples, streams=args.streams)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "live.json").write_text(json.dumps({**stamp, **figures}, indent=2) + "\n")
    print_live(figures)


if __name__ == "__main__":
    main()
