"""Channel economics and budget allocation on the demo, on DuckDB and PostgreSQL: the figures are
the metric engine's, the planted best channel (truth file) has the lowest CAC and is named best
by the allocation, the budget is conserved within each channel's trusted range; the CLI, the
API and the page answer; a rep sees no spend and may not plan the budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DEMO_AS_OF
from salesmetrics.cli.main import app as cli
from salesmetrics.domain.access import LOCAL, ForbiddenError
from salesmetrics.domain.errors import InputError
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.strategy.allocation import allocate
from salesmetrics.services.strategy.channels import channel_economics
from salesmetrics.services.workspace import workspace
from salesmetrics.web.app import create_app
from signed_in import browser_client, client

PERIOD = "2025-11-01..2026-10-31"


def _truth(url: str) -> dict[str, object]:
    name = Path(url).stem if "://" not in url else None
    found = sorted(Path.cwd().glob(f"{name or '*'}.truth.json"))
    data: dict[str, object] = json.loads(found[0].read_text(encoding="utf-8"))
    return data


def test_economics_are_the_engines_and_the_best_channel_is_found(demo_url: str) -> None:
    best = _truth(demo_url)["best_cac_channel"]
    with workspace(demo_url) as ws:
        e = channel_economics(ws, LOCAL, PERIOD, as_of=DEMO_AS_OF)
        rows = ws.metrics.query(
            ["marketing_spend", "new_customers", "cac", "lead_conversion_rate", "revenue"],
            period=PERIOD,
            by=["channel"],
        ).rows()
        plan = allocate(ws, LOCAL, as_of=DEMO_AS_OF)
        bigger = allocate(
            ws,
            LOCAL,
            budget_minor=plan.budget_minor * 2 + 1,
            goal="revenue",
            as_of=DEMO_AS_OF,
            lang="uk",
        )
        with pytest.raises(InputError):
            allocate(ws, LOCAL, budget_minor=100, as_of=DEMO_AS_OF)
    engine = {r["channel"]: r for r in rows}
    for line in e.channels:
        r = engine[line.channel]
        assert (line.spend_minor, line.new_customers, line.cac_minor, line.revenue_minor) == (
            r["marketing_spend"],
            r["new_customers"],
            r["cac"],
            r["revenue"],
        )
        assert line.lead_conversion == r["lead_conversion_rate"]
        assert line.cac_low_minor <= line.cac_minor <= line.cac_high_minor  # type: ignore[operator]
        assert line.roi == pytest.approx(
            (line.gross_margin_minor - line.spend_minor)  # type: ignore[operator]
            / line.spend_minor
        )
    cheapest = min((x for x in e.channels if x.new_customers), key=lambda x: x.cac_minor or 0)
    assert cheapest.channel == best
    assert sum(x.spend_minor or 0 for x in e.channels) == e.total.spend_minor
    assert e.explain["cac"].startswith("/explore?metric=cac&by=channel")
    # the allocation: the default budget is the last month with spend, which it names
    assert plan.best_channel == best and plan.goal == "customers"
    said = f"the budget is the spend of {plan.current_month}, the last month with marketing"
    assert plan.default_budget and plan.notes[0].startswith(said)
    assert all(c.fitted and not c.paused for c in plan.channels)
    last = sum(c.spend_seen[-1] for c in plan.channels)
    assert plan.budget_minor == last == sum(c.current_minor for c in plan.channels)
    for p in (plan, bigger):
        assert sum(c.recommended_minor for c in p.channels) + p.unplaced_minor == p.budget_minor
        assert all(
            c.low_minor - 100 <= c.recommended_minor <= c.high_minor + 100 for c in p.channels
        )
        assert all(0 < (c.b or 0) <= 1 for c in p.channels)
    top = plan.channel(str(best))
    assert top.recommended_minor > top.current_minor
    assert plan.expected_recommended > plan.expected_current
    assert plan.gain_low is not None and plan.gain_high is not None
    assert plan.gain_low <= plan.expected_recommended - plan.expected_current <= plan.gain_high
    assert any(m.target == best for m in plan.moves) and plan.moves[0].text.startswith("move ")
    assert bigger.moves and bigger.moves[0].text.startswith("перенесіть ")


def test_a_rep_sees_no_spend_and_may_not_plan_the_budget(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        rep = as_person(ws, "rep@demo.example")
        mine = channel_economics(ws, rep, PERIOD, as_of=DEMO_AS_OF)
        everyone = channel_economics(ws, LOCAL, PERIOD, as_of=DEMO_AS_OF)
        with pytest.raises(ForbiddenError):
            allocate(ws, rep, as_of=DEMO_AS_OF)
    assert not mine.spend_visible and "cac" not in mine.explain
    assert all(
        x.spend_minor is None and x.cac_minor is None and x.roi is None
        for x in [*mine.channels, mine.total]
    )
    assert 0 < mine.total.new_customers < everyone.total.new_customers
    assert 0 < mine.total.leads < everyone.total.leads


def test_the_cli_api_and_page_answer(demo_url: str) -> None:
    run = CliRunner().invoke
    table = run(
        cli,
        [
            "plan",
            "allocate",
            "--db",
            demo_url,
            "--as-of",
            str(DEMO_AS_OF),
            "--budget",
            "60000",
            "--lang",
            "en",
        ],
    )
    assert table.exit_code == 0, table.output
    said = " ".join(table.output.split())
    assert "at the recommended split: Instagram." in said
    denied = run(cli, ["plan", "allocate", "--db", demo_url, "--as", "rep@demo.example"])
    assert denied.exit_code != 0 and isinstance(denied.exception, ForbiddenError)
    with client(create_app(demo_url)) as c:
        body = c.get("/api/v1/plan/allocate", params={"budget": 60000, "as_of": str(DEMO_AS_OF)})
        assert body.status_code == 200, body.text
        plan = body.json()
        assert plan["budget_minor"] == 6_000_000 and plan["best_channel"] == "Instagram"
        assert plan["moves"][0]["from"] and plan["moves"][0]["gain_low"] <= plan["moves"][0]["gain"]
        assert c.get("/api/v1/plan/allocate", params={"goal": "x"}).status_code == 422
        e = c.get("/api/v1/channels", params={"period": PERIOD}).json()
        assert e["spend_visible"] and {x["channel"] for x in e["channels"]} >= {"Instagram"}
    with client(create_app(demo_url), "rep", rep_id=1) as c:
        no = c.get("/api/v1/plan/allocate")
        assert no.status_code == 403 and no.headers["content-type"].startswith(
            "application/problem+json"
        )
    with browser_client(create_app(demo_url)) as c:
        page = c.get("/channels", params={"lang": "uk", "budget": "60 000"})
        assert page.status_code == 200 and 'data-testid="moves"' in page.text
        assert "перенесіть" in page.text and 'id="curve-chart"' in page.text
        assert page.text.count('class="total"') == 1 and "×</td>" in page.text
    with browser_client(create_app(demo_url), "rep", rep_id=1) as c:
        narrowed = c.get("/channels", params={"lang": "en"}).text
        assert 'id="cac-chart"' not in narrowed and 'href="&' not in narrowed
