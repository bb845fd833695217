"""The events service under stress: starving waits, transient storage errors, huge bodies,
cancelled requests, replays of pending events, a failing warm-up (DuckDB)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from salesmetrics.domain.errors import StorageError
from salesmetrics.services.events import EventsService
from salesmetrics.services.events import service as events_service
from salesmetrics.services.events.model import as_list
from salesmetrics.services.workspace import Workspace, init_workspace, open_workspace
from signed_in import owner_client

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def ev(eid: str, type_: str, minutes: int, **data: Any) -> dict[str, Any]:
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    return {"id": eid, "type": type_, "occurred_at": at, "data": data}


def typed(events: list[dict[str, Any]]) -> list[Any]:
    from pydantic import TypeAdapter

    from salesmetrics.services.events.model import EventsBody

    return as_list(TypeAdapter(EventsBody).validate_python(events))


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    url = str(tmp_path / "robust.duckdb")
    init_workspace(url, {"name": "Robust"})
    workspace = open_workspace(url)
    try:
        yield workspace
    finally:
        workspace.store.close()


def wait_for(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_failing_warm_up_does_not_kill_the_applier(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("no warm-up today")

    monkeypatch.setattr(events_service, "warm_up", broken)
    service = EventsService(ws).start()
    try:
        service.receive(typed([ev("w1", "deal.created", 0, external_id="D1", amount_minor=1)]))
        wait_for(lambda: service.get("w1").status == "applied")
    finally:
        service.stop()


def test_replaying_a_pending_event_is_a_conflict(ws: Workspace) -> None:

    with owner_client(ws.store.url) as client:
        client.app.state.events.stop()  # type: ignore[attr-defined]
        idle = EventsService(client.app.state.workspace)  # type: ignore[attr-defined]
        client.app.state.events = idle  # type: ignore[attr-defined]
        r = client.post(
            "/api/v1/events", json=ev("p1", "deal.created", 0, external_id="D1", amount_minor=1)
        )
        assert r.status_code == 202, r.text
        assert idle.get("p1").status == "pending"
        r = client.post("/api/v1/events/p1/replay")
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "pending: it will be applied shortly" in r.json()["detail"]


def test_a_cancelled_submission_does_not_kill_the_inbox(ws: Workspace) -> None:
    from concurrent.futures import Future

    service = EventsService(ws).start()
    try:
        gone = events_service._Submission(typed([ev("c0", "deal.created", 0, external_id="D0",
                                                    amount_minor=1)]), Future())  # fmt: skip
        gone.done.cancel()  # its request was cancelled before the inbox took it
        service._queue.put(gone)
        live = events_service._Submission(typed([ev("c1", "deal.created", 1, external_id="D1",
                                                    amount_minor=1)]), Future())  # fmt: skip
        service._queue.put(live)
        receipts = live.done.result(timeout=10)
        assert [(r.id, r.status) for r in receipts] == [("c1", "accepted")]
        assert [r.status for r in service.receive(typed([ev("c2", "deal.won", 2, deal_id="D1")]))
                ] == ["accepted"]  # fmt: skip
        with pytest.raises(Exception, match="no event 'c0'"):
            service.get("c0")  # never acknowledged, never stored
    finally:
        service.stop()


class FlakyStore:
    """The workspace's store, with its first `failures` writes failing as a lost connection
    would: this checks the service's error handling, not the storage."""

    def __init__(self, store: Any, failures: int) -> None:
        self._store = store
        self.failures = failures

    def write(self, work: Any, *, changes_data: bool = True) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise StorageError("the database connection was lost")
        return self._store.write(work, changes_data=changes_data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_transient_storage_error_leaves_events_pending_not_failed(ws: Workspace) -> None:
    service = EventsService(ws)
    service.receive(typed([ev(f"t{i}", "deal.created", i, external_id=f"D{i}", amount_minor=1)
                           for i in range(3)]))  # fmt: skip
    real = ws.store
    ws.store = FlakyStore(real, failures=2)  # type: ignore[assignment]
    try:
        with pytest.raises(StorageError):
            service.drain()  # the batch, then the first event alone, fail
        assert service.counts()["failed"] == 0
        assert service.counts()["pending"] == 3
        drained = service.drain()  # the database is back
    finally:
        ws.store = real
    assert drained.applied == 3
    assert service.counts() == {"pending": 0, "applied": 3, "waiting": 0, "failed": 0}


def test_a_transient_storage_error_is_retried_by_the_running_applier(ws: Workspace) -> None:
    real = ws.store
    ws.store = FlakyStore(real, failures=3)  # type: ignore[assignment]
    service = EventsService(ws).start()  # the inbox commits on its own connection
    try:
        service.receive(typed([ev("r1", "deal.created", 0, external_id="D1", amount_minor=1)]))
        wait_for(lambda: service.get("r1").status != "pending")
        assert service.get("r1").status == "applied"
    finally:
        service.stop()
        ws.store = real


def test_every_waiting_event_is_retried_and_idle_drains_rewrite_nothing(ws: Workspace) -> None:
    service = EventsService(ws, batch_size=20)
    orphans = [ev(f"o{i}", "order.changed", i, external_id=f"NEVER-{i}", status="paid")
               for i in range(600)]  # fmt: skip
    service.receive(typed(orphans))
    service.receive(typed([ev("s1", "deal.stage_changed", 700, deal_id="D1", to_stage_id="Won")]))
    first = service.drain()
    assert first.waiting == 601 and first.applied == 0
    assert service.get("s1").status == "waiting"

    def attempts() -> dict[str, int]:
        rows = service.page("waiting", 500, 0)[0] + service.page("waiting", 500, 500)[0]
        return {r.event_id: r.attempts for r in rows if r.event_id != "s1"}

    before = attempts()
    for _ in range(3):  # idle ticks: nothing applied, nothing rewritten
        assert service.drain().batches == 0
    assert attempts() == before

    service.receive(typed([ev("d1", "deal.created", 800, external_id="D1", amount_minor=100)]))
    service.drain()  # the deal arrives: the stage change far behind the first page goes now
    assert service.get("s1").status == "applied"
    assert service.get("o0").status == "waiting"
    assert service.counts()["waiting"] == 600
    assert attempts() == before  # still waiting for the same order: left as they were


@pytest.fixture
def small_limit_client(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:

    monkeypatch.setenv("SALESMETRICS_EVENTS_MAX_BYTES", "2000")
    with owner_client(ws.store.url) as client:
        yield client


def many(n: int) -> list[dict[str, Any]]:
    return [ev(f"b{i}", "deal.created", i, external_id=f"D{i}", amount_minor=1) for i in range(n)]


def test_a_body_over_the_limit_by_content_length_is_413(small_limit_client: Any) -> None:
    small = small_limit_client.post("/api/v1/events", json=many(2))
    assert small.status_code == 202, small.text
    r = small_limit_client.post("/api/v1/events", json=many(40))
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "send at most 2,000 bytes" in r.json()["detail"]
    assert small_limit_client.get("/api/v1/events").json()["count"] == 2  # nothing stored


def test_a_streamed_body_over_the_limit_is_413(small_limit_client: Any) -> None:

    body = json.dumps(many(40)).encode()
    chunks = [body[i : i + 500] for i in range(0, len(body), 500)]
    r = small_limit_client.post(
        "/api/v1/events", content=iter(chunks), headers={"content-type": "application/json"}
    )
    assert "content-length" not in r.request.headers
    assert r.status_code == 413, r.text
    fits = json.dumps(many(2)).encode()
    r = small_limit_client.post(
        "/api/v1/events", content=iter([fits[:100], fits[100:]]),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert r.status_code == 202, r.text


def test_the_bare_array_form_documents_and_enforces_its_maximum(ws: Workspace) -> None:

    with owner_client(ws.store.url) as client:
        spec = client.get("/openapi.json").json()
        body = spec["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]
        forms = body["application/json"]["schema"]["anyOf"]
        (array,) = [f for f in forms if f.get("type") == "array"]
        assert array["maxItems"] == 1000
        r = client.post("/api/v1/events", json=many(1001))
        assert r.status_code == 422, r.text
        assert client.get("/api/v1/events").json()["count"] == 0


def test_a_paced_drain_goes_on_while_batches_are_full(ws: Workspace) -> None:
    service = EventsService(ws, batch_size=3)
    deals = [ev(f"p{i}", "deal.created", i, external_id=f"P{i}", amount_minor=1) for i in range(7)]
    service.receive(typed(deals))
    drained = service.drain(paced=True)  # 3 and 3 are full: on; 1 is not: the drain ends
    assert (drained.batches, drained.applied) == (3, 7)
    service.receive(typed([ev("q0", "deal.created", 9, external_id="Q0", amount_minor=1)]))
    assert service.drain(paced=True).batches == 1
    assert service.counts()["pending"] == 0


def test_the_log_is_checkpointed_once_events_pause(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[object] = []
    monkeypatch.setattr(events_service, "IDLE_CHECKPOINT", 0.0)
    monkeypatch.setattr(events_service.maintenance, "checkpoint", ran.append)
    service = EventsService(ws).start()
    try:
        service.receive(typed([ev("k0", "deal.created", 0, external_id="K0", amount_minor=1)]))
        wait_for(lambda: service.counts()["applied"] == 1 and ran)
        time.sleep(1.2)  # two more idle ticks of the applier: nothing new was applied
        assert ran == [ws.store]  # once per pause, not on every tick
    finally:
        service.stop()
