"""Events API speed: a real server on a copy of a demo workspace, events from concurrent clients.

Budget (issue 5): >= 1,000 events/s on loopback with p99 < 50 ms while 50 dashboard clients hold
SSE streams; an event reaches the data (applied) well within 1 s.

`python bench/events_bench.py [--db PATH] [--seconds 10] [--rate 1200] [--clients 48]
[--sse-clients 50]` copies the workspace (default /tmp/big-rollups.duckdb, the large demo, when
it exists), serves it with `python -m salesmetrics serve`, posts one event per request (a mix of
order.placed, deal.created, deal.stage_changed, deal.won/lost referencing the demo's customers,
reps, products and stages) at the target rate, then reads from the inbox how long every event
took from received to applied (no polling during the load). Writes bench/results/events.json.

The load comes from a separate process (`--worker`): asyncio with keep-alive connections and a
minimal HTTP/1.1 client, so that the generator is not what limits the figures (threads with an
HTTP client library in the measuring process capped near the budget on 2 cores). The same
process holds the SSE streams and measures GET /healthz, the HTTP ceiling of this machine.
"""

from __future__ import annotations

import argparse
import asyncio
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

    def __init__(self, refs: dict[str, list[str]], run: str) -> None:  # run: unique per process
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


def bench_events(db: Path, *, seconds: float = 10.0, rate: float = 1200.0, clients: int = 48,
                 sse_clients: int = 50, label: str = "") -> dict[str, Any]:  # fmt: skip
    """Serve a copy of `db` and measure; returns the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        copy = work / "events.duckdb"
        start = time.perf_counter()
        shutil.copyfile(db, copy)
        copy_s = time.perf_counter() - start
        refs = _refs(copy)
        token = _owner_token(copy)
        port, log = _free_port(), work / "serve.log"
        proc = _serve(copy, port, log)
        base = f"http://127.0.0.1:{port}"
        run = datetime.now(UTC).strftime("%H%M%S")
        spec = {"port": port, "seconds": seconds, "rate": rate, "clients": clients,
                "sse": sse_clients, "refs": refs, "run": run, "token": token}  # fmt: skip
        try:
            worker = subprocess.Popen(
                [sys.executable, __file__, "--worker", json.dumps(spec)], stdout=subprocess.PIPE
            )
            out, _ = worker.communicate(timeout=seconds + 120)
            if worker.returncode:
                raise SystemExit(f"the load worker failed ({worker.returncode})")
            figures = json.loads(out)
            figures["events_vs_healthz"] = round(
                figures["events_per_second"] / figures["baseline_healthz"]["requests_per_second"],
                2,
            )
            figures["drain_seconds"] = _drain(base, token)
            figures["rollups_fresh"] = _rollups_fresh(base, token)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        figures.update(_applied(copy, f"bench-{run}-w-"))
        tail = log.read_text(errors="replace")[-1500:]
    ok = {
        "events_per_second": figures["events_per_second"] >= BUDGET["events_per_second"],
        "p99_ms": figures["latency_ms"]["p99"] < BUDGET["p99_ms"],
        # every event of the load applied (none left pending, waiting or failed), and soon
        "applied_p95_ms": figures["applied_ms"]["p95"] < BUDGET["applied_p95_ms"]
        and set(figures["inbox_statuses"]) == {"applied"},
    }
    return {
        "db": str(db), "workspace": label or db.name, "copy_seconds": round(copy_s, 1),
        "seconds": seconds, "target_rate": rate, "clients": clients, **figures,
        "budget": BUDGET, "within_budget": ok,
        "server_log_tail": tail if "Traceback" in tail else "",
    }  # fmt: skip


def _owner_token(db: Path) -> str:
    """An owner and an API token on the copy (the events API takes a token, as a shop's
    integration would send)."""
    from salesmetrics.domain.access import LOCAL, Role
    from salesmetrics.services.access import users
    from salesmetrics.services.workspace import workspace

    with workspace(str(db)) as ws:
        users.add_user(ws, LOCAL, "bench@example.com", Role.OWNER, password="bench password 1")
        return users.create_token(ws, LOCAL, "bench@example.com", "events bench").secret


def _applied(db: Path, prefix: str) -> dict[str, Any]:
    """From the inbox's own clock, for every event of the load: received (stamped as the inbox
    inserted it, just before the commit the 202 waits for) to applied (stamped as its batch,
    rollups included, was about to commit: the commit itself is not in the figure)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        ms = con.execute(
            "SELECT epoch_ms(applied_at) - epoch_ms(received_at) FROM event_inbox "
            "WHERE starts_with(event_id, ?) AND status = 'applied'",
            [prefix],
        ).fetchnumpy()
        counts = dict(con.execute(
            "SELECT status, count(*) FROM event_inbox WHERE starts_with(event_id, ?) GROUP BY 1",
            [prefix],
        ).fetchall())  # fmt: skip
    finally:
        con.close()
    values = next(iter(ms.values())).astype(float) if ms else np.asarray([])
    values = values if values.size else np.asarray([float("nan")])
    return {
        "inbox_statuses": counts,
        "applied_ms": {p: round(float(np.percentile(values, q)), 1)
                       for p, q in (("p50", 50), ("p95", 95), ("max", 100))},
    }  # fmt: skip


