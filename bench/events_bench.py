"""Events API speed: a real server on a copy of a demo workspace, events from concurrent clients.

Budget (issue 5): >= 1,000 events/s on loopback with p99 < 50 ms while 50 dashboard clients hold
SSE streams; an event reaches the data (applied) well within 1 s.

`python bench/events_bench.py [--db PATH] [--seconds 10] [--rate 1200] [--clients 24]
[--sse-clients 50]` copies the workspace (default /tmp/big-rollups.duckdb, the large demo, when
it exists), serves it with `python -m salesmetrics serve`, posts one event per request (a mix of
order.placed, deal.created, deal.stage_changed, deal.won/lost referencing the demo's customers,
reps, products and stages) at the target rate, and meanwhile probes how long an event takes from
the 2xx to `applied`. Writes bench/results/events.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx2 as httpx
import numpy as np

RESULTS = Path(__file__).parent / "results"
BIG = Path("/tmp/big-rollups.duckdb")
BUDGET = {"events_per_second": 1000.0, "p99_ms": 50.0, "applied_p95_ms": 1000.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _refs(db: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:

        def ids(sql: str) -> list[str]:
            return [str(r[0]) for r in con.execute(sql).fetchall()]

        return {
            "customers": ids("SELECT external_id FROM customers WHERE external_id IS NOT NULL "
                             "USING SAMPLE 2000 ROWS"),
            "reps": ids("SELECT external_id FROM reps WHERE external_id IS NOT NULL"),
            "products": ids("SELECT external_id FROM products WHERE external_id IS NOT NULL"),
            "stages": ids("SELECT coalesce(external_id, name) FROM stages WHERE kind = 'open'"),
        }  # fmt: skip
    finally:
        con.close()


class Mix:
    """Events of the mix, ids unique per run; deal events refer to deals made earlier."""

    def __init__(self, refs: dict[str, list[str]], run: str) -> None:
        self.refs, self.run = refs, run
        self.n = 0
        self.deals: list[str] = []
        self.lock = threading.Lock()

    def next(self, rng: random.Random) -> dict[str, Any]:
        with self.lock:
            self.n += 1
            n = self.n
        at = datetime.now(UTC).isoformat()
        r = self.refs
        roll = rng.random()
        if roll < 0.1 and self.deals:
            deal = rng.choice(self.deals)
            kind = rng.choice(["deal.won", "deal.lost"])
            return self._ev(n, kind, at, {"deal_id": deal})
        if roll < 0.3 and self.deals:
            stage = rng.choice(r["stages"])
            return self._ev(n, "deal.stage_changed", at,
                            {"deal_id": rng.choice(self.deals), "to_stage_id": stage})  # fmt: skip
        if roll < 0.5:
            deal = f"BENCH-{self.run}-D{n}"
            with self.lock:
                self.deals.append(deal)
            return self._ev(n, "deal.created", at, {
                "external_id": deal, "amount_minor": rng.randrange(10_000, 5_000_000),
                "customer_id": rng.choice(r["customers"]), "owner_rep_id": rng.choice(r["reps"]),
            })  # fmt: skip
        lines = [{"product_id": rng.choice(r["products"]), "quantity": rng.randint(1, 3),
                  "unit_price_minor": rng.randrange(5_000, 500_000)}
                 for _ in range(rng.randint(1, 3))]  # fmt: skip
        return self._ev(n, "order.placed", at, {
            "external_id": f"BENCH-{self.run}-O{n}", "customer_id": rng.choice(r["customers"]),
            "rep_id": rng.choice(r["reps"]), "lines": lines,
        })  # fmt: skip

    def _ev(self, n: int, type_: str, at: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"bench-{self.run}-{n}", "type": type_, "occurred_at": at, "data": data}


def _serve(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "salesmetrics", "serve", "--db", str(db), "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=db.parent,
        )  # fmt: skip
    for _ in range(1200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server did not start: {log.read_text()[-2000:]}")


def _sse(base: str, n: int, stop: threading.Event) -> tuple[str, list[int]]:
    """Hold n SSE streams open on /api/v1/live; (state, bytes read per stream)."""
    try:
        first = httpx.get(f"{base}/api/v1/live", timeout=2, headers={"accept": "text/event-stream"})
    except httpx.ReadTimeout:
        first = None  # a stream that stays open: the endpoint exists
    if first is not None and first.status_code == 404:
        return "skipped: GET /api/v1/live answers 404", []
    got = [0] * n

    def hold(i: int) -> None:
        while not stop.is_set():
            try:
                with httpx.stream("GET", f"{base}/api/v1/live", timeout=None) as resp:
                    for chunk in resp.iter_bytes():
                        got[i] += len(chunk)
                        if stop.is_set():
                            return
            except httpx.HTTPError:
                time.sleep(0.2)

    for i in range(n):
        threading.Thread(target=hold, args=(i,), daemon=True).start()
    time.sleep(1.0)
    return f"{n} streams held", got


def bench_events(db: Path, *, seconds: float = 10.0, rate: float = 1200.0, clients: int = 24,
                 sse_clients: int = 50, label: str = "") -> dict[str, Any]:  # fmt: skip
    """Serve a copy of `db` and measure; returns the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        copy = work / "events.duckdb"
        start = time.perf_counter()
        shutil.copyfile(db, copy)
        copy_s = time.perf_counter() - start
        refs = _refs(copy)
        port, log = _free_port(), work / "serve.log"
        proc = _serve(copy, port, log)
        base = f"http://127.0.0.1:{port}"
        stop = threading.Event()
        try:
            sse_state, sse_bytes = ("off", []) if not sse_clients else _sse(base, sse_clients, stop)
            baseline = _baseline(base, clients)
            mix = Mix(refs, datetime.now(UTC).strftime("%H%M%S"))
            figures = _load(base, mix, seconds, rate, clients)
            figures["baseline_healthz"] = baseline
            figures["events_vs_healthz"] = round(
                figures["events_per_second"] / baseline["requests_per_second"], 2
            )
            figures["drain_seconds"] = _drain(base)
        finally:
            stop.set()
            proc.terminate()
            proc.wait(timeout=60)
        tail = log.read_text(errors="replace")[-1500:]
    ok = {
        "events_per_second": figures["events_per_second"] >= BUDGET["events_per_second"],
        "p99_ms": figures["latency_ms"]["p99"] < BUDGET["p99_ms"],
        "applied_p95_ms": figures["applied_ms"]["p95"] < BUDGET["applied_p95_ms"],
    }
    return {
        "db": str(db), "workspace": label or db.name, "copy_seconds": round(copy_s, 1),
        "seconds": seconds, "target_rate": rate, "clients": clients, "sse": sse_state,
        "sse_streams_with_data": sum(1 for b in sse_bytes if b > 0), **figures,
        "budget": BUDGET, "within_budget": ok,
        "server_log_tail": tail if "Traceback" in tail else "",
    }  # fmt: skip


