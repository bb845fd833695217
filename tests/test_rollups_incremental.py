"""Applying events keeps the rollups fresh by rebuilding only the days they touch: row for row
what a full rebuild gives, on both engines, for a random mix of events old and new."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from salesmetrics.metrics.sources import ROLLUPS
from salesmetrics.services.events import EventsService
from salesmetrics.services.events.model import EventsBody, as_list
from salesmetrics.services.metrics import refresh_rollups
from salesmetrics.services.workspace import Workspace, open_workspace
from salesmetrics.storage.repositories import rollups as rollups_repo

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BODY: TypeAdapter[Any] = TypeAdapter(EventsBody)


def parse(events: list[dict[str, Any]]) -> list[Any]:
    return as_list(BODY.validate_python(events))


@pytest.fixture
def ws(demo_url: str) -> Iterator[Workspace]:
    workspace = open_workspace(demo_url)
    refresh_rollups(workspace)  # fresh before the events
    yield workspace
    workspace.close()


def snapshot(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup's rows (without the surrogate id), sorted."""
    out = {}
    for r in ROLLUPS:
        rows = ws.store.fetchall(f"SELECT * FROM {r.table}")
        names = [
            c for (c,) in ws.store.fetchall(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND table_schema = current_schema() ORDER BY ordinal_position", (r.table,),
            )
        ]  # fmt: skip
        keep = [i for i, n in enumerate(names) if n != "id"]
        out[r.table] = sorted((tuple(row[i] for i in keep) for row in rows), key=repr)
    return out


def refs(ws: Workspace) -> dict[str, list[str]]:
    def ids(sql: str) -> list[str]:
        return [str(r[0]) for r in ws.store.fetchall(sql)]

    return {
        "orders": ids("SELECT external_id FROM orders WHERE source = 'demo' ORDER BY id"),
        "deals": ids("SELECT external_id FROM deals WHERE source = 'demo' ORDER BY id"),
        "open_deals": ids("SELECT external_id FROM deals WHERE source = 'demo' "
                          "AND status = 'open' ORDER BY id"),
        "leads": ids("SELECT external_id FROM leads WHERE source = 'demo' ORDER BY id"),
        "customers": ids("SELECT external_id FROM customers WHERE external_id IS NOT NULL "
                         "ORDER BY id"),
        "reps": ids("SELECT external_id FROM reps WHERE external_id IS NOT NULL ORDER BY id"),
        "products": ids("SELECT external_id FROM products WHERE external_id IS NOT NULL "
                        "ORDER BY id"),
        "stages": ids("SELECT coalesce(external_id, name) FROM stages WHERE kind = 'open' "
                      "ORDER BY id"),
    }  # fmt: skip


