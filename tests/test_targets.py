"""Targets end to end on hand-built data, on DuckDB and PostgreSQL: setting them (month, quarter,
year; even, seasonal and custom splits), status against hand-worked answers, the roll-up check,
who sees which, and the same through the CLI, the API and the page."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from salesmetrics.analytics.pacing import Z80
from salesmetrics.domain.access import LOCAL, ForbiddenError, Role
from salesmetrics.domain.enums import TargetScope, TargetSplit
from salesmetrics.domain.errors import InputError
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.targets import plan, rollup, status
from salesmetrics.services.workspace import Workspace, init_workspace, workspace
from salesmetrics.storage.repositories import bulk
from salesmetrics.web.app import create_app
from signed_in import client, person

# June 2026 in a workspace that works every day (no calendar effects): rep 1 sells 100, 50,
# 150, 100, 50, 150, 100, 50, 150, 100 on June 1..10 (1,000.00 UAH); rep 2 sells 300 on June 2.
# Last year (2025): rep 1 sold 100 in April, 200 in May, 100 in June (the seasonal split).
SALES = [100, 50, 150, 100, 50, 150, 100, 50, 150, 100]
EVERY_DAY = {"work_calendar": "weekends", "work_week": "mon-sun", "time_zone": "UTC",
             "locale": "en"}  # fmt: skip
AS_OF = date(2026, 6, 10)


def _orders() -> pa.Table:
    rows = [(1, date(2026, 6, 1) + timedelta(days=i), v) for i, v in enumerate(SALES)]
    rows += [(2, date(2026, 6, 2), 300)]
    rows += [(1, date(2025, 4, 15), 100), (1, date(2025, 5, 15), 200), (1, date(2025, 6, 15), 100)]
    n = len(rows)
    return pa.table({
        "external_id": [f"O{i}" for i in range(n)], "customer_id": [1] * n,
        "rep_id": [r[0] for r in rows],
        "ordered_at": [datetime(d.year, d.month, d.day, 12, tzinfo=UTC) for _, d, _ in rows],
        "status": ["paid"] * n, "currency": ["UAH"] * n,
        "total_minor": [v * 100 for _, _, v in rows],
    })  # fmt: skip


def _lines(orders: pa.Table) -> pa.Table:
    n = orders.num_rows
    return pa.table({
        "id": list(range(1, n + 1)), "order_id": list(range(1, n + 1)), "line_no": [1] * n,
        "product_id": [1] * n, "quantity": [1] * n, "unit_price_minor": orders["total_minor"],
        "line_total_minor": orders["total_minor"], "currency": ["UAH"] * n,
    })  # fmt: skip


def _deals() -> pa.Table:
    """Olena's deals: 4 won at 500 UAH and 6 lost in the spring (win rate 40 %, average deal
    500 UAH), and one open deal of 2,000 UAH expected to close on 20 June."""
    spring = datetime(2026, 4, 15, 12, tzinfo=UTC)
    rows = [("won", 50_000, spring)] * 4 + [("lost", 50_000, spring)] * 6
    rows += [("open", 200_000, None)]
    n = len(rows)
    return pa.table({
        "id": list(range(1, n + 1)), "external_id": [f"D{i}" for i in range(n)],
        "pipeline_id": [1] * n, "stage_id": [1] * n, "status": [r[0] for r in rows],
        "amount_minor": [r[1] for r in rows], "currency": ["UAH"] * n, "owner_rep_id": [1] * n,
        "created_at": [datetime(2026, 3, 1, tzinfo=UTC)] * n, "closed_at": [r[2] for r in rows],
        "expected_close_on": [None] * (n - 1) + [date(2026, 6, 20)],
    })  # fmt: skip


def build(url: str) -> None:
    init_workspace(url, {"name": "Targets", **EVERY_DAY})
    orders = _orders()
    with workspace(url) as ws:

        def work(tx: Any) -> None:
            bulk.load(tx, "teams", pa.table({"id": [1], "external_id": ["T1"], "name": ["North"],
                                             "manager_rep_id": [2]}))  # fmt: skip
            bulk.load(tx, "reps", pa.table({"id": [1, 2, 3], "external_id": ["R1", "R2", "R3"],
                                            "name": ["Olena", "Petro", "Ivan"],
                                            "team_id": [1, 1, None]}))  # fmt: skip
            bulk.load(tx, "customers", pa.table({"id": [1], "external_id": ["C1"],
                                                 "name": ["Shop"]}))  # fmt: skip
            bulk.load(tx, "products", pa.table({"id": [1], "external_id": ["P1"], "name": ["Tea"],
                                                "currency": ["UAH"]}))  # fmt: skip
            bulk.load(tx, "orders", orders.append_column("id", pa.array(range(1, len(orders) + 1))))
            bulk.load(tx, "order_lines", _lines(orders))
            bulk.load(tx, "deals", _deals())

        ws.store.write(work)
        ws.metrics.refresh_rollups()


@pytest.fixture
def ws(store_url: str) -> Iterator[Workspace]:
    build(store_url)
    with workspace(store_url) as w:
        yield w


def _rep(ws: Workspace, name: str) -> plan.Owner:
    return plan.find_owner(ws, rep=name)


def test_a_month_target_paced_by_hand(ws: Workspace) -> None:
    plan.set_target(ws, LOCAL, "revenue", "2026-06", "3000", owner=_rep(ws, "Olena"))
    [s] = status.status(ws, LOCAL, AS_OF)
    p = s.pace
    assert (p.target, p.achieved) == (300_000, 100_000)  # minor units
    assert p.expected_to_date == pytest.approx(100_000)  # 10 of 30 days
    assert p.attainment == pytest.approx(1 / 3) and p.ahead  # exactly on pace
    assert (p.elapsed_days, p.remaining_days) == (10, 20)
    assert p.required_run_rate == pytest.approx(200_000 / 20)
    assert p.projected == pytest.approx(300_000)
    sd = math.sqrt(15000 / 9) * 100 * math.sqrt(20 + 20**2 / 10)
    assert p.projected_low == pytest.approx(300_000 - Z80 * sd)
    assert p.projected_high == pytest.approx(300_000 + Z80 * sd)
    takes = s.as_json()["what_it_takes"]
    assert takes["per_day"] == pytest.approx(10_000)
    # the gap of 2,000 UAH: 4 deals at the 500 UAH average, 10 opportunities at a 40 % win rate
    assert (takes["deals"], takes["average_deal"], takes["win_rate"]) == (4, 50_000, 0.4)
    assert takes["opportunities"] == 10
    assert p.coverage == pytest.approx(200_000 / 200_000)  # the open deal due on 20 June
    assert "4 more deals" in status.what_it_takes_text(s)


def test_a_target_set_mid_period_paces_from_the_period_s_start(ws: Workspace) -> None:
    """Set on the 10th or on the 1st, the target is the month's: what is due by the 10th is a
    third of it either way."""
    plan.set_target(ws, LOCAL, "revenue", "2026-06", "600", owner=_rep(ws, "Petro"))
    [s] = status.status(ws, LOCAL, AS_OF)
    assert s.pace.expected_to_date == pytest.approx(20_000)
    assert s.pace.achieved == 30_000 and s.pace.ahead_by == pytest.approx(10_000)
    before = status.status(ws, LOCAL, date(2026, 5, 31), start=date(2026, 6, 1),
                           end=date(2026, 6, 30))  # fmt: skip
    assert before[0].pace.expected_to_date == 0
    assert before[0].notes == ("the period has not started",)


def test_quarter_and_year_split_three_ways(ws: Workspace) -> None:
    olena = _rep(ws, "Olena")
    ids = plan.set_target(ws, LOCAL, "revenue", "2026-Q2", "1200", owner=olena,
                          split=TargetSplit.SEASONAL)  # fmt: skip
    months = {t.start: t.value for t in status.list_targets(ws, LOCAL, date(2026, 4, 1),
                                                             date(2026, 6, 30))
              if t.parent_id == ids[0]}  # fmt: skip
    # last year's April, May, June: 100, 200, 100 -> 25 %, 50 %, 25 %
    assert months == {date(2026, 4, 1): 30_000, date(2026, 5, 1): 60_000, date(2026, 6, 1): 30_000}
    plan.set_target(ws, LOCAL, "revenue", "2026-Q2", "1200", owner=olena,
                    split=TargetSplit.CUSTOM, weights=[1, 1, 2])  # fmt: skip
    rows = status.list_targets(ws, LOCAL, date(2026, 4, 1), date(2026, 6, 30))
    assert sorted(t.value for t in rows if t.parent_id) == [30_000, 30_000, 60_000]
    assert len([t for t in rows if t.has_months]) == 1  # replaced, not added
    plan.set_target(ws, LOCAL, "deals_won", "2027", "120", owner=olena)
    year = status.list_targets(ws, LOCAL, date(2027, 1, 1), date(2027, 12, 31), "deals_won")
    assert [t.value for t in year if t.parent_id] == [10.0] * 12
    # the metric engine counts the months, never the plan beside them
    got = ws.metrics.query(["revenue_target"], period="2026-06", by=["rep"], as_of=AS_OF)
    assert {r["rep"]: r["revenue_target"] for r in got.rows()} == {"Olena": 60_000}
    # the quarter's status paces by its split: April and May whole, June a third
    quarter = next(s for s in status.status(ws, LOCAL, AS_OF) if s.target.has_months)
    assert quarter.pace.expected_to_date == pytest.approx(30_000 + 30_000 + 60_000 / 3)
    with pytest.raises(InputError, match="one per month"):
        plan.set_target(ws, LOCAL, "revenue", "2026-Q3", "1", owner=olena,
                        split=TargetSplit.CUSTOM, weights=[1, 2])  # fmt: skip
    with pytest.raises(InputError, match="to split by"):
        plan.set_target(ws, LOCAL, "revenue", "2026-Q3", "1", owner=_rep(ws, "Ivan"),
                        split=TargetSplit.SEASONAL)  # fmt: skip


def test_rate_targets_and_values_as_people_write_them(ws: Workspace) -> None:
    metric = ws.metrics.catalog.get("win_rate")
    assert plan.parse_value("24%", metric, "UAH") == pytest.approx(0.24)
    assert plan.parse_value("0,24", metric, "UAH") == pytest.approx(0.24)
    with pytest.raises(InputError, match="24% or"):
        plan.parse_value("24", metric, "UAH")
    money = ws.metrics.catalog.get("revenue")
    assert plan.parse_value("250 000,50", money, "UAH") == 25_000_050
    for bad in ("-5", "lots", "1e999"):
        with pytest.raises(InputError):
            plan.parse_value(bad, money, "UAH")
    for text, grain in (("2026-06", "month"), ("2026-Q2", "quarter"), ("2026", "year"),
                        ("2026-02..2026-05", "months")):  # fmt: skip
        assert plan.parse_target_period(text).grain == grain
    assert plan.parse_target_period("2028-02").end == date(2028, 2, 29)  # a leap February
    for bad in ("2026-13", "2026-Q5", "26", "2026-05..2026-02"):
        with pytest.raises(InputError):
            plan.parse_target_period(bad)


def test_roll_up_flags_parts_that_do_not_add_up(ws: Workspace) -> None:
    north, company = plan.find_owner(ws, team="North"), plan.Owner(TargetScope.COMPANY)
    plan.set_target(ws, LOCAL, "revenue", "2026-06", "3000", owner=_rep(ws, "Olena"))
    plan.set_target(ws, LOCAL, "revenue", "2026-06", "1000", owner=_rep(ws, "Petro"))
    plan.set_target(ws, LOCAL, "revenue", "2026-06", "4000", owner=north)
    plan.set_target(ws, LOCAL, "revenue", "2026-06", "5000", owner=company)
    june = (date(2026, 6, 1), date(2026, 6, 30))
    [flag] = rollup.mismatches(ws, LOCAL, *june)
    assert (flag.level, flag.target, flag.parts, flag.of) == ("company", 500_000, 400_000, "teams")
    plan.set_target(ws, LOCAL, "revenue", "2026-06", "4500", owner=north)
    flags = {(m.level, m.name) for m in rollup.mismatches(ws, LOCAL, *june)}
    assert flags == {("team", "North"), ("company", None)}


def test_each_person_sees_the_targets_of_what_they_see(ws: Workspace) -> None:
    for owner in (_rep(ws, "Olena"), _rep(ws, "Ivan"), plan.find_owner(ws, team="North"),
                  plan.Owner(TargetScope.COMPANY)):  # fmt: skip
        plan.set_target(ws, LOCAL, "revenue", "2026-06", "1000", owner=owner)
    seen = {}
    for role, rep in ((Role.REP, 1), (Role.MANAGER, 2), (Role.VIEWER, None)):
        who = as_person(ws, person(ws, role, rep))
        seen[role] = {(s.target.scope, s.target.scope_name) for s in status.status(ws, who, AS_OF)}
        with pytest.raises(ForbiddenError):
            plan.set_target(ws, who, "revenue", "2026-07", "1", owner=_rep(ws, "Olena"))
    assert seen[Role.REP] == {("rep", "Olena")}
    assert seen[Role.MANAGER] == {("rep", "Olena"), ("team", "North")}  # Petro manages North
    assert len(seen[Role.VIEWER]) == 4


def test_api_cli_json_and_page(store_url: str, ws: Workspace, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from salesmetrics.cli.main import app as cli

    ws.close()
    app = create_app(store_url)
    with TestClient(app):
        owner = client(app)
        made = owner.post("/api/v1/targets", json={"metric": "revenue", "period": "2026-06",
                                                   "value": "3000", "rep": "Olena"})  # fmt: skip
        assert made.status_code == 201, made.text
        body = owner.get("/api/v1/targets/status", params={"as_of": AS_OF.isoformat()}).json()
        [t] = body["targets"]
        for key in ("achieved", "attainment", "expected_to_date", "required_run_rate",
                    "projected", "coverage"):  # fmt: skip
            assert key in t
        assert t["projected"]["value"] == pytest.approx(300_000)
        assert {"low", "high"} <= set(t["projected"])
        page = owner.get("/targets?lang=en&period=2026-06").text
        assert 'data-testid="target"' in page and "Olena" in page
        rep = client(app, Role.REP, rep_id=2)
        assert rep.get("/api/v1/targets/status", params={"as_of": "2026-06-10"}).json()[
            "targets"] == []  # fmt: skip
        assert rep.post("/api/v1/targets", json={"metric": "revenue", "period": "2026-07",
                                                 "value": "1"}).status_code == 403  # fmt: skip
        assert owner.delete(f"/api/v1/targets/{made.json()['ids'][0]}").status_code == 204
    result = CliRunner().invoke(cli, ["targets", "set", "revenue", "2026-06", "3000", "--rep",
                                      "Olena", "--db", store_url])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["targets", "status", "--as-of", "2026-06-10", "--format",
                                      "json", "--db", store_url])  # fmt: skip
    assert result.exit_code == 0, result.output
    [t] = json.loads(result.output)["targets"]
    assert t["achieved"] == 100_000 and t["expected_to_date"] == pytest.approx(100_000)


def test_the_overview_cards_carry_the_viewer_s_own_target(store_url: str, ws: Workspace) -> None:
    month = ws.metrics.today().strftime("%Y-%m")
    plan.set_target(ws, LOCAL, "revenue", month, "5000", owner=plan.Owner(TargetScope.COMPANY))
    plan.set_target(ws, LOCAL, "revenue", month, "700", owner=_rep(ws, "Petro"))
    ws.close()
    app = create_app(store_url)
    with TestClient(app):
        owner, rep = client(app), client(app, Role.REP, rep_id=2)
        mine = rep.get("/?lang=en").text
        assert 'data-testid="goal-revenue"' in mine
        assert "700.00" in mine and "5,000.00" not in mine  # their own, not the company's
        theirs = owner.get("/fragments/overview/cards?lang=en").text
        assert 'data-testid="goal-revenue"' in theirs and "5,000.00" in theirs
        live = owner.get("/targets/live?lang=en").text
        assert live.count('data-testid="target"') == 2 and "<html" not in live


def test_the_day_is_cut_in_the_workspace_s_time_zone(store_url: str) -> None:
    """An order at 22:30 UTC on 10 June is on the 10th in a UTC workspace and on the 11th in
    Kyiv (01:30), so it counts as of the 10th in one and not the other."""
    build(store_url)
    late = datetime(2026, 6, 10, 22, 30, tzinfo=UTC)
    with workspace(store_url) as ws:
        ws.store.write(lambda tx: (
            bulk.load(tx, "orders", pa.table({"id": [900], "external_id": ["LATE"],
                      "customer_id": [1], "rep_id": [1], "ordered_at": [late],
                      "status": ["paid"], "currency": ["UAH"], "total_minor": [10_000]})),
            bulk.load(tx, "order_lines", pa.table({"id": [900], "order_id": [900],
                      "line_no": [1], "product_id": [1], "quantity": [1],
                      "unit_price_minor": [10_000], "line_total_minor": [10_000],
                      "currency": ["UAH"]}))))  # fmt: skip
        ws.metrics.refresh_rollups()
        plan.set_target(ws, LOCAL, "revenue", "2026-06", "3000", owner=_rep(ws, "Olena"))
        utc = status.status(ws, LOCAL, AS_OF)[0].pace.achieved
    init_workspace(store_url, {"time_zone": "Europe/Kyiv"})
    with workspace(store_url) as ws:
        ws.metrics.refresh_rollups()
        kyiv = status.status(ws, LOCAL, AS_OF)[0].pace.achieved
    assert (utc, kyiv) == (110_000, 100_000)


def test_the_demo_ships_with_targets_paced_on_day_one(demo_url: str) -> None:
    from conftest import DEMO_AS_OF

    with workspace(demo_url) as ws:
        found = status.status(ws, LOCAL, DEMO_AS_OF)
    reps = [s for s in found if s.target.scope == "rep"]
    company = [s for s in found if s.target.scope == "company"]
    assert len(reps) >= 5 and len(company) == 1
    for s in found:
        assert s.pace.expected_to_date > 0 and s.pace.projected is not None
        assert s.pace.projected_low is not None and s.takes is not None


def test_refusals_that_keep_targets_consistent(ws: Workspace) -> None:
    olena = _rep(ws, "Olena")
    with pytest.raises(InputError, match="company-wide"):
        plan.set_target(ws, LOCAL, "cac", "2026-06", "100", owner=olena)
    year = plan.set_target(ws, LOCAL, "revenue", "2027", "12000", owner=olena)
    for period in ("2027-Q1", "2027-03", "2027-03..2027-03"):  # a plan's months are its own
        with pytest.raises(InputError, match=f"part of target {year[0]}"):
            plan.set_target(ws, LOCAL, "revenue", period, "1", owner=olena)
    assert plan.parse_target_period("2027-03..2027-03").grain == "month"
    with pytest.raises(InputError, match="weights must be"):
        plan.set_target(ws, LOCAL, "revenue", "2028-Q1", "1", owner=olena,
                        split=TargetSplit.CUSTOM, weights=[1e308, 1e308, 1])  # fmt: skip
    months = [t for t in status.list_targets(ws, LOCAL, date(2027, 1, 1), date(2027, 12, 31))
              if t.parent_id == year[0]]  # fmt: skip
    assert len(months) == 12 and sum(t.value for t in months) == pytest.approx(1_200_000)


def test_a_rep_who_manages_a_team_still_sees_only_their_own(ws: Workspace) -> None:
    plan.set_target(
        ws, LOCAL, "revenue", "2026-06", "1000", owner=plan.find_owner(ws, team="North")
    )
    plan.set_target(ws, LOCAL, "revenue", "2026-06", "700", owner=_rep(ws, "Petro"))
    petro_as_rep = as_person(ws, person(ws, Role.REP, 2))  # Petro's rep manages North
    seen = {(s.target.scope, s.target.scope_name) for s in status.status(ws, petro_as_rep, AS_OF)}
    assert seen == {("rep", "Petro")}


def test_a_target_on_a_metric_since_removed_says_so_and_the_rest_still_pace(ws: Workspace) -> None:
    plan.set_target(ws, LOCAL, "revenue", "2026-06", "3000", owner=_rep(ws, "Olena"))
    ws.store.write(lambda tx: tx.execute(
        "INSERT INTO targets (source, external_id, metric, scope, period_start_on, "
        "period_end_on, value) VALUES ('x', 'gone', 'no_such_metric', 'company', ?, ?, 5)",
        [date(2026, 6, 1), date(2026, 6, 30)]))  # fmt: skip
    found = {s.target.metric: s for s in status.status(ws, LOCAL, AS_OF)}
    assert found["revenue"].pace.achieved == 100_000
    assert "cannot be measured" in found["no_such_metric"].notes[0]


def test_imported_money_targets_are_in_major_units(ws: Workspace, tmp_path: Any) -> None:
    from salesmetrics.services.imports.model import ImportRequest
    from salesmetrics.services.imports.run import run_import

    path = tmp_path / "цілі.csv"
    path.write_text("Метрика;Менеджер;Місяць;Ціль\nrevenue;Olena;01.07.2026;2500\n"
                    "deals_won;Olena;01.07.2026;12\n", encoding="cp1251")  # fmt: skip
    report = run_import(ws, ImportRequest(kind="targets", path=path))
    assert report.rows_read == 2 and not report.issues
    got = {t.metric: t.value for t in status.list_targets(ws, LOCAL, date(2026, 7, 1),
                                                           date(2026, 7, 31))}  # fmt: skip
    assert got == {"revenue": 250_000, "deals_won": 12}
