"""The what-if planner: known answers for the funnel arithmetic and each lever, the levers'
text forms and their errors, and on the demo (DuckDB and PostgreSQL) the baseline against the
quarter that came (the error docs/plan.md reports), levers moving the projection the right way,
the target and the gap, the CLI, the API and the page."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from typer.testing import CliRunner

from conftest import DEMO_AS_OF
from salesmetrics.analytics.strategy import funnel_model as fm
from salesmetrics.cli.main import app as cli
from salesmetrics.domain.access import LOCAL, Role
from salesmetrics.domain.enums import TargetScope
from salesmetrics.domain.errors import InputError, NotFoundError
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.strategy import whatif
from salesmetrics.services.targets.plan import Owner, remove_target, set_target
from salesmetrics.services.targets.status import managed_teams
from salesmetrics.services.workspace import workspace
from signed_in import owner_client, person

DEC, JAN, FEB, MAR = date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
MONTHS = [JAN, FEB, MAR]
OTHER = [500.0, 600.0, 700.0]


def _funnel(**kw: object) -> fm.Funnel:
    """100 leads a month, half become deals, 50 % x 80 % = 40 % won at 1,000; a one-month cycle
    with almost no spread: deals of month c close in month c + 1."""
    base = fm.Funnel(
        leads={"Web": 60.0, "Calls": 40.0}, deal_rate={"Web": 0.5, "Calls": 0.5},
        outbound=frozenset({"Calls"}), stages=["Meet", "Offer"], steps=[0.5, 0.8],
        deal_size_minor=1000.0, cycle_median_days=31.0, cycle_mean_days=31.0, reps=2.0,
        capacity_per_rep=200.0, past_deals={DEC: 40.0},
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def test_the_funnel_arithmetic_known_answer() -> None:
    got = fm.project(_funnel(), MONTHS, OTHER)
    # January: December's 40 deals x 0.4 = 16 wins; then each month's 50 deals x 0.4 = 20
    assert [round(m.wins, 3) for m in got] == [16.0, 20.0, 20.0]
    assert [round(m.deals_created, 6) for m in got] == [50.0, 50.0, 50.0]
    assert [round(m.revenue_minor, 3) for m in got] == [16_500.0, 20_600.0, 20_700.0]
    assert _funnel().win_rate == pytest.approx(0.4)


def test_each_lever_by_the_amount_it_should() -> None:
    f = _funnel()
    base = fm.project(f, MONTHS, OTHER)

    def wins(lv: fm.Levers) -> list[float]:
        return [round(m.wins, 3) for m in fm.project(f, MONTHS, OTHER, lv)]

    # a stage from 50 % to 60 %: every win x 6/5
    assert wins(fm.Levers(stages={"Meet": 0.1})) == [19.2, 24.0, 24.0]
    # deal size +10 %: deal revenue x 1.1, wins the same, revenue outside deals the same
    bigger = fm.project(f, MONTHS, OTHER, fm.Levers(deal_size=0.1))
    assert [m.deal_revenue_minor for m in bigger] == pytest.approx([17_600, 22_000, 22_000])
    # Web +20 %: 12 more leads, 6 more deals a month from January: February on
    assert wins(fm.Levers(leads={"Web": 0.2})) == [16.0, 22.4, 22.4]
    # one more rep, full speed at once: Calls leads are 20 a rep, 60 instead of 40
    assert wins(fm.Levers(reps=1, ramp_months=1)) == [16.0, 24.0, 24.0]
    # ramping over 2 months: half a rep's leads in January (+10), all from February (+20)
    assert wins(fm.Levers(reps=1, ramp_months=2)) == [16.0, 22.0, 24.0]
    # a shorter cycle brings new deals' wins forward: more in the quarter, never less
    faster = fm.project(f, MONTHS, OTHER, fm.Levers(cycle_days=-20))
    assert sum(m.wins for m in faster) > sum(m.wins for m in base)
    assert fm.Levers().none and not fm.Levers(reps=1).none


def test_capacity_caps_the_leads_worked() -> None:
    f = _funnel(capacity_per_rep=60.0)  # two reps work 120 leads at most, 100 now
    more = fm.project(f, MONTHS, OTHER, fm.Levers(leads={"Web": 1.0}))  # 160 leads
    assert more[0].leads == pytest.approx(120.0)
    lose = fm.project(f, MONTHS, OTHER, fm.Levers(reps=-1, ramp_months=1))
    assert lose[0].leads == pytest.approx(60.0)  # one rep: 60 leads at most (80 offered)
    # the team works more now (100 by 2 reps) than the most per rep seen before (40):
    # the baseline is what they work now, and that is what a rep can work
    busy = _funnel(capacity_per_rep=40.0)
    assert fm.project(busy, MONTHS, OTHER)[0].leads == pytest.approx(100.0)
    one = fm.project(busy, MONTHS, OTHER, fm.Levers(reps=-1, ramp_months=1))
    assert one[0].leads == pytest.approx(50.0)


@pytest.mark.parametrize("reps", [0.0, 1.0, 2.0, 7.0])
def test_the_baseline_is_the_observed_funnel_whatever_the_reps(reps: float) -> None:
    f = _funnel(reps=reps, capacity_per_rep=30.0)
    got = fm.project(f, MONTHS, OTHER)
    assert [m.leads for m in got] == pytest.approx([100.0] * 3)  # Calls (outbound) kept too
    assert [m.deals_created for m in got] == pytest.approx([50.0] * 3)
    assert fm.leads_in(f, fm.Levers(), 0) == pytest.approx({"Web": 60.0, "Calls": 40.0})
    if reps == 0.0:  # no rep to count per: added reps bring no outbound leads, none lost
        plus = fm.project(f, MONTHS, OTHER, fm.Levers(reps=1, ramp_months=1))
        assert [m.leads for m in plus] == pytest.approx([100.0] * 3)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(fm.FunnelInputError, match="no stage Nope"):
        fm.project(_funnel(), MONTHS, OTHER, fm.Levers(stages={"Nope": 0.1}))
    with pytest.raises(fm.FunnelInputError, match="fractions"):
        fm.project(_funnel(steps=[1.5, 0.8]), MONTHS, OTHER)
    with pytest.raises(fm.FunnelInputError, match="outside deals"):
        fm.project(_funnel(), MONTHS, OTHER[:2])


def test_levers_from_their_text_forms() -> None:
    lv = whatif.parse_levers(reps="+1", leads=["Instagram=+20%", "SEO = -15 %"],
                             stages=["Пропозиція=+5pp"], deal_size="+10%", cycle="-5d")  # fmt: skip
    assert (lv.reps, lv.cycle_days) == (1, -5.0) and lv.deal_size == pytest.approx(0.1)
    assert lv.leads == {"Instagram": pytest.approx(0.2), "SEO": pytest.approx(-0.15)}
    assert lv.stages == {"Пропозиція": pytest.approx(0.05)}
    assert whatif.parse_levers(reps="-2", cycle="7").cycle_days == 7.0
    for kw, message in [
        ({"reps": "1.5"}, "whole number"), ({"leads": ["Instagram"]}, "NAME=CHANGE"),
        ({"stages": ["X=+5%"]}, "percentage points"), ({"deal_size": "lots"}, "not a number"),
        ({"cycle": "-400d"}, "-365d"), ({"ramp_months": 0}, "1 to 24"),
    ]:  # fmt: skip
        with pytest.raises(InputError, match=message):
            whatif.parse_levers(**kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ on the demo


def test_the_baseline_against_the_quarter_that_came(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        check = whatif.check_baseline(ws, LOCAL, date(2026, 8, 1))
    assert [m["month"].month for m in check.months] == [8, 9, 10]
    assert all(m["actual_minor"] > 0 for m in check.months)
    # measured: +9.7 % over the quarter, MAPE 13.3 % (docs/plan.md)
    assert check.quarter_error is not None and abs(check.quarter_error) < 0.2
    assert check.mape is not None and check.mape < 20


def test_levers_move_the_demo_projection_and_the_gap_to_target(demo_url: str) -> None:
    as_of = date(2026, 7, 20)  # the next quarter (Aug-Oct 2026) has the demo's targets
    with workspace(demo_url) as ws:
        base = whatif.what_if(ws, LOCAL, whatif.parse_levers(), as_of=as_of)
        more = whatif.what_if(ws, LOCAL, whatif.parse_levers(
            reps="+2", leads=["instagram=+50%"], stages=["Пропозиція=+10pp"], deal_size="+10%",
            cycle="-10d"), as_of=as_of)  # fmt: skip
        less = whatif.what_if(ws, LOCAL, whatif.parse_levers(deal_size="-20%"), as_of=as_of)
        with pytest.raises(NotFoundError, match="no channel 'TikTok'"):
            whatif.what_if(ws, LOCAL, whatif.parse_levers(leads=["TikTok=+5%"]), as_of=as_of)
    assert [m.month for m in base.months] == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    assert all(m.baseline_minor == m.scenario_minor for m in base.months)
    assert all(m.scenario_minor > m.baseline_minor for m in more.months)
    assert all(m.scenario_minor < m.baseline_minor for m in less.months)
    for m in less.months:  # deal size -20 %: the deals part x 0.8, the rest unchanged
        assert m.scenario_deals_minor == pytest.approx(0.8 * m.baseline_deals_minor, rel=1e-6)
    assert all(m.target_minor and m.gap_minor == m.scenario_minor - m.target_minor
               for m in base.months)  # fmt: skip
    totals = base.as_dict()["totals"]
    assert totals["gap_minor"] == totals["scenario_minor"] - totals["target_minor"]
    assert 0.2 < base.inputs["win_rate"] < 0.7 and base.inputs["reps"] >= 5
    assert base.inputs["outbound_channels"] == ["Cold outreach"]


def test_cli_api_and_page(demo_url: str) -> None:
    run = CliRunner().invoke
    got = run(cli, ["plan", "what-if", "--db", demo_url, "--as-of", str(DEMO_AS_OF), "--reps",
                    "+1", "--leads", "Instagram=+20%", "--stage", "Пропозиція=+5pp",
                    "--deal-size", "+10%", "--cycle", "-5d", "--format", "json"])  # fmt: skip
    assert got.exit_code == 0, got.output
    out = json.loads(got.output)
    assert out["totals"]["scenario_minor"] > out["totals"]["baseline_minor"]
    assert out["levers"]["stages"] == {"Пропозиція": pytest.approx(0.05)}
    table = run(cli, ["plan", "what-if", "--db", demo_url, "--as-of", str(DEMO_AS_OF),
                      "--reps", "-1"])  # fmt: skip
    assert table.exit_code == 0 and "quarter" in table.output
    bad = run(cli, ["plan", "what-if", "--db", demo_url, "--stage", "Пропозиція=+5%"])
    assert bad.exit_code != 0 and "percentage points" in str(bad.exception or bad.output)
    with owner_client(demo_url) as c:
        r = c.get("/api/v1/plan/what-if", params={"as_of": str(DEMO_AS_OF), "reps": "+1",
                                                  "leads": ["Instagram=+20%"]})  # fmt: skip
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["totals"]["scenario_minor"] > body["totals"]["baseline_minor"]
        # the demo plans targets to the end of the next calendar quarter: the gap is there
        assert all(m["target_minor"] for m in body["months"]) and not body["notes"]
        assert body["totals"]["gap_minor"] is not None
        assert c.get("/api/v1/plan/what-if", params={"reps": "many"}).status_code == 422
        for bad_q in ({"start": "2026-13"}, {"start": "0000-01"}, {"as_of": "0001-01-01"}):
            no = c.get("/api/v1/plan/what-if", params=bad_q)
            assert no.status_code == 422, (bad_q, no.text)
            assert no.headers["content-type"].startswith("application/problem+json")
        assert c.get("/api/v1/forecast", params={"as_of": "0001-01-01"}).status_code == 422
        early = c.get("/api/v1/plan/what-if/check", params={"origin": "0001-01-01"})
        assert early.status_code == 422
        check = c.get("/api/v1/plan/what-if/check", params={"origin": "2026-08-01"})
        assert check.status_code == 200 and check.json()["quarter_actual_minor"] > 0
        page = c.get("/plan", params={"lang": "en", "deal_size": "10"})
        assert page.status_code == 200 and 'data-testid="whatif-summary"' in page.text
        assert 'data-testid="gap-total"' in page.text
        wrong = c.get("/plan", params={"lang": "en", "stage:Nope": "5"})
        assert wrong.status_code == 404 and 'data-testid="lever-error"' in wrong.text


def test_a_manager_sees_the_team_target_where_there_is_one(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        manager = as_person(ws, person(ws, Role.MANAGER, rep_id=1))
        team = sorted(managed_teams(ws, manager))[0]
        first = whatif.what_if(ws, manager, whatif.parse_levers(), as_of=DEMO_AS_OF)
        month = first.months[1].month  # the demo's rep targets there: summed for the manager
        assert first.months[1].target_minor
        ids = set_target(ws, LOCAL, "revenue", f"{month:%Y-%m}", "1000000",
                         owner=Owner(TargetScope.TEAM, team))  # fmt: skip
        try:
            got = whatif.what_if(ws, manager, whatif.parse_levers(), as_of=DEMO_AS_OF)
        finally:
            remove_target(ws, LOCAL, ids[0])
    assert got.months[1].target_minor == 1_000_000 * 100  # the team's, not its reps' sum
    assert [m.target_minor for m in got.months[::2]] == [m.target_minor for m in first.months[::2]]
