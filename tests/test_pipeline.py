"""Pipeline readings against hand-worked answers, on DuckDB and PostgreSQL: a June of ten deals
with skipped, re-entered and reopened stages and deals with no history at all; the funnel, time
in stage, observed probabilities, stale deals, hygiene, forecast, a snapshot and its accuracy;
the stage-visits rollup against the same rows computed from the changes, also after events; and
the statistics the bottlenecks rest on, against published values."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from salesmetrics.cli.main import app as cli
from salesmetrics.domain.access import LOCAL, ForbiddenError
from salesmetrics.domain.errors import NotFoundError
from salesmetrics.metrics.stats import log_mean_ratio, rate_difference, wilson
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.alerts import service as alerts
from salesmetrics.services.alerts.channels import Channels
from salesmetrics.services.pipeline import care, common, forecast, funnel
from salesmetrics.services.workspace import Workspace, init_workspace, workspace
from salesmetrics.storage.repositories import bulk, deal_flow
from salesmetrics.web.app import create_app
from signed_in import client, owner_client, person

AS_OF = date(2026, 6, 30)
A, B, C, WON, LOST = 1, 2, 3, 4, 5
EVERY_DAY = {"time_zone": "UTC", "locale": "en", "work_calendar": "weekends"}


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


# deal: (rep, amount in UAH, status, stage now, created, closed, expected close, moves)
# moves: (stage, month, day); the first is the deal's creation
DEALS: dict[int, tuple[Any, ...]] = {
    1: (1, 1000, "won", WON, at(6, 1), at(6, 10), None,
        [(A, 6, 1), (B, 6, 3), (C, 6, 6), (WON, 6, 10)]),
    2: (1, 2000, "lost", LOST, at(6, 1), at(6, 8), None, [(A, 6, 1), (C, 6, 4), (LOST, 6, 8)]),
    3: (2, 500, "lost", LOST, at(6, 2), at(6, 9), None,
        [(A, 6, 2), (B, 6, 4), (A, 6, 5), (B, 6, 7), (LOST, 6, 9)]),
    4: (2, 3000, "open", B, at(6, 3), None, date(2026, 6, 20), [(A, 6, 3), (B, 6, 5)]),
    5: (3, 700, "open", A, at(6, 10), None, None, []),  # no history at all
    6: (1, 400, "won", WON, at(6, 5), at(6, 15), None, []),  # imported as won, no history
    7: (1, 800, "open", B, at(6, 2), None, date(2026, 7, 15),  # won, then reopened
        [(A, 6, 2), (B, 6, 4), (WON, 6, 6), (B, 6, 12)]),
    8: (1, 600, "lost", LOST, at(5, 10), at(5, 12), None, [(A, 5, 10), (LOST, 5, 12)]),
    9: (3, 0, "open", A, at(6, 20), None, date(2026, 7, 10), [(A, 6, 20)]),
    10: (1, 900, "open", C, at(6, 26), None, date(2026, 7, 20), [(A, 6, 26), (C, 6, 28)]),
}  # fmt: skip


def _tables() -> dict[str, pa.Table]:
    ids = sorted(DEALS)
    d = [DEALS[i] for i in ids]
    changes: list[tuple[int, int | None, int, datetime]] = []
    for i in ids:
        prev = None
        for stage, m, day in DEALS[i][7]:
            changes.append((i, prev, stage, at(m, day)))
            prev = stage
    return {
        "teams": pa.table({"id": [1], "name": ["North"], "manager_rep_id": [2]}),
        "reps": pa.table({"id": [1, 2, 3], "name": ["Olena", "Petro", "Ivan"],
                          "email": ["olena@x.example", "petro@x.example", "ivan@x.example"],
                          "team_id": [1, 1, None]}),
        "pipelines": pa.table({"id": [1], "name": ["Main"], "is_default": [True]}),
        "stages": pa.table({
            "id": [A, B, C, WON, LOST], "pipeline_id": [1] * 5,
            "name": ["Lead", "Demo", "Offer", "Won", "Lost"], "position": [1, 2, 3, 90, 91],
            "kind": ["open", "open", "open", "won", "lost"],
            "probability": [0.2, 0.05, 0.8, 1.0, 0.0], "rotting_days": [5, 10, None, None, None],
        }),
        "deals": pa.table({
            "id": ids, "external_id": [f"D{i}" for i in ids], "pipeline_id": [1] * len(ids),
            "title": [f"Deal {i}" for i in ids], "owner_rep_id": [x[0] for x in d],
            "amount_minor": [x[1] * 100 for x in d], "currency": ["UAH"] * len(ids),
            "status": [x[2] for x in d], "stage_id": [x[3] for x in d],
            "created_at": [x[4] for x in d], "closed_at": [x[5] for x in d],
            "expected_close_on": [x[6] for x in d],
        }),
        "deal_stage_changes": pa.table({
            "id": list(range(1, len(changes) + 1)), "deal_id": [c[0] for c in changes],
            "from_stage_id": [c[1] for c in changes], "to_stage_id": [c[2] for c in changes],
            "changed_at": [c[3] for c in changes],
        }),
        "deal_close_date_changes": pa.table({  # deal 7 pushed twice, deal 4 pulled in once
            "id": [1, 2, 3], "deal_id": [7, 7, 4],
            "old_on": [date(2026, 6, 20), date(2026, 7, 1), date(2026, 6, 25)],
            "new_on": [date(2026, 7, 1), date(2026, 7, 15), date(2026, 6, 20)],
            "changed_at": [at(6, 10), at(6, 25), at(6, 12)],
        }),
        "activities": pa.table({
            "id": [1, 2, 3, 4, 5], "rep_id": [1, 1, 2, 3, 1],
            "kind": ["call", "meeting", "task", "task", "task"],
            "occurred_at": [at(6, 25), at(6, 28), None, None, None],
            "due_at": [None, None, at(7, 5), at(7, 3), at(7, 2)],
            "done": [True, True, False, False, False], "deal_id": [7, 10, 4, 9, 10],
        }),
    }  # fmt: skip


def build(url: str) -> None:
    init_workspace(url, {"name": "Pipeline", **EVERY_DAY})
    tables = _tables()
    with workspace(url) as ws:

        def work(tx: Any) -> None:
            for name, data in tables.items():
                bulk.load(tx, name, data)

        ws.store.write(work)
        ws.metrics.refresh_rollups()


@pytest.fixture
def ws(store_url: str) -> Iterator[Workspace]:
    build(store_url)
    with workspace(store_url) as w:
        yield w


def ask(ws: Workspace, **options: Any) -> common.Ask:
    return common.ask(ws, LOCAL, as_of=options.pop("as_of", AS_OF), **options)


def _step(out: dict[str, Any], stage: str) -> dict[str, Any]:
    return next(s for s in out["steps"] if s["stage"] == stage)


# ---------------------------------------------------------------- the funnel


def test_funnel_counts_each_deal_once_per_stage_it_reached(ws: Workspace) -> None:
    out = funnel.funnel(ask(ws, period="2026-06"))
    # June's nine deals (deal 8 was made in May). Skipped Demo (deal 2) counts as passed, the
    # re-entered Lead and Demo (deal 3) once, the reopened deal 7 where it is now (Demo), the
    # deals with no history where they stand (5: Lead; 6, won: every stage).
    assert out["deals"] == 9
    reached = [(s["stage"], s["reached"], s["still_there"], s["dropped"]) for s in out["steps"]]
    assert reached == [("Lead", 9, 2, 0), ("Demo", 7, 2, 1), ("Offer", 4, 1, 1), ("won", 2, 0, 0)]
    assert _step(out, "Lead")["value_minor"] == 930_000
    assert _step(out, "Demo")["value_minor"] == 860_000
    assert _step(out, "Offer")["value_minor"] == 430_000
    assert _step(out, "won")["value_minor"] == 140_000
    assert _step(out, "Demo")["dropped_value_minor"] == 50_000
    assert _step(out, "Offer")["dropped_value_minor"] == 200_000
    # a step's conversion is over the deals that left the stage, not those still in it
    assert _step(out, "Lead")["step"]["value"] == pytest.approx(7 / 7)
    assert _step(out, "Demo")["step"]["value"] == pytest.approx(4 / 5)
    assert _step(out, "Offer")["step"]["value"] == pytest.approx(2 / 3)
    assert _step(out, "Offer")["cumulative"]["value"] == pytest.approx(4 / 9)
    assert _step(out, "won")["win_rate"]["value"] == pytest.approx(2 / 4)
    low, high = wilson(4, 5)
    assert (_step(out, "Demo")["step"]["low"], _step(out, "Demo")["step"]["high"]) == (low, high)


def test_funnel_by_rep_team_and_month(ws: Workspace) -> None:
    by_rep = funnel.funnel(ask(ws, period="2026-05-01..2026-06-30"), "rep")
    reps = {g["label"]: g["deals"] for g in by_rep["groups"]}
    assert reps == {"Olena": 6, "Petro": 2, "Ivan": 2}  # deal 8 (May) is Olena's
    by_team = funnel.funnel(ask(ws, period="2026-06"), "team")
    assert {g["label"]: g["deals"] for g in by_team["groups"]} == {"North": 7, "—": 2}
    by_month = funnel.funnel(ask(ws, period="2026-05-01..2026-06-30"), "month")
    assert {g["label"]: g["deals"] for g in by_month["groups"]} == {
        "2026-05-01": 1, "2026-06-01": 9}  # fmt: skip
    petro = funnel.funnel(ask(ws, period="2026-06", rep="Petro"))
    assert [s["reached"] for s in petro["steps"]] == [2, 2, 0, 0]


def test_time_in_stage_counts_every_stay_of_deals_that_left(ws: Workspace) -> None:
    out = funnel.times(ask(ws, period="2026-06"))
    got = {s["stage"]: (s["deals"], s["median"], s["mean"], s["p90"]) for s in out["stages"]}
    # Lead: deals 1 (2 days), 2 (3), 3 (2 + 2 in two stays), 4 (2), 7 (2), 10 (2)
    assert got["Lead"] == pytest.approx((6, 2.0, 2.5, 3.5))
    assert got["Demo"] == pytest.approx((2, 3.0, 3.0, 3.0))  # 1 (3) and 3 (1 + 2)
    assert got["Offer"] == pytest.approx((2, 4.0, 4.0, 4.0))
    [june] = out["cycle"]
    assert (june["month"], june["deals"]) == (date(2026, 6, 1), 2)
    assert june["mean"] == pytest.approx(9.5)  # deals 1 (9 days) and 6 (10 days)


def test_observed_probabilities_and_a_suggested_recalibration(ws: Workspace) -> None:
    out = funnel.probabilities(ask(ws))
    got = {s["stage"]: s for s in out["stages"]}
    # closed deals: 1 and 6 won; 2 lost at Offer, 3 at Demo, 8 at Lead
    assert got["Lead"]["observed"]["value"] == pytest.approx(2 / 5)
    assert got["Demo"]["observed"]["value"] == pytest.approx(2 / 4)
    assert got["Offer"]["observed"]["value"] == pytest.approx(2 / 3)
    assert got["Lead"]["suggested"] is None and got["Offer"]["suggested"] is None
    # Demo's 5 % lies outside 50 % (15 %–85 %): (2 + 10 x 0.05) / (4 + 10) = 17.9 % -> 20 %
    assert got["Demo"]["suggested"] == 0.2


# ---------------------------------------------------------------- care


def test_stale_deals_past_rotting_days_or_quiet(ws: Workspace) -> None:
    out = care.stale(ask(ws))
    listed = [(d["id"], d["rotting"], d["quiet"]) for d in out["list"]]
    assert listed == [(4, True, True), (7, True, False), (5, True, True), (9, True, False)]
    d4 = out["list"][0]
    assert d4["days_in_stage"] == pytest.approx(25.5)  # in Demo since 5 June noon
    assert d4["days_quiet"] == pytest.approx(27.5)  # nothing done since it was made
    assert out["list"][1]["days_quiet"] == pytest.approx(5.5)  # deal 7's call on 25 June
    assert (out["deals"], out["amount_minor"]) == (4, 450_000)
    per_rep = {r["rep"]: (r["deals"], r["amount_minor"]) for r in out["by_rep"]}
    assert per_rep == {"Petro": (1, 300_000), "Olena": (1, 80_000), "Ivan": (2, 70_000)}
    strict = care.stale(ask(ws), quiet_days=3)
    assert [(d["id"], d["quiet"]) for d in strict["list"]][1] == (7, True)


def test_hygiene_issues_and_scores(ws: Workspace) -> None:
    out = care.hygiene(ask(ws))
    reps = {r["rep"]: r for r in out["reps"]}
    assert (reps["Olena"]["open_deals"], reps["Olena"]["slipped"]) == (2, 1)
    assert reps["Olena"]["score"] == pytest.approx(50.0)  # deal 10 is clean
    assert (reps["Petro"]["close_past"], reps["Petro"]["score"]) == (1, 0.0)
    assert (reps["Ivan"]["no_close_date"], reps["Ivan"]["no_amount"]) == (1, 1)
    assert reps["Ivan"]["no_next_activity"] == 1
    assert out["score"] == pytest.approx(20.0)
    issues = [(d["id"], d["issues"]) for d in out["list"]]
    assert issues == [(7, ("slipped", "no_next_activity")),
                      (5, ("no_close_date", "no_next_activity")),
                      (4, ("close_past",)), (9, ("no_amount",))]  # fmt: skip


# ---------------------------------------------------------------- forecast and accuracy


def test_forecast_of_the_current_month_counts_overdue_deals(ws: Workspace) -> None:
    a = ask(ws)
    out = forecast.forecast(a, forecast.period_of(a, "2026-06"))
    assert out["won_minor"] == 140_000  # deals 1 and 6
    assert out["open_deals"] == 1  # deal 4, due on 20 June, still open
    assert out["expected_minor"] == pytest.approx(140_000 + 300_000 * 0.05)
    assert out["expected_observed_minor"] == pytest.approx(140_000 + 300_000 * 0.5)
    assert (out["commit_minor"], out["best_case_minor"]) == (140_000, 140_000)


def test_forecast_of_next_month(ws: Workspace) -> None:
    a = ask(ws)
    out = forecast.forecast(a, forecast.period_of(a, "2026-07"))
    assert out["open_deals"] == 3  # deals 7, 9, 10
    assert out["expected_minor"] == pytest.approx(80_000 * 0.05 + 0 + 90_000 * 0.8)
    assert out["expected_observed_minor"] == pytest.approx(80_000 * 0.5 + 90_000 * 2 / 3)
    assert (out["commit_minor"], out["best_case_minor"]) == (90_000, 90_000)
    stages = {s["name"]: s["weighted_minor"] for s in out["by_stage"]}
    assert stages == pytest.approx({"Lead": 0, "Demo": 4_000, "Offer": 72_000})


def _july_happens(ws: Workspace) -> None:
    """Deal 10 is won on 10 July at 950 UAH, deal 7 lost; a new deal 11 is made and won."""

    def work(tx: Any) -> None:
        tx.execute("UPDATE deals SET status = 'won', stage_id = ?, closed_at = ?, "
                   "amount_minor = 95000 WHERE id = 10", [WON, at(7, 10)])  # fmt: skip
        tx.execute("UPDATE deals SET status = 'lost', stage_id = ?, closed_at = ? WHERE id = 7",
                   [LOST, at(7, 8)])  # fmt: skip
        tx.execute("INSERT INTO deals (id, pipeline_id, owner_rep_id, amount_minor, currency, "
                   "status, stage_id, created_at, closed_at) VALUES (11, 1, 1, 50000, 'UAH', "
                   "'won', ?, ?, ?)", [WON, at(7, 2), at(7, 20)])  # fmt: skip
        tx.execute("INSERT INTO deal_stage_changes (id, deal_id, from_stage_id, to_stage_id, "
                   "changed_at) VALUES (100, 10, ?, ?, ?), (101, 7, ?, ?, ?)",
                   [C, WON, at(7, 10), B, LOST, at(7, 8)])  # fmt: skip

    ws.store.write(work)
    ws.metrics.refresh_rollups()


def test_a_snapshot_and_its_accuracy_when_the_month_closes(ws: Workspace) -> None:
    a = ask(ws)
    july = forecast.period_of(a, "2026-07")
    sid = forecast.take_snapshot(a, july)
    stored = ws.store.fetchall(
        "SELECT weighted_minor, observed_minor, commit_minor, best_case_minor, open_minor, how "
        "FROM forecast_snapshots WHERE id = ?", [sid])  # fmt: skip
    assert stored == [(76_000, 100_000, 90_000, 90_000, 170_000, "manual")]
    _july_happens(ws)
    out = forecast.accuracy(ask(ws, as_of=date(2026, 8, 15)))
    [period] = out["periods"]
    [shot] = period["snapshots"]
    assert period["actual_minor"] == 145_000  # deal 10 at 950 and deal 11 at 500
    assert shot["expected_minor"] == pytest.approx(76_000)
    assert shot["expected_observed_minor"] == pytest.approx(100_000)
    assert shot["error"] == pytest.approx((76_000 - 145_000) / 145_000)
    assert out["mean_absolute_error"] == pytest.approx(69_000 / 145_000)
    reps = {r["name"]: r for r in period["by_rep"]}
    assert reps["Olena"]["weighted_minor"] == pytest.approx(76_000)
    assert reps["Olena"]["won_minor"] == 95_000  # of the snapshot's deals
    assert reps["Olena"]["actual_minor"] == 145_000  # with deal 11, made after it
    stages = {s["name"]: (s["weighted_minor"], s["won_minor"]) for s in period["by_stage"]}
    assert stages == {"Lead": (0, 0), "Demo": (4_000, 0), "Offer": (72_000, 95_000)}


def test_a_rebuilt_snapshot_sees_deals_as_they_stood(ws: Workspace) -> None:
    """As of Monday 15 June: deals 4 (Demo since 5 June, due 20 June) and 7 (won on 6 June,
    reopened on 12 June: back in Demo, due 1 July by then) were open; deal 10 did not exist."""
    a = ask(ws, as_of=date(2026, 6, 22))  # the Monday after: rebuild one week, 15 June
    [sid] = forecast.rebuild_history(a, 1)
    rows = ws.store.fetchall(
        "SELECT deal_id, stage_id FROM forecast_snapshot_deals WHERE snapshot_id = ? "
        "ORDER BY deal_id", [sid])  # fmt: skip
    # June's forecast as of 15 June: due by 30 June (overdue ones too): deal 4 only; deal 7
    # was due on 1 July by then, deal 5 has no close date, deal 9 was made on 20 June
    assert rows == [(4, B)]
    taken = ws.store.fetchall("SELECT taken_at, how FROM forecast_snapshots WHERE id = ?", [sid])
    assert taken == [(datetime(2026, 6, 15, tzinfo=UTC), "reconstructed")]


# ---------------------------------------------------------------- the visits rollup


def _visits(ws: Workspace, source: str) -> list[tuple[Any, ...]]:
    rows = ws.store.fetchall(
        f"SELECT deal_id, stage_id, entered_at, last_entered_at, left_at, days, visits "
        f"FROM {source} v ORDER BY deal_id, stage_id"
    )
    return [(*r[:5], round(float(r[5]), 9), int(r[6])) for r in rows]


def test_the_visits_rollup_holds_the_rows_computed_from_the_changes(ws: Workspace) -> None:
    assert deal_flow.visits_source(ws.store) == deal_flow.VISITS  # fresh after the rebuild
    stored = _visits(ws, deal_flow.VISITS)
    assert stored == _visits(ws, f"({deal_flow.visits_select()})")
    d3 = [r for r in stored if r[0] == 3]  # re-entered: Lead twice, Demo twice
    assert [(r[1], r[5], r[6]) for r in d3] == [(A, 4.0, 2), (B, 3.0, 2), (LOST, 0.0, 1)]
    assert [r[4] for r in stored if r[0] == 7 and r[1] == B] == [None]  # back in Demo
    reach = "SELECT deal_id, furthest FROM {} r ORDER BY deal_id"
    inline = f"({deal_flow.reach_select(f'({deal_flow.visits_select()})')})"
    assert ws.store.fetchall(reach.format(deal_flow.REACH)) == ws.store.fetchall(
        reach.format(inline))  # fmt: skip
    assert dict(ws.store.fetchall(reach.format(deal_flow.REACH)))[2] == 3  # Offer, Demo skipped


def test_events_keep_the_visits_fresh(store_url: str) -> None:
    build(store_url)
    with owner_client(store_url) as c:
        ws: Workspace = c.app.state.workspace  # type: ignore[attr-defined]

        def ev(eid: str, type_: str, hour: int, **data: Any) -> dict[str, Any]:
            return {"id": eid, "type": type_, "occurred_at": (at(6, 29) + timedelta(hours=hour))
                    .isoformat(), "data": data}  # fmt: skip

        events = [
            ev("e1", "deal.created", 0, external_id="D20", amount_minor=10_000),
            ev("e2", "deal.stage_changed", 1, deal_id="D20", to_stage_id="Demo"),
            ev("e3", "deal.stage_changed", 2, deal_id="D20", to_stage_id="Offer"),
        ]
        assert c.post("/api/v1/events", json=events).status_code == 202
        deadline = time.monotonic() + 20
        while c.app.state.events.counts()["pending"] and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.05)
        assert c.get("/api/v1/events/e3").json()["status"] == "applied"
        assert deal_flow.visits_source(ws.store) == deal_flow.VISITS
        stored = _visits(ws, deal_flow.VISITS)
        assert stored == _visits(ws, f"({deal_flow.visits_select()})")
        assert deal_flow.reach_source(ws.store) == deal_flow.REACH
        [new] = {r[0] for r in stored} - set(DEALS)
        assert [(r[1], r[4] is None) for r in stored if r[0] == new] == [
            (A, False), (B, False), (C, True)]  # fmt: skip


# ---------------------------------------------------------------- through the adapters


def test_the_command_line_prints_every_reading_as_json(store_url: str) -> None:
    build(store_url)
    runner = CliRunner()
    for command in ("funnel", "bottlenecks", "stale", "hygiene", "forecast"):
        r = runner.invoke(cli, ["pipeline", command, "--db", store_url, "--as-of", "2026-06-30",
                                "--format", "json"])  # fmt: skip
        assert r.exit_code == 0, (command, r.output)
        body = json.loads(r.output)
        assert body["pipeline"]["name"] == "Main"
    r = runner.invoke(cli, ["pipeline", "stale", "--db", store_url, "--as-of", "2026-06-30",
                            "--format", "json"])  # fmt: skip
    assert [d["id"] for d in json.loads(r.output)["list"]] == [4, 7, 5, 9]
    r = runner.invoke(cli, ["pipeline", "funnel", "--db", store_url, "--rep", "Nobody"])
    assert r.exit_code != 0 and "no rep 'Nobody'" in str(r.exception)  # run() prints it


def test_a_rep_reads_only_their_own_deals(ws: Workspace) -> None:
    petro = as_person(ws, person(ws, "rep", 2))
    a = common.ask(ws, petro, as_of=AS_OF, period="2026-06")
    assert funnel.funnel(a)["deals"] == 2
    assert [d["id"] for d in care.stale(a)["list"]] == [4]
    assert [r["rep"] for r in care.hygiene(a)["reps"]] == ["Petro"]
    asked_for_olena = common.ask(ws, petro, as_of=AS_OF, rep="Olena")
    assert care.stale(asked_for_olena)["deals"] == 0


def test_the_api_answers_and_only_owners_take_snapshots(store_url: str) -> None:
    build(store_url)
    with owner_client(store_url) as c:
        r = c.get("/api/v1/pipeline/funnel?period=2026-06&as_of=2026-06-30")
        assert r.status_code == 200 and r.json()["deals"] == 9
        r = c.get("/api/v1/pipeline/hygiene?as_of=2026-06-30")
        assert r.json()["score"] == pytest.approx(20.0)
        assert c.get("/api/v1/pipeline/funnel?rep=Nobody").status_code == 404
        r = c.post("/api/v1/pipeline/forecast/snapshots", json={"period": "2026-07"})
        assert r.status_code == 201 and len(r.json()["ids"]) == 1
    with client(create_app(store_url), "viewer") as c:
        assert c.post("/api/v1/pipeline/forecast/snapshots", json={}).status_code == 403


# ---------------------------------------------------------------- the statistics


def test_newcombe_interval_matches_the_published_example() -> None:
    """Newcombe (1998), Statistics in Medicine 17:873, table II, example (a): 56/70 - 48/80,
    method 10 (score, no continuity correction): 0.0524 to 0.3339."""
    diff, low, high = rate_difference(56, 70, 48, 80)  # type: ignore[misc]
    assert diff == pytest.approx(0.2)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_log_mean_ratio_by_hand() -> None:
    a = [math.log(x) for x in (2.0, 4.0, 8.0)]
    b = [math.log(x) for x in (1.0, 2.0, 4.0, 8.0)]
    ratio, low, high = log_mean_ratio(  # type: ignore[misc]
        (3, sum(a), sum(x * x for x in a)), (4, sum(b), sum(x * x for x in b)), z=1.96
    )
    assert ratio == pytest.approx(64 ** (1 / 3) / 64**0.25)  # geometric means 4 and 2^1.5
    va, vb = math.log(2) ** 2, (math.log(2) ** 2) * 5 / 3  # sample variances of the logs
    se = math.sqrt(va / 3 + vb / 4)
    assert low == pytest.approx(ratio * math.exp(-1.96 * se))
    assert high == pytest.approx(ratio * math.exp(1.96 * se))


# ---------------------------------------------------------------- feeding the alerts


def test_stale_deals_alert_each_rep_once_a_week(ws: Workspace) -> None:
    now = datetime(2026, 6, 30, 18, tzinfo=UTC)
    done = alerts.check(ws, AS_OF, now, rules=("stale_deals",), c=Channels())
    assert done.found == 3  # Olena, Petro and Ivan each have stale deals
    rows = ws.store.fetchall(
        "SELECT rep_id, title, data FROM alerts WHERE rule = 'stale_deals' ORDER BY rep_id"
    )
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[2][1] == "Ivan: 2 stale deals, 700 UAH"  # deals 5 (700) and 9 (0)
    assert json.loads(rows[1][2])["largest_deal_id"] == 4
    again = alerts.check(ws, AS_OF, now, rules=("stale_deals",), c=Channels())
    assert again.new == []  # the same week: nothing new


def test_the_weekly_snapshots_are_taken_once_a_week(ws: Workspace) -> None:
    a = ask(ws)
    first = forecast.weekly(a)
    assert len(first) == 2  # this month and the next
    assert forecast.weekly(a) == []
    periods = ws.store.fetchall(
        "SELECT period_start_on, how FROM forecast_snapshots ORDER BY period_start_on"
    )
    assert periods == [(date(2026, 6, 1), "weekly"), (date(2026, 7, 1), "weekly")]
    next_week = ask(ws, as_of=date(2026, 7, 6))
    assert len(forecast.weekly(next_week)) == 2  # July and August


def test_each_pipeline_reads_its_own_stages_and_deals(ws: Workspace) -> None:
    def work(tx: Any) -> None:
        tx.execute("INSERT INTO pipelines (id, name, is_default) VALUES (2, 'Renewals', FALSE)")
        tx.execute("INSERT INTO stages (id, pipeline_id, name, position, kind, probability) "
                   "VALUES (6, 2, 'Due', 1, 'open', 0.5), "
                   "(7, 2, 'Renewed', 2, 'won', 1.0)")  # fmt: skip
        tx.execute("INSERT INTO deals (id, pipeline_id, owner_rep_id, amount_minor, currency, "
                   "status, stage_id, created_at) VALUES (30, 2, 1, 12300, 'UAH', 'open', 6, ?)",
                   [at(6, 15)])  # fmt: skip

    ws.store.write(work)
    ws.metrics.refresh_rollups()
    main = funnel.funnel(ask(ws, period="2026-06"))
    assert (main["pipeline"]["name"], main["deals"]) == ("Main", 9)
    renewals = funnel.funnel(ask(ws, period="2026-06", pipeline="renewals"))
    assert renewals["deals"] == 1
    assert [s["stage"] for s in renewals["steps"]] == ["Due", "won"]
    with pytest.raises(NotFoundError, match="no pipeline 'Leasing'; there are: Main, Renewals"):
        ask(ws, pipeline="Leasing")


def test_a_stage_s_probability_and_rotting_days_are_set_from_the_command_line(
    store_url: str,
) -> None:
    build(store_url)
    runner = CliRunner()
    r = runner.invoke(cli, ["pipeline", "stages", "--db", store_url, "--set", "demo",
                            "--probability", "0.2", "--rotting-days", "7"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Demo: probability 20%, rotting days 7" in r.output
    with workspace(store_url) as ws:
        got = funnel.probabilities(ask(ws))
        assert next(s for s in got["stages"] if s["stage"] == "Demo")["suggested"] is None
        assert ws.store.fetchall("SELECT rotting_days FROM stages WHERE id = ?", [B]) == [(7,)]
        with pytest.raises(ForbiddenError):
            common.set_stage(ask(ws), as_person(ws, person(ws, "manager", 2)), "Demo",
                             probability=0.5)  # fmt: skip
    r = runner.invoke(cli, ["pipeline", "stages", "--db", store_url, "--set", "Nowhere",
                            "--probability", "0.2"])  # fmt: skip
    assert r.exit_code != 0 and "no stage 'Nowhere' in Main" in str(r.exception)
