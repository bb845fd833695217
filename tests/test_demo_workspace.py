"""The demo through the service layer, on both engines: same data, atomic, truths visible."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from salesmetrics.domain.enums import DemoSize
from salesmetrics.domain.errors import InputError
from salesmetrics.services.demo import DemoResult, create_demo, create_demo_workspace, truth_path
from salesmetrics.services.workspace import Workspace, describe, open_workspace
from salesmetrics.storage.repositories.integrity import orphan_references

AS_OF = date(2026, 11, 26)
TRUTH_KEYS = {
    "seed",
    "conversion_drivers",
    "bottleneck_stage",
    "best_cac_channel",
    "behaviour_groups",
    "product_problem",
}


@pytest.fixture
def ws(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)  # a PostgreSQL workspace's truth goes to the current folder
    w = open_workspace(store_url, create=True)
    yield w
    w.close()


@pytest.fixture
def demo(ws: Workspace) -> DemoResult:
    return create_demo(ws, DemoSize.SMALL, seed=42, as_of=AS_OF)


def test_demo_fills_every_business_table_consistently(ws: Workspace, demo: DemoResult) -> None:
    info = describe(ws)
    counts = {t.name: t.rows for t in info.tables}
    assert counts == {name: demo.rows_by_table.get(name, 0) for name in counts}
    for table in (
        "teams",
        "reps",
        "channels",
        "marketing_spend",
        "customers",
        "products",
        "orders",
        "order_lines",
        "pipelines",
        "stages",
        "leads",
        "deals",
        "deal_stage_changes",
        "activities",
        "targets",
        "feedback",
        "fx_rates",
    ):
        assert counts[table] > 0, table
    assert 40_000 <= counts["order_lines"] <= 65_000
    assert 6 <= counts["reps"] <= 10 and 2 <= counts["teams"] <= 3
    assert 5 <= counts["channels"] <= 6
    assert orphan_references(ws.store) == {}
    assert info.settings.base_currency == "UAH" and info.settings.time_zone == "Europe/Kyiv"
    first, last = info.date_ranges["orders"]
    assert last.date() <= AS_OF and (AS_OF - first.date()).days >= 700


def test_order_totals_are_exact_sums_of_lines(ws: Workspace, demo: DemoResult) -> None:
    rows = ws.store.fetchall(
        "SELECT count(*) FROM orders o JOIN (SELECT order_id, sum(line_total_minor) AS s "
        "FROM order_lines GROUP BY order_id) l ON l.order_id = o.id "
        "WHERE o.total_minor <> l.s + o.shipping_minor"
    )
    assert rows == [(0,)]


def test_same_seed_same_data_other_seed_other_data(
    ws: Workspace, demo: DemoResult, tmp_path: Path
) -> None:
    twin = open_workspace(str(tmp_path / "twin.duckdb"), create=True)
    other = open_workspace(str(tmp_path / "other.duckdb"), create=True)
    try:
        assert create_demo(twin, DemoSize.SMALL, seed=42, as_of=AS_OF).checksum == demo.checksum
        assert create_demo(other, DemoSize.SMALL, seed=7, as_of=AS_OF).checksum != demo.checksum
        assert describe(twin).as_dict()["tables"] == describe(ws).as_dict()["tables"]
    finally:
        twin.close()
        other.close()


def test_truth_file_is_written_beside_the_workspace(ws: Workspace, demo: DemoResult) -> None:
    path = truth_path(ws.store.url)
    assert path == demo.truth_path and path.exists()
    truth = json.loads(path.read_text(encoding="utf-8"))
    assert set(truth) >= TRUTH_KEYS
    assert truth["behaviour_groups"] == {"loyal": 0.15, "one_off": 0.55, "churned": 0.2, "new": 0.1}
    documented = Path(__file__).resolve().parents[1].joinpath("docs", "demo.md")
    documented = documented.read_text(encoding="utf-8")
    for key in truth:
        assert f"`{key}`" in documented, f"docs/demo.md does not explain {key}"


def test_best_cac_channel_is_visible_in_sql(ws: Workspace, demo: DemoResult) -> None:
    rows = ws.store.fetchall(
        "SELECT c.name, s.spend, n.customers FROM channels c "
        "JOIN (SELECT channel_id, sum(amount_minor) AS spend FROM marketing_spend "
        "      GROUP BY channel_id) s ON s.channel_id = c.id "
        "JOIN (SELECT channel_id, count(*) AS customers FROM customers "
        "      GROUP BY channel_id) n ON n.channel_id = c.id "
        "WHERE s.spend > 0"
    )
    cac = {name: int(spend) / int(customers) for name, spend, customers in rows}
    ranked = sorted(cac, key=cac.__getitem__)
    assert ranked[0] == demo.truth["best_cac_channel"]
    assert cac[ranked[0]] < 0.77 * cac[ranked[1]]  # at least ~30% better than the runner-up


def test_bottleneck_stage_is_visible_in_sql(ws: Workspace, demo: DemoResult) -> None:
    rows = ws.store.fetchall(
        "SELECT s.name, c.deal_id, c.changed_at, s.kind FROM deal_stage_changes c "
        "JOIN stages s ON s.id = c.to_stage_id ORDER BY c.deal_id, c.changed_at"
    )
    days: dict[str, list[float]] = {}
    for (stage, deal, entered, kind), nxt in zip(rows, [*rows[1:], None], strict=True):
        if kind == "open" and nxt is not None and nxt[1] == deal:
            days.setdefault(stage, []).append((nxt[2] - entered).total_seconds() / 86400)
    medians = {s: sorted(v)[len(v) // 2] for s, v in days.items() if len(v) >= 30}
    ranked = sorted(medians, key=medians.__getitem__, reverse=True)
    assert ranked[0] == demo.truth["bottleneck_stage"]
    assert medians[ranked[0]] > 1.5 * medians[ranked[1]]


def test_a_failed_demo_leaves_the_workspace_empty(ws: Workspace) -> None:
    def fail_midway(done: int, total: int, table: str) -> None:
        if done > 10_000:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        create_demo(ws, DemoSize.SMALL, seed=1, as_of=AS_OF, progress=fail_midway)
    assert describe(ws).total_rows == 0


def test_demo_refuses_a_workspace_with_data(ws: Workspace, demo: DemoResult) -> None:
    with pytest.raises(InputError, match="already has data"):
        create_demo(ws, DemoSize.SMALL, seed=42, as_of=AS_OF)


def test_a_failed_demo_file_is_never_left_half_built(tmp_path: Path) -> None:
    target = tmp_path / "shop.duckdb"

    def fail_midway(done: int, total: int, table: str) -> None:
        if done > 10_000:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        create_demo_workspace(str(target), DemoSize.SMALL, 42, AS_OF, fail_midway)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
    result = create_demo_workspace(str(target), DemoSize.SMALL, 42, AS_OF)
    assert target.exists() and result.rows > 100_000
    with pytest.raises(InputError, match="already has data"):
        create_demo_workspace(str(target), DemoSize.SMALL, 42, AS_OF)
