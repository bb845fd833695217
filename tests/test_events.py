"""The events API on both engines: receive, apply, wait, fail, replay; idempotent in any order."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from salesmetrics.cli.main import app as cli
from salesmetrics.domain.access import LOCAL
from salesmetrics.services.events import EventsService
from salesmetrics.services.events.model import as_list
from salesmetrics.services.feedback_links import unmatched
from salesmetrics.services.workspace import init_workspace, open_workspace
from salesmetrics.storage import catalog
from salesmetrics.storage.open import open_store
from salesmetrics.storage.protocol import Store
from salesmetrics.storage.repositories import bulk
from signed_in import owner_client

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def ev(eid: str, type_: str, minutes: int, **data: Any) -> dict[str, Any]:
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    return {"id": eid, "type": type_, "occurred_at": at, "data": data}


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    init_workspace(store_url, {"name": "Events"})
    with owner_client(store_url) as c:
        yield c


def settle(client: TestClient, timeout: float = 20.0) -> dict[str, int]:
    """Wait until nothing is pending; the inbox counts by status."""
    deadline = time.monotonic() + timeout
    while True:
        counts = client.app.state.events.counts()  # type: ignore[attr-defined]
        if not counts["pending"] or time.monotonic() > deadline:
            return dict(counts)
        time.sleep(0.05)


def status_of(client: TestClient, eid: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/v1/events/{eid}").json()
    return body


# ------------------------------------------------------------------------------------------


def test_one_batch_of_every_type_is_applied(client: TestClient) -> None:
    events = [
        ev("l1", "lead.created", 0, external_id="L1", name="Оксана", email="o@example.com"),
        ev("d1", "deal.created", 1, external_id="D1", amount_minor=500_000, owner_rep_id="Olena",
           lead_id="L1", customer_id="o@example.com"),
        ev("o1", "order.placed", 2, external_id="O1", customer_id="o@example.com",
           rep_id="Olena", shipping_minor=5_000,
           lines=[{"product_id": "SKU-1", "quantity": 2, "unit_price_minor": 12_500},
                  {"product_id": "SKU-2", "line_total_minor": 1_000}]),
        ev("o2", "order.changed", 3, external_id="O1", status="оплачено"),
        ev("s1", "deal.stage_changed", 4, deal_id="D1", to_stage_id="Won", from_stage_id="New"),
        ev("c1", "lead.converted", 5, lead_id="L1", customer_id="o@example.com", deal_id="D1"),
        ev("a1", "activity.logged", 6, kind="дзвінок", rep_id="Olena", deal_id="D1"),
        ev("f1", "feedback.received", 7, score=9, order_id="O1", comment="Дякую"),
        ev("x1", "deal.created", 8, external_id="D2", amount_minor=10, currency="USD"),
        ev("x2", "deal.lost", 9, deal_id="D2", lost_reason="price"),
    ]  # fmt: skip
    reply = client.post("/api/v1/events", json={"events": events})
    assert reply.status_code == 202
    assert reply.json()["accepted"] == len(events)
    counts = settle(client)
    assert counts["applied"] == len(events), client.get("/api/v1/events").json()
    store = client.app.state.workspace.store  # type: ignore[attr-defined]
    order = store.fetchall("SELECT total_minor, status, currency FROM orders")
    assert order == [(2 * 12_500 + 1_000 + 5_000, "paid", "UAH")]
    deal = store.fetchall(
        "SELECT d.status, s.name, d.closed_at IS NOT NULL FROM deals d "
        "JOIN stages s ON s.id = d.stage_id ORDER BY d.external_id"
    )
    assert deal == [("won", "Won", True), ("lost", "Lost", True)]
    lead = store.fetchall("SELECT status, converted_deal_id IS NOT NULL FROM leads")
    assert lead == [("converted", True)]
    assert store.fetchall("SELECT kind FROM activities") == [("call",)]
    assert store.fetchall("SELECT kind, order_id IS NOT NULL FROM feedback") == [("nps", True)]
    moves = store.fetchall("SELECT count(*) FROM deal_stage_changes")
    assert moves == [(4,)]  # two creations, the move to Won, the loss


def test_single_array_and_envelope_bodies_and_duplicates(client: TestClient) -> None:
    one = ev("e1", "order.placed", 0, external_id="O1", lines=[{"unit_price_minor": 100}])
    assert client.post("/api/v1/events", json=one).status_code == 202
    again = client.post(
        "/api/v1/events",
        json=[one, ev("e2", "order.changed", 1, external_id="O1", status="cancelled")],
    )
    assert [r["status"] for r in again.json()["data"]] == ["duplicate", "accepted"]
    assert client.post("/api/v1/events", json={"events": [one]}).json()["duplicate"] == 1
    settle(client)
    store = client.app.state.workspace.store  # type: ignore[attr-defined]
    assert store.fetchall("SELECT status, total_minor FROM orders") == [("cancelled", 100)]


def test_a_bad_envelope_is_refused_whole(client: TestClient) -> None:
    bad = {"id": "x", "type": "order.shipped", "occurred_at": T0.isoformat(), "data": {}}
    assert client.post("/api/v1/events", json=bad).status_code == 422
    naive = ev("y", "order.placed", 0, external_id="O1")
    naive["occurred_at"] = "2026-11-02T09:00:00"  # no zone
    assert client.post("/api/v1/events", json=naive).status_code == 422
    assert client.get("/api/v1/events").json()["count"] == 0


def test_waiting_then_applied_when_the_record_arrives(client: TestClient) -> None:
    client.post("/api/v1/events", json=ev("s1", "deal.stage_changed", 5, deal_id="D9",
                                          to_stage_id="Won"))  # fmt: skip
    settle(client)
    waiting = status_of(client, "s1")
    assert waiting["status"] == "waiting" and waiting["waiting_for"] == "deal 'D9'"
    listed = client.get("/api/v1/events", params={"status": "waiting"}).json()
    assert [e["id"] for e in listed["data"]] == ["s1"]
    client.post("/api/v1/events", json=ev("c1", "deal.created", 1, external_id="D9",
                                          amount_minor=100))  # fmt: skip
    deadline = time.monotonic() + 10
    while status_of(client, "s1")["status"] != "applied" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status_of(client, "s1")["status"] == "applied"
    store = client.app.state.workspace.store  # type: ignore[attr-defined]
    assert store.fetchall("SELECT status FROM deals") == [("won",)]


def test_failed_event_keeps_its_reason_and_replays_after_a_fix(
    client: TestClient, store_url: str
) -> None:
    client.post("/api/v1/events", json=[
        ev("d1", "deal.created", 0, external_id="D1", amount_minor=100),
        ev("s1", "deal.stage_changed", 1, deal_id="D1", to_stage_id="Proposal"),
    ])  # fmt: skip
    settle(client)
    failed = status_of(client, "s1")
    assert failed["status"] == "failed"
    assert "unknown stage 'Proposal'" in failed["error"]
    listed = client.get("/api/v1/events", params={"status": "failed"}).json()
    assert listed["count"] == 1 and listed["data"][0]["error"] == failed["error"]
    store = client.app.state.workspace.store  # type: ignore[attr-defined]
    pipeline = store.fetchall("SELECT id FROM pipelines")[0][0]
    stage = pa.table({"pipeline_id": [pipeline], "name": ["Proposal"], "position": [5],
                      "kind": ["open"], "probability": [0.5]})  # fmt: skip
    store.write(lambda tx: bulk.load(tx, "stages", stage))
    replayed = client.post("/api/v1/events/s1/replay").json()
    assert replayed["status"] == "applied" and replayed["attempts"] == 2
    got = store.fetchall("SELECT s.name FROM deals d JOIN stages s ON s.id = d.stage_id")
    assert got == [("Proposal",)]
    again = client.post("/api/v1/events/s1/replay")
    assert again.status_code == 422 and "already applied" in again.json()["detail"]
    assert client.get("/api/v1/events/nope").status_code == 404


# ------------------------------------------------------------------------------------------
# Feedback links as an import links them: an unknown record is never created, its text is kept.


def test_a_response_naming_unknown_records_is_kept_unlinked(client: TestClient) -> None:
    known = ev("o1", "order.placed", 0, external_id="O1", customer_id="known@example.com",
               lines=[{"product_id": "SKU-1", "unit_price_minor": 100}])  # fmt: skip
    response = ev("f1", "feedback.received", 1, score=2, customer_id=" Stranger @Example.com",
                  rep_id="Nobody", product_id="SKU-404", comment="Де моє замовлення?")  # fmt: skip
    client.post("/api/v1/events", json=[known, response])
    assert settle(client)["applied"] == 2
    store = client.app.state.workspace.store  # type: ignore[attr-defined]
    tables = ("customers", "reps", "products")
    counts = {t: store.fetchall(f"SELECT count(*) FROM {t}")[0][0] for t in tables}
    assert counts == {"customers": 1, "reps": 0, "products": 1}  # the order's only
    ((customer, rep, product, text),) = store.fetchall(
        "SELECT customer_id, rep_id, product_id, attributes FROM feedback"
    )
    assert (customer, rep, product) == (None, None, None)
    named = {"customer_id": "stranger@example.com", "product_id": "SKU-404", "rep_id": "Nobody"}
    assert json.loads(text) == {"_unmatched": named}
    listed = unmatched(client.app.state.workspace, LOCAL)  # type: ignore[attr-defined]
    assert listed.count == 1
    assert [(r.external_id, r.comment, r.named) for r in listed.data] == [
        ("f1", "Де моє замовлення?", named)
    ]
    before = snapshot(store)
    again = client.post("/api/v1/events", json=response).json()
    assert again["duplicate"] == 1
    assert client.post("/api/v1/events/f1/replay").status_code == 422  # applied already
    settle(client)
    assert snapshot(store) == before


def test_a_response_inherits_its_customers_owner_and_links_when_the_customer_is_named(
    client: TestClient,
) -> None:
    store = client.app.state.workspace.store  # type: ignore[attr-defined]
    store.write(lambda tx: bulk.load(tx, "reps", pa.table({"name": ["Olena"]})))
    ((olena,),) = store.fetchall("SELECT id FROM reps")
    owned = pa.table({"external_id": ["C-1"], "email": ["ivan@example.com"],
                      "owner_rep_id": [olena]})  # fmt: skip
    store.write(lambda tx: bulk.load(tx, "customers", owned))
    ((ivan,),) = store.fetchall("SELECT id FROM customers")
    client.post("/api/v1/events", json=[
        ev("f1", "feedback.received", 0, score=9, customer_id="IVAN@example.com", comment="ok"),
        ev("f2", "feedback.received", 1, external_id="F2", score=3, customer_id="who@x.ua"),
    ])  # fmt: skip
    settle(client)
    got = store.fetchall("SELECT external_id, customer_id, rep_id FROM feedback ORDER BY 1")
    assert got == [("F2", None, None), ("f1", ivan, olena)]
    # F2 later names the known customer: linked, its rep inherited, the unknown text dropped
    client.post("/api/v1/events", json=ev("f3", "feedback.received", 2, external_id="F2",
                                          customer_id="C-1"))  # fmt: skip
    settle(client)
    got = store.fetchall("SELECT customer_id, rep_id, attributes FROM feedback "
                         "WHERE external_id = 'F2'")  # fmt: skip
    assert got == [(ivan, olena, None)]
    assert unmatched(client.app.state.workspace, LOCAL).count == 0  # type: ignore[attr-defined]


def test_cli_lists_and_replays(tmp_path: Path) -> None:
    url = str(tmp_path / "ws.duckdb")
    init_workspace(url, {})
    ws = open_workspace(url)
    service = EventsService(ws)
    bad = ev("s1", "deal.stage_changed", 1, deal_id="D1", to_stage_id="Proposal")
    service.receive(as_list(_typed([ev("d1", "deal.created", 0, external_id="D1",
                                       amount_minor=100), bad])))  # fmt: skip
    service.drain()
    ws.close()
    runner = CliRunner()
    listed = runner.invoke(cli, ["events", "list", "--db", url, "--status", "failed",
                                 "--format", "json"])  # fmt: skip
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.output)
    assert body["count"] == 1 and "Proposal" in body["data"][0]["error"]
    table = runner.invoke(cli, ["events", "list", "--db", url])
    assert "s1" in table.output and "failed" in table.output
    store = open_store(url)
    stage = pa.table({"pipeline_id": [1], "name": ["Proposal"], "position": [5],
                      "kind": ["open"], "probability": [0.5]})  # fmt: skip
    store.write(lambda tx: bulk.load(tx, "stages", stage))
    store.close()
    replay = runner.invoke(cli, ["events", "replay", "--failed", "--db", url])
    assert replay.exit_code == 0, replay.output
    assert "1 replayed, 1 applied" in replay.output


def _typed(events: list[dict[str, Any]]) -> Any:
    from pydantic import TypeAdapter

    from salesmetrics.services.events.model import EventsBody

    return TypeAdapter(EventsBody).validate_python(events)


def test_openapi_documents_every_event_type(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/events" in spec["paths"]
    assert "/api/v1/events/{event_id}/replay" in spec["paths"]
    schemas = spec["components"]["schemas"]
    for name in ("OrderPlaced", "DealStageChanged", "FeedbackReceived", "LeadConverted"):
        assert schemas[name].get("examples"), name


# ------------------------------------------------------------------------------------------
# The same set of events, each sent 1-5 times, shuffled, concurrently == each once, in order.


def mixed_events(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    minute = 0

    def add(type_: str, **data: Any) -> None:
        nonlocal minute
        minute += rng.choice([0, 1, 2])  # equal times too: the event id breaks the tie
        out.append(ev(f"ev-{len(out):03d}", type_, minute, **data))

    for i in range(3):
        add("lead.created", external_id=f"L{i}", name=f"Lead {i}", owner_rep_id="Olena")
    for i in range(4):
        add(
            "deal.created",
            external_id=f"D{i}",
            amount_minor=1000 * (i + 1),
            owner_rep_id=rng.choice(["Olena", "Taras"]),
            customer_id=f"c{i}@example.com",
        )
    for i in range(4):
        add(
            "order.placed",
            external_id=f"O{i}",
            customer_id=f"c{i}@example.com",
            rep_id="Taras",
            lines=[
                {"product_id": f"SKU-{j}", "quantity": j + 1, "unit_price_minor": 100 * (i + 1)}
                for j in range(1 + i % 3)
            ],
        )
    for _ in range(6):
        add(
            "deal.stage_changed",
            deal_id=f"D{rng.randrange(4)}",
            to_stage_id=rng.choice(["New", "Won", "Lost"]),
        )
    add("deal.won", deal_id="D1", amount_minor=999)
    add("deal.lost", deal_id="D2", lost_reason="price")
    add("order.changed", external_id="O1", status="refunded")
    add(
        "order.changed",
        external_id="O2",
        shipping_minor=700,
        lines=[{"product_id": "SKU-9", "unit_price_minor": 50}],
    )
    add("order.changed", external_id="O2", status="cancelled")
    add("lead.converted", lead_id="L0", deal_id="D0", customer_id="c0@example.com")
    for i in range(3):
        add("activity.logged", external_id=f"A{i}", kind="call", rep_id="Olena", deal_id=f"D{i}")
    add("activity.logged", external_id="A0", kind="meeting", outcome="moved")
    add("feedback.received", score=4, order_id="O3", comment="ok")
    add("feedback.received", external_id="F1", score=10, deal_id="D3")
    # unlinked (a customer no event names), then linked to a deal: its customer and owner
    add("feedback.received", external_id="F2", score=3, customer_id="nobody@example.com")
    add("feedback.received", external_id="F2", deal_id="D1")
    return out  # fmt: skip


TABLES = ("customers", "reps", "channels", "products", "pipelines", "stages", "leads", "deals",
          "deal_stage_changes", "orders", "order_lines", "activities", "feedback")  # fmt: skip


def snapshot(store: Store) -> dict[str, list[str]]:
    """Every row of the business tables with ids replaced by natural keys, sorted."""
    data = {t: store.fetch_arrow(f'SELECT * FROM "{t}"').to_pylist() for t in TABLES}
    versions = store.fetch_arrow("SELECT * FROM event_versions").to_pylist()

    def natural(table: str, row: dict[str, Any]) -> str:
        if table == "order_lines":
            return f"{keys['orders'][row['order_id']]}#{row['line_no']}"
        if table == "deal_stage_changes":
            return str(row["event_id"])
        for name in ("external_id", "email", "sku", "name"):
            if row.get(name) is not None:
                return f"{row.get('source')}:{row[name]}"
        raise AssertionError(f"{table} row without a natural key: {row}")

    keys: dict[str, dict[int, str]] = {"orders": {}}
    keys["orders"] = {r["id"]: natural("orders", r) for r in data["orders"]}
    for table in TABLES:
        keys[table] = {r["id"]: natural(table, r) for r in data[table]}
    out: dict[str, list[str]] = {}
    for table in TABLES:
        refs = {c.name: c.references for c in catalog.table(table).columns if c.references}
        rows = []
        for r in data[table]:
            r = {k: (keys[refs[k]].get(v) if k in refs and v is not None else v)
                 for k, v in r.items() if k != "id"}  # fmt: skip
            rows.append(json.dumps(r, sort_keys=True, default=str))
        out[table] = sorted(rows)
    out["event_versions"] = sorted(  # keys sorted: PostgreSQL's jsonb keeps its own order
        f"{v['table_name']}:{keys[v['table_name']][v['row_id']]}:"
        + json.dumps(
            json.loads(v["versions"]) if isinstance(v["versions"], str) else v["versions"],
            sort_keys=True,
        )
        for v in versions
    )
    return out


@pytest.fixture
def second_url(store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Another empty workspace on the same engine."""
    if not store_url.startswith("postgresql"):
        yield str(tmp_path / "other.duckdb")
        return
    admin: str = request.getfixturevalue("pg_admin_url")
    name = f"sm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin.rpartition("/")[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_repeated_shuffled_concurrent_equals_once_in_order(
    client: TestClient, second_url: str
) -> None:
    events = mixed_events(seed=11)
    # Reference: each event once, in order, applied before the next is received.
    init_workspace(second_url, {"name": "Events"})
    ws = open_workspace(second_url)
    service = EventsService(ws)
    for e in events:
        service.receive(as_list(_typed(e)))
        service.drain()
    expected = snapshot(ws.store)
    assert service.counts()["applied"] == len(events), service.page(None, 100, 0)
    ws.close()
    # The same set, each sent 1-5 times, shuffled, from four threads in small requests.
    rng = random.Random(3)
    sends = [e for e in events for _ in range(rng.randint(1, 5))]
    rng.shuffle(sends)
    chunks: list[list[dict[str, Any]]] = []
    while len(sends) > sum(map(len, chunks)):
        at = sum(map(len, chunks))
        chunks.append(sends[at : at + rng.randint(1, 4)])
    problems: list[str] = []

    def post(part: list[list[dict[str, Any]]]) -> None:
        for chunk in part:
            reply = client.post("/api/v1/events", json=chunk)
            if reply.status_code != 202:
                problems.append(reply.text)

    threads = [threading.Thread(target=post, args=(chunks[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not problems
    counts = settle(client)
    deadline = time.monotonic() + 20
    while counts["applied"] < len(events) and time.monotonic() < deadline:
        time.sleep(0.1)
        counts = settle(client)
    inbox = client.get("/api/v1/events", params={"limit": 100}).json()["data"]
    assert counts == {"pending": 0, "applied": len(events), "waiting": 0, "failed": 0}, [
        (e["id"], e["status"], e["error"], e["waiting_for"])
        for e in inbox
        if e["status"] != "applied"
    ]
    got = snapshot(client.app.state.workspace.store)  # type: ignore[attr-defined]
    for table in expected:
        assert got[table] == expected[table], table


def test_two_processes_on_one_postgres_apply_each_event_once(
    store_url: str, second_url: str
) -> None:
    """Two servers (or `events replay` beside a server) on one PostgreSQL database drain the
    same inbox at once, in small batches: every event is applied exactly once, and the data is
    what one applier gives. (A DuckDB file is open in one process only.)"""
    if not store_url.startswith("postgresql"):
        pytest.skip("one process per DuckDB file: two appliers cannot meet there")
    pg_url = store_url
    events = mixed_events(seed=5)
    init_workspace(second_url, {"name": "Events"})
    ref = open_workspace(second_url)
    try:
        one = EventsService(ref)
        for e in events:
            one.receive(as_list(_typed(e)))
            one.drain()
        expected = snapshot(ref.store)
    finally:
        ref.close()
    init_workspace(pg_url, {"name": "Events"})
    spaces = [open_workspace(pg_url) for _ in range(2)]
    try:
        services = [EventsService(ws, batch_size=3) for ws in spaces]
        services[0].receive([e for raw in events for e in as_list(_typed(raw))])
        errors: list[BaseException] = []

        def drain(service: EventsService) -> None:
            try:
                for _ in range(20):
                    service.drain()
            except BaseException as exc:  # reported below, with the thread's own error
                errors.append(exc)

        threads = [threading.Thread(target=drain, args=(s,)) for s in services]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert services[0].counts() == {
            "pending": 0, "applied": len(events), "waiting": 0, "failed": 0
        }  # fmt: skip
        got = snapshot(spaces[0].store)
        for table in expected:
            assert got[table] == expected[table], table
    finally:
        for ws in spaces:
            ws.close()