def _rollups_fresh(base: str, token: str) -> str:
    """Whether the dashboards still read rollups after the load (their version is the data's)."""
    r = httpx.post(f"{base}/api/v1/metrics/explain", json={"metrics": ["revenue"]}, timeout=30,
                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    if r.status_code != 200:
        return f"unknown ({r.status_code})"
    reads = {s for q in r.json().get("queries", []) for s in q.get("reads", [])}
    return "yes" if any(s.startswith("rollup_") for s in reads) else f"no: reads {sorted(reads)}"


# ---------------------------------------------------------------- the load worker (own process)


class _Conn:
    """One keep-alive HTTP/1.1 connection (responses with Content-Length, as the API sends)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> _Conn:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        head = (f"{method} {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json"
                f"\r\nauthorization: Bearer {TOKEN[0]}"
                f"\r\ncontent-length: {len(body)}\r\n\r\n")  # fmt: skip
        self.writer.write(head.encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


TOKEN = [""]  # the worker's API token (from its spec)


async def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    port, clients = spec["port"], spec["clients"]
    TOKEN[0] = spec["token"]
    stop = asyncio.Event()
    got = [0] * spec["sse"]
    holders = [asyncio.create_task(_hold(port, i, got, stop)) for i in range(spec["sse"])]
    await asyncio.sleep(1.0)
    baseline = await _baseline(port, clients)
    mix = Mix(spec["refs"], f"{spec['run']}-w")
    lat: list[float] = []
    errors: list[str] = []
    loop = asyncio.get_running_loop()
    begin = loop.time() + 0.3
    end = begin + spec["seconds"]
    gap = clients / spec["rate"]

    async def client(k: int) -> None:
        rng = random.Random(k)
        conn = await _Conn.open(port)
        due = begin + k * gap / clients
        while (now := loop.time()) < end:
            if now < due:
                await asyncio.sleep(due - now)
            due += gap
            body = json.dumps(mix.next(rng)).encode()
            t0 = time.perf_counter()
            try:
                status, text = await conn.request("POST", "/api/v1/events", body)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors.append(type(exc).__name__)
                conn = await _Conn.open(port)
                continue
            lat.append(time.perf_counter() - t0)
            if status != 202:
                errors.append(f"{status}: {text[:200]!r}")
        conn.writer.close()

    await asyncio.gather(*(client(k) for k in range(clients)))
    stop.set()
    for task in holders:
        task.cancel()
    ms = np.asarray(lat) * 1000
    return {
        "sse": f"{sum(1 for b in got if b > 0)} of {len(got)} streams held, with data",
        "requests": len(lat), "errors": len(errors), "error_samples": errors[:5],
        "events_per_second": round(len(lat) / spec["seconds"], 1),
        "latency_ms": {p: round(float(np.percentile(ms, q)), 2)
                       for p, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))},
        "baseline_healthz": baseline,
    }  # fmt: skip


async def _hold(port: int, i: int, got: list[int], stop: asyncio.Event) -> None:
    """Hold one SSE stream on /api/v1/live, counting the bytes it brings."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /api/v1/live HTTP/1.1\r\nhost: bench\r\n"
                         b"authorization: Bearer " + TOKEN[0].encode() + b"\r\n"
                         b"accept: text/event-stream\r\n\r\n")  # fmt: skip
            while chunk := await reader.read(65536):
                got[i] += len(chunk)
            writer.close()
        except OSError:
            pass
        await asyncio.sleep(0.2)


async def _baseline(port: int, clients: int, seconds: float = 3.0) -> dict[str, float]:
    """The same connections on GET /healthz (one trivial query): what this machine serves."""
    lat: list[float] = []
    end = time.perf_counter() + seconds

    async def client() -> None:
        conn = await _Conn.open(port)
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            await conn.request("GET", "/healthz")
            lat.append(time.perf_counter() - t0)
        conn.writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    ms = np.asarray(lat) * 1000
    return {"requests_per_second": round(len(lat) / seconds, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2)}  # fmt: skip


def _run_worker(text: str) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - the asyncio loop is fine, a little slower
        pass
    print(json.dumps(asyncio.run(_worker(json.loads(text)))))


def _drain(base: str, token: str, timeout: float = 120.0) -> float:
    """Seconds after the load until no event is pending."""
    t0 = time.perf_counter()
    auth = {"Authorization": f"Bearer {token}"}
    while time.perf_counter() - t0 < timeout:
        page = httpx.get(f"{base}/api/v1/events", params={"status": "pending", "limit": 1},
                         headers=auth).json()  # fmt: skip
        if page["count"] == 0:
            break
        time.sleep(0.05)
    return round(time.perf_counter() - t0, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=None, help=f"workspace to copy [{BIG}]")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1200.0, help="target events/s")
    parser.add_argument("--clients", type=int, default=48, help="keep-alive connections")
    parser.add_argument("--sse-clients", type=int, default=50)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _run_worker(args.worker)
        return
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
    print(f"rollups fresh after the load: {figures['rollups_fresh']}")


def print_events(f: dict[str, Any]) -> None:
    lat, app = f["latency_ms"], f["applied_ms"]
    print(
        f"events   {f['workspace']}: {f['events_per_second']:>7,.0f} events/s "
        f"(target {f['target_rate']:,.0f}, {f['clients']} clients, {f['errors']} errors)  "
        f"p50 {lat['p50']:.1f} ms  p99 {lat['p99']:.1f} ms  applied p95 {app['p95']:.0f} ms "
        f"(inbox after: {f['inbox_statuses']})  "
        f"drain {f['drain_seconds']} s  SSE: {f['sse']}  "
        f"(GET /healthz at {f['baseline_healthz']['requests_per_second']:,.0f} req/s: "
        f"x{f['events_vs_healthz']})  "
        + ", ".join(f"{k} {'ok' if v else 'OVER BUDGET'}" for k, v in f["within_budget"].items())
    )


if __name__ == "__main__":
    main()