def _load(base: str, mix: Mix, seconds: float, rate: float, clients: int) -> dict[str, Any]:
    lat: list[float] = []
    applied: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    begin = time.perf_counter() + 0.5
    end = begin + seconds
    gap = clients / rate

    def client(k: int) -> None:
        rng = random.Random(k)
        mine: list[float] = []
        with httpx.Client(base_url=base, timeout=10) as http:
            due = begin + k * gap / clients
            while (now := time.perf_counter()) < end:
                if now < due:
                    time.sleep(due - now)
                due += gap
                ev = mix.next(rng)
                t0 = time.perf_counter()
                try:
                    r = http.post("/api/v1/events", json=ev)
                    ok = r.status_code == 202
                except httpx.HTTPError as exc:
                    ok, r = False, None
                    errors.append(type(exc).__name__)
                mine.append(time.perf_counter() - t0)
                if not ok and r is not None:
                    errors.append(f"{r.status_code}: {r.text[:200]}")
        with lock:
            lat.extend(mine)

    def prober() -> None:
        rng = random.Random(99)
        with httpx.Client(base_url=base, timeout=10) as http:
            while time.perf_counter() < end:
                ev = mix.next(rng)
                if ev["type"] != "order.placed":
                    continue
                http.post("/api/v1/events", json=ev)
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < 10:
                    if http.get(f"/api/v1/events/{ev['id']}").json()["status"] == "applied":
                        applied.append(time.perf_counter() - t0)
                        break
                    time.sleep(0.01)
                time.sleep(0.25)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    threads.append(threading.Thread(target=prober))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ms = np.asarray(lat) * 1000
    app_ms = np.asarray(applied or [float("nan")]) * 1000
    return {
        "requests": len(lat), "errors": len(errors), "error_samples": errors[:5],
        "events_per_second": round(len(lat) / seconds, 1),
        "latency_ms": {p: round(float(np.percentile(ms, q)), 2)
                       for p, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))},
        "applied_probes": len(applied),
        "applied_ms": {p: round(float(np.percentile(app_ms, q)), 1)
                       for p, q in (("p50", 50), ("p95", 95), ("max", 100))},
    }  # fmt: skip


def _baseline(base: str, clients: int, seconds: float = 3.0) -> dict[str, float]:
    """The same clients on GET /healthz (one trivial query): what this machine serves now."""
    lat: list[float] = []
    end = time.perf_counter() + seconds

    def client() -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                http.get("/healthz")
                lat.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ms = np.asarray(lat) * 1000
    return {"requests_per_second": round(len(lat) / seconds, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2)}  # fmt: skip


def _drain(base: str, timeout: float = 120.0) -> float:
    """Seconds after the load until no event is pending."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        page = httpx.get(f"{base}/api/v1/events", params={"status": "pending", "limit": 1}).json()
        if page["count"] == 0:
            break
        time.sleep(0.05)
    return round(time.perf_counter() - t0, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=None, help=f"workspace to copy [{BIG}]")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1200.0, help="target events/s")
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--sse-clients", type=int, default=50)
    args = parser.parse_args()
    db = args.db or BIG
    if not db.exists():
        raise SystemExit(f"no workspace at {db}: pass --db (a medium demo is fine for a quick run)")
    label = "large demo" if db == BIG else db.name
    figures = bench_events(db, seconds=args.seconds, rate=args.rate, clients=args.clients,
                           sse_clients=args.sse_clients, label=label)  # fmt: skip
    stamp = {"at": datetime.now(UTC).isoformat(timespec="seconds"),
             "machine": f"{platform.machine()} {platform.python_version()}"}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "events.json").write_text(json.dumps({**stamp, **figures}, indent=2) + "\n")
    print_events(figures)


def print_events(f: dict[str, Any]) -> None:
    lat, app = f["latency_ms"], f["applied_ms"]
    print(
        f"events   {f['workspace']}: {f['events_per_second']:>7,.0f} events/s "
        f"(target {f['target_rate']:,.0f}, {f['clients']} clients, {f['errors']} errors)  "
        f"p50 {lat['p50']:.1f} ms  p99 {lat['p99']:.1f} ms  applied p95 {app['p95']:.0f} ms  "
        f"drain {f['drain_seconds']} s  SSE: {f['sse']}  "
        f"(GET /healthz at {f['baseline_healthz']['requests_per_second']:,.0f} req/s: "
        f"x{f['events_vs_healthz']})  "
        + ", ".join(f"{k} {'ok' if v else 'OVER BUDGET'}" for k, v in f["within_budget"].items())
    )


if __name__ == "__main__":
    main()