def random_events(rng: random.Random, r: dict[str, list[str]], n: int) -> list[dict[str, Any]]:
    """A mix of new and old records: orders placed and changed (status, lines, their time),
    deals created, moved, won and lost, leads created and converted, feedback, new customers
    named by a link, at instants spread over two years (some right around midnight)."""
    out: list[dict[str, Any]] = []
    new_orders: list[str] = []
    new_deals: list[str] = []
    new_leads: list[str] = []

    def at() -> str:
        roll = rng.random()
        if roll < 0.3:
            when = NOW - timedelta(minutes=rng.randrange(0, 600))
        else:
            when = NOW - timedelta(days=rng.randrange(0, 730), minutes=rng.randrange(1440))
        if rng.random() < 0.3:  # near a midnight, in UTC or in Kyiv
            when = when.replace(hour=rng.choice([0, 21, 22, 23]), minute=rng.choice([0, 59]))
        return when.isoformat()

    def lines() -> list[dict[str, Any]]:
        return [{"product_id": rng.choice(r["products"]), "quantity": rng.randint(1, 4),
                 "unit_price_minor": rng.randrange(1_000, 90_000)}
                for _ in range(rng.randint(1, 3))]  # fmt: skip

    for k in range(n):
        roll = rng.random()
        source = "demo"
        if roll < 0.16:
            key = f"T-O{k}"
            new_orders.append(key)
            kind, data = "order.placed", {
                "external_id": key, "customer_id": rng.choice(r["customers"] + ["New Buyer"]),
                "rep_id": rng.choice(r["reps"]), "lines": lines(), "ordered_at": at(),
            }  # fmt: skip
        elif roll < 0.32:
            key = rng.choice(r["orders"] + new_orders)
            data = {"external_id": key}
            for name, value in (("status", rng.choice(["paid", "refunded", "cancelled"])),
                                ("lines", lines()), ("ordered_at", at()),
                                ("shipping_minor", rng.randrange(0, 5_000)),
                                ("rep_id", rng.choice(r["reps"]))):  # fmt: skip
                if rng.random() < 0.5:
                    data[name] = value
            kind = "order.changed"
        elif roll < 0.44:
            key = f"T-D{k}"
            new_deals.append(key)
            kind, data = "deal.created", {
                "external_id": key, "amount_minor": rng.randrange(10_000, 900_000),
                "customer_id": rng.choice(r["customers"]), "owner_rep_id": rng.choice(r["reps"]),
                "created_at": at(),
            }  # fmt: skip
        elif roll < 0.56:
            kind, data = "deal.stage_changed", {
                "deal_id": rng.choice(r["open_deals"] + new_deals),
                "to_stage_id": rng.choice(r["stages"]), "changed_at": at(),
            }  # fmt: skip
        elif roll < 0.68:
            kind = rng.choice(["deal.won", "deal.lost"])
            data = {"deal_id": rng.choice(r["deals"] + new_deals), "closed_at": at()}
        elif roll < 0.78:
            key = f"T-L{k}"
            new_leads.append(key)
            kind, data = "lead.created", {"external_id": key, "created_at": at(),
                                          "owner_rep_id": rng.choice(r["reps"])}  # fmt: skip
        elif roll < 0.86:
            kind, data = "lead.converted", {
                "lead_id": rng.choice(r["leads"] + new_leads), "decided_at": at(),
                "customer_id": f"convert{k}@example.com",
            }  # fmt: skip
        else:
            source = "events"
            kind, data = "feedback.received", {
                "score": rng.choice([None, 3, 5, 7, 9, 10]), "received_at": at(),
                "customer_id": rng.choice(r["customers"] + [f"Fresh Customer {k}"]),
            }  # fmt: skip
        out.append({"id": f"inc-{k}", "type": kind, "source": source, "occurred_at": at(),
                    "data": data})  # fmt: skip
    return out


def test_applied_events_keep_rollups_equal_to_a_full_rebuild(ws: Workspace) -> None:
    rng = random.Random(5)
    events = random_events(rng, refs(ws), 400)
    service = EventsService(ws, batch_size=23)  # many batches, each its own transaction
    before = snapshot(ws)
    service.receive(parse(events))
    drained = service.drain()
    assert drained.applied > 300, drained

    version, built = rollups_repo.state(ws.store)
    assert {r.table: built[r.table] for r in ROLLUPS} == {r.table: version for r in ROLLUPS}
    assert not service._dirty  # nothing left for a full rebuild
    kept = snapshot(ws)
    assert kept != before  # the events did move the rollups
    refresh_rollups(ws)
    rebuilt = snapshot(ws)
    for table in rebuilt:
        assert kept[table] == rebuilt[table], table


def test_a_stale_rollup_is_left_for_the_full_rebuild(ws: Workspace) -> None:
    """A rollup already stale (data written since, e.g. an import) is not patched: patching
    would mark it fresh with the other change missing."""
    ws.store.write(lambda tx: None)  # a data change that rebuilt nothing
    service = EventsService(ws)
    body = [{"id": "stale-1", "type": "lead.created", "occurred_at": NOW.isoformat(),
             "data": {"external_id": "T-STALE"}}]  # fmt: skip
    service.receive(parse(body))
    assert service.drain().applied == 1
    version, built = rollups_repo.state(ws.store)
    assert all(built[r.table] != version for r in ROLLUPS)
    assert service._dirty
    refresh_rollups(ws)
    assert all(
        v == rollups_repo.state(ws.store)[0] for v in rollups_repo.state(ws.store)[1].values()
    )
