"""A kill -9 of the server after a 2xx loses no acknowledged event."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import pytest

from salesmetrics.services.workspace import init_workspace, open_workspace
from served import free_port, start
from signed_in import bearer, offline_token

pytestmark = pytest.mark.slow


def _event(i: int) -> dict[str, object]:
    return {"id": f"kill-{i:04d}", "type": "order.placed",
            "occurred_at": datetime(2026, 11, 2, 9, tzinfo=UTC).isoformat(),
            "data": {"external_id": f"K{i}", "customer_id": f"c{i % 7}@example.com",
                     "lines": [{"product_id": "SKU-1", "unit_price_minor": 100 + i}]}}  # fmt: skip


def test_kill_after_ack_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    init_workspace(str(db), {})
    auth = bearer(offline_token(str(db)))
    port, log = free_port(), tmp_path / "serve.log"
    proc = start(db, port, log)
    acked: list[str] = []
    lock = threading.Lock()

    def sender(start: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5, headers=auth) as client:
            for i in range(start, 200, 4):
                try:
                    reply = client.post("/api/v1/events", json=_event(i))
                except httpx.TransportError:
                    return
                if reply.status_code == 202:
                    with lock:
                        acked.append(f"kill-{i:04d}")

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    while len(acked) < 120 and any(t.is_alive() for t in threads):
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for t in threads:
        t.join()
    assert len(acked) >= 100
    proc = start(db, port, log)
    try:
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth) as client:
            while time.monotonic() < deadline:
                page = client.get("/api/v1/events", params={"limit": 500}).json()
                status = {e["id"]: e["status"] for e in page["data"]}
                if all(status.get(i) == "applied" for i in acked):
                    break
                time.sleep(0.1)
        missing = [i for i in acked if status.get(i) != "applied"]
        assert not missing, f"{len(missing)} acknowledged events not applied: {missing[:5]}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ws = open_workspace(str(db))
    orders = {r[0] for r in ws.store.fetchall("SELECT external_id FROM orders")}
    ws.close()
    assert {f"K{int(i.split('-')[1])}" for i in acked} <= orders
