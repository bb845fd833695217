"""Responses linked to no customer, listed by the CLI, the API and the Feedback page, each in the
caller's view, on DuckDB and PostgreSQL: a survey export naming unknown customers is imported
into the demo; rep A sees their own response, never rep B's nor the unassigned one."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from salesmetrics.cli.main import app as cli
from salesmetrics.domain.access import Role
from salesmetrics.services.imports.model import ImportRequest
from salesmetrics.services.imports.run import run_import
from salesmetrics.services.workspace import workspace
from salesmetrics.web.app import create_app
from signed_in import bearer, browser_client, person, token_for

REP_A, REP_B = "REP-002", "REP-005"  # the demo's rep@demo.example, and a rep of another team
ROWS = [
    ["date", "score", "comment", "customer", "rep"],
    ["2026-11-20 10:00", "2", "Ніхто не передзвонив ZZA", "stranger-a@example.com", REP_A],
    ["2026-11-21 10:00", "3", "Довго везли ZZB", "stranger-b@example.com", REP_B],
    ["2026-11-22 10:00", "9", "Анонімно ZZN", "", ""],
]  # fmt: skip
MINE, THEIRS, NOBODYS = "ZZA", "ZZB", "ZZN"


@dataclass(frozen=True)
class Demo:
    url: str
    rep_a: int
    rep_a_email: str
    rep_a_token: str
    manager_token: str  # of rep A's team
    rep_c: int  # a rep with no unmatched response


@pytest.fixture(scope="module")
def demo(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path = Path(tmp_path_factory.mktemp("unmatched")) / "survey.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(ROWS)
    with workspace(demo_url) as ws:
        report = run_import(ws, ImportRequest("feedback", path))
        assert report.status == "applied" and report.unmatched == {"customer_id": 2}, report
        ((rep_a, manager),) = ws.store.fetchall(
            "SELECT r.id, t.manager_rep_id FROM reps r JOIN teams t ON t.id = r.team_id "
            "WHERE r.external_id = ?",
            [REP_A],
        )
        ((rep_c,),) = ws.store.fetchall("SELECT id FROM reps WHERE external_id = 'REP-009'")
        yield Demo(demo_url, int(rep_a), person(ws, Role.REP, rep_a),
                   token_for(ws, Role.REP, rep_a), token_for(ws, Role.MANAGER, manager),
                   int(rep_c))  # fmt: skip


def _comments(body: dict[str, object]) -> list[str]:
    data = body["data"]
    assert isinstance(data, list)
    return [str(r["comment"]) for r in data]


def test_the_cli_lists_them_in_the_callers_view(demo: Demo) -> None:
    runner = CliRunner()
    everyone = runner.invoke(cli, ["feedback", "unmatched", "--db", demo.url, "--format", "json"])
    assert everyone.exit_code == 0, everyone.output
    body = json.loads(everyone.output)
    assert body["count"] == 3
    assert [c[-3:] for c in _comments(body)] == [NOBODYS, THEIRS, MINE]  # newest first
    assert body["data"][2]["named"] == {"customer_id": "stranger-a@example.com"}
    assert body["data"][2]["rep_id"] == demo.rep_a
    mine = runner.invoke(cli, ["feedback", "unmatched", "--db", demo.url, "--as",
                               demo.rep_a_email, "--format", "json"])  # fmt: skip
    assert mine.exit_code == 0, mine.output
    assert [c[-3:] for c in _comments(json.loads(mine.output))] == [MINE]
    table = runner.invoke(cli, ["feedback", "unmatched", "--db", demo.url, "--limit", "1"])
    assert table.exit_code == 0, table.output
    assert "(1 of 3)" in table.output
    too_many = runner.invoke(cli, ["feedback", "unmatched", "--db", demo.url, "--limit", "501"])
    assert too_many.exit_code == 2


def test_the_api_lists_them_in_the_callers_view(demo: Demo) -> None:
    with TestClient(create_app(demo.url)) as c:
        owner = bearer(token_for(c.app.state.workspace))  # type: ignore[attr-defined]
        everyone = c.get("/api/v1/feedback/unmatched", headers=owner)
        assert everyone.status_code == 200, everyone.text
        assert everyone.json()["count"] == 3
        one = c.get("/api/v1/feedback/unmatched", params={"limit": 1}, headers=owner).json()
        assert (one["count"], len(one["data"])) == (3, 1)
        mine = c.get("/api/v1/feedback/unmatched", headers=bearer(demo.rep_a_token)).json()
        assert mine["count"] == 1 and [x[-3:] for x in _comments(mine)] == [MINE]
        team = c.get("/api/v1/feedback/unmatched", headers=bearer(demo.manager_token)).json()
        assert sorted(x[-3:] for x in _comments(team)) == [MINE, NOBODYS]  # not rep B's
        for bad in ({"limit": 0}, {"limit": 501}, {"state": "open"}):
            assert c.get("/api/v1/feedback/unmatched", params=bad, headers=owner).status_code == 422


def test_the_feedback_page_lists_them_in_the_callers_view(demo: Demo) -> None:
    app = create_app(demo.url)
    with TestClient(app):  # started, and closed at the end
        owner = browser_client(app).get("/feedback", params={"lang": "en"})
        assert owner.status_code == 200
        section = owner.text.split('data-testid="unmatched-section"', 1)[1]
        assert "Responses not linked to a customer" in section and "(3 of 3)" in section
        assert all(word in section for word in (MINE, THEIRS, NOBODYS))
        assert "Customer: stranger-b@example.com" in section
        rep = browser_client(app, Role.REP, demo.rep_a).get("/feedback", params={"lang": "en"})
        section = rep.text.split('data-testid="unmatched-section"', 1)[1]
        assert MINE in section and "(1 of 1)" in section
        assert THEIRS not in rep.text and NOBODYS not in rep.text
        none = browser_client(app, Role.REP, demo.rep_c).get("/feedback")
        assert none.status_code == 200 and 'data-testid="unmatched-section"' not in none.text
