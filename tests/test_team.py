"""The Team leaderboard and rep pages over a demo workspace, on both engines: the service, the
JSON API and the pages (TestClient)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import DEMO_AS_OF
from salesmetrics.domain.access import EVERYTHING
from salesmetrics.domain.errors import NotFoundError, QueryError
from salesmetrics.services import team
from salesmetrics.services.team import Leaderboard, Line, VersionedCache
from salesmetrics.services.workspace import Workspace
from salesmetrics.web import team as web_team
from signed_in import owner_client

AS_OF = DEMO_AS_OF
ADDITIVE = ("revenue", "deals_won", "activities", "new_customers")


@pytest.fixture(scope="module")
def client(demo_url: str) -> Iterator[TestClient]:
    with owner_client(demo_url) as c:
        yield c


@pytest.fixture(scope="module")
def ws(client: TestClient) -> Workspace:
    workspace: Workspace = client.app.state.workspace  # type: ignore[attr-defined]
    return workspace


def _value(line: Line | None, metric: str) -> float:
    return (line.figures[metric].value or 0) if line else 0


@pytest.mark.parametrize("period", team.PERIODS)
def test_the_leaderboard_adds_up_to_the_company(ws: Workspace, period: str) -> None:
    board = team.leaderboard(ws, EVERYTHING, period, AS_OF)
    assert board.reps() and board.teams
    for metric in ADDITIVE:
        reps = sum(_value(x, metric) for x in board.reps())
        assert reps + _value(board.unassigned, metric) == _value(board.total, metric), metric
        for g in board.teams:
            assert sum(_value(x, metric) for x in g.reps) == _value(g.total, metric), g.name
    company = ws.metrics.query(["revenue"], period=period, as_of=AS_OF).rows()[0]["revenue"]
    assert board.total.figures["revenue"].value == company > 0


def test_reps_are_ranked_by_revenue(ws: Workspace) -> None:
    board = team.leaderboard(ws, EVERYTHING, "this_month", AS_OF)
    ranked = sorted(board.reps(), key=lambda x: x.rank or 0)
    assert [x.rank for x in ranked] == list(range(1, len(ranked) + 1))
    revenue = [_value(x, "revenue") for x in ranked]
    assert revenue == sorted(revenue, reverse=True)
    # team groups list their reps by revenue, teams by their totals
    for g in board.teams:
        assert [x.rank for x in g.reps] == sorted(x.rank or 0 for x in g.reps)
    totals = [_value(g.total, "revenue") for g in board.teams]
    assert totals == sorted(totals, reverse=True)


def test_any_column_sorts_and_empty_values_go_last(ws: Workspace) -> None:
    board = team.leaderboard(ws, EVERYTHING, "this_month", AS_OF)
    for key in team.SORTS:
        for descending in (True, False):
            for g in board.sorted(key, descending).teams:
                values = [x.value(key) for x in g.reps]
                filled = [v for v in values if v is not None]
                assert values[: len(filled)] == filled, (key, values)
                assert filled == sorted(filled, reverse=descending), (key, descending)  # type: ignore[type-var]
    assert team.parse_sort(None, None) == ("revenue", True)
    assert team.parse_sort("name", None) == ("name", False)
    assert team.parse_sort("win_rate", "asc") == ("win_rate", False)
    with pytest.raises(QueryError, match="cannot sort by 'bogus'"):
        team.parse_sort("bogus", None)
    with pytest.raises(QueryError, match="not asc or desc"):
        team.parse_sort("revenue", "up")


def test_rates_carry_wilson_intervals_and_changes_add_up(ws: Workspace) -> None:
    board = team.leaderboard(ws, EVERYTHING, "last_month", AS_OF)
    assert str(board.period) == "2026-10-01..2026-10-31"
    assert str(board.comparison) == "2026-09-01..2026-09-30"
    lines = [*board.reps(), *(g.total for g in board.teams), board.total]
    with_rate = [x.figures["win_rate"] for x in lines if x.figures["win_rate"].value is not None]
    assert with_rate
    for f in with_rate:
        assert f.low is not None and f.high is not None and f.low <= (f.value or 0) <= f.high
    for x in lines:
        f = x.figures["revenue"]
        if f.value is not None and f.previous is not None:
            assert f.delta == pytest.approx(f.value - f.previous)


def test_attainment_against_targets_only_where_they_apply(ws: Workspace) -> None:
    month = team.leaderboard(ws, EVERYTHING, "last_month", AS_OF)
    assert month.targets  # the demo sets monthly revenue targets per rep and for the company
    for x in month.reps():
        assert x.target is not None and x.target.value
        attained = x.figures[team.ATTAINMENT].value
        assert attained == pytest.approx(_value(x, "revenue") / x.target.value)
    for g in month.teams:  # no team targets in the demo: the sum of the reps' targets
        assert g.total.target is not None
        assert g.total.target.value == sum(x.target.value or 0 for x in g.reps if x.target)
    trailing = team.leaderboard(ws, EVERYTHING, "last_30_days", AS_OF)
    assert not trailing.targets
    assert all(team.ATTAINMENT not in x.figures and x.target is None for x in trailing.reps())


def test_versioned_cache_computes_once_for_many_callers() -> None:
    cache: VersionedCache[str, int] = VersionedCache(size=2)
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow)))
               for _ in range(40)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 40 and len(calls) == 1 and cache.computed == 1
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)  # evicts "k", the least recently used
    assert cache.get("k", lambda: 7) == 7


def test_live_leaderboard_is_cached_per_data_version(ws: Workspace) -> None:
    first = team.live_leaderboard(ws, EVERYTHING, "this_quarter", AS_OF)
    assert team.live_leaderboard(ws, EVERYTHING, "this_quarter", AS_OF) is first
    version = team.data_version(ws)
    ws.store.write(lambda tx: None)  # any write moves the data version
    assert team.data_version(ws) == version + 1
    fresh = team.live_leaderboard(ws, EVERYTHING, "this_quarter", AS_OF)
    assert fresh is not first and fresh.version == version + 1
    assert fresh.total.figures["revenue"] == first.total.figures["revenue"]
    ws.metrics.refresh_rollups()


def test_rep_page_numbers(ws: Workspace) -> None:
    board = team.leaderboard(ws, EVERYTHING, "this_month", AS_OF)
    top = min(board.reps(), key=lambda x: x.rank or 0)
    assert top.rep_id is not None
    page = team.rep_page(ws, EVERYTHING, top.rep_id, "this_month", AS_OF)
    assert page.rank == 1 and page.ranked == len(board.reps())
    revenue = page.card("revenue")
    assert revenue is not None and revenue.value == _value(top, "revenue")
    assert {c.name for c in page.cards} >= {*team.METRICS, "open_deals", "pipeline_value"}
    assert page.card(team.ATTAINMENT) is not None and page.target
    assert len(page.trend) == 12 and page.trend[-1][0] == AS_OF.replace(day=1)
    assert sum(n for _, n in page.activities) == _value(top, "activities")
    assert 0 < len(page.won) <= team.RECENT_WON
    closed = [d.closed_at for d in page.won]
    assert closed == sorted(closed, reverse=True)  # type: ignore[type-var]
    with pytest.raises(NotFoundError, match="no rep with id 99999"):
        team.rep_page(ws, EVERYTHING, 99999, "this_month", AS_OF)


def _api(client: TestClient, path: str, **params: Any) -> Any:
    return client.get(path, params={"as_of": AS_OF.isoformat(), **params})


def test_team_api_matches_the_service(client: TestClient, ws: Workspace) -> None:
    body = _api(client, "/api/v1/team", period="last_month").json()
    board: Leaderboard = team.leaderboard(ws, EVERYTHING, "last_month", AS_OF)
    assert body["period"] == "2026-10-01..2026-10-31" and body["targets"] is True
    total = body["total"]["metrics"]["revenue"]["value"]
    reps = [r for g in body["teams"] for r in g["reps"]]
    unassigned = body["unassigned"]["metrics"]["revenue"]["value"] if body["unassigned"] else 0
    assert sum(r["metrics"]["revenue"]["value"] or 0 for r in reps) + unassigned == total
    assert total == board.total.figures["revenue"].value
    assert body["units"]["revenue"] == "money" and body["units"]["target"] == "money"
    by_name = _api(client, "/api/v1/team", sort="name").json()
    names = [r["rep"] for r in by_name["teams"][0]["reps"]]
    assert names == sorted(names)


def test_team_api_errors_are_problems(client: TestClient) -> None:
    for path, params, status in (
        ("/api/v1/team", {"sort": "bogus"}, 422),
        ("/api/v1/team", {"period": "someday"}, 422),
        ("/api/v1/team", {"period": "9999-12"}, 422),
        ("/api/v1/team/reps/3", {"period": "0001-01"}, 422),
        ("/api/v1/team", {"as_of": "yesterday"}, 422),
        ("/api/v1/team/reps/99999", {}, 404),
    ):
        r = client.get(path, params=params)
        assert r.status_code == status, (path, params)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == status and r.json()["detail"]


def test_rep_api(client: TestClient) -> None:
    board = _api(client, "/api/v1/team").json()
    rep = board["teams"][0]["reps"][0]
    body = _api(client, f"/api/v1/team/reps/{rep['rep_id']}").json()
    assert body["rep"]["name"] == rep["rep"] and body["rank"] == rep["rank"]
    assert len(body["trend"]) == 12 and len(body["recent_won"]) <= 10
    cards = {c["name"]: c for c in body["cards"]}
    assert cards["revenue"]["value"] == rep["metrics"]["revenue"]["value"]
    assert set(body["activities"]) <= {"call", "email", "meeting", "task"}
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/team" in paths and "/api/v1/team/reps/{rep_id}" in paths


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_every_rep_page_renders(client: TestClient, ws: Workspace, lang: str) -> None:
    reps = team.leaderboard(ws, EVERYTHING, "this_month").reps()
    heading = {"uk": "Активності за типом", "en": "Activities by type"}[lang]
    for x in reps:
        page = client.get(f"/team/rep/{x.rep_id}", params={"lang": lang})
        assert page.status_code == 200, x.name
        assert x.name and x.name in page.text and heading in page.text
        assert 'id="rep-trend-data"' in page.text and 'data-metric="revenue"' in page.text


@pytest.mark.parametrize(("lang", "words"), [("uk", "Менеджера не знайдено"),
                                             ("en", "Rep not found")])  # fmt: skip
def test_an_unknown_rep_is_a_404_page_in_the_language(
    client: TestClient, lang: str, words: str
) -> None:
    page = client.get("/team/rep/99999", params={"lang": lang})
    assert page.status_code == 404 and words in page.text
    assert f'<html lang="{lang}">' in page.text


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_team_page_wraps_a_live_leaderboard(client: TestClient, lang: str) -> None:
    page = client.get("/team", params={"lang": lang, "period": "last_month", "sort": "win_rate"})
    assert page.status_code == 200
    query = f"period=last_month&amp;sort=win_rate&amp;dir=desc&amp;lang={lang}"
    live = f'data-live="/team/leaderboard?{query}"'
    assert live in page.text and '<script src="/static/live.js" defer></script>' in page.text
    assert 'href="/team/rep/' in page.text and 'id="team-chart"' in page.text
    assert {"uk": "Рейтинг", "en": "Leaderboard"}[lang] in page.text
    bad = client.get("/team", params={"lang": lang, "sort": "bogus"})
    assert bad.status_code == 422 and "bogus" in bad.text


def test_the_fragment_is_the_table_and_is_computed_once(client: TestClient) -> None:
    params = {"period": "this_month", "lang": "en", "sort": "activities"}
    first = client.get("/team/leaderboard", params=params)
    assert first.status_code == 200 and first.text.lstrip().startswith('<div class="scroll">')
    assert "<html" not in first.text and 'data-testid="leaderboard"' in first.text
    computed = web_team._FRAGMENTS.computed
    for _ in range(20):
        assert client.get("/team/leaderboard", params=params).text == first.text
    assert web_team._FRAGMENTS.computed == computed
    page = client.get("/team", params={**params}).text
    assert first.text in page  # the page embeds exactly what the live refresh fetches


def test_rep_cards_fragment_is_live(client: TestClient, ws: Workspace) -> None:
    rep = team.leaderboard(ws, EVERYTHING, "this_month").reps()[0]
    page = client.get(f"/team/rep/{rep.rep_id}", params={"lang": "uk"}).text
    url = f"/team/rep/{rep.rep_id}/cards?period=this_month&amp;lang=uk"
    assert f'data-live="{url}"' in page and '<script src="/static/live.js" defer></script>' in page
    cards = client.get(url.replace("&amp;", "&"))
    assert cards.status_code == 200 and "<html" not in cards.text
    assert cards.text.count('class="card"') >= 8 and "Виручка" in cards.text
    missing = client.get("/team/rep/99999/cards")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
