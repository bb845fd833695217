"""The metric API and the Overview page over a demo workspace, on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import DEMO_AS_OF
from signed_in import owner_client

AS_OF = DEMO_AS_OF


@pytest.fixture(scope="module")
def client(demo_url: str) -> Iterator[TestClient]:
    with owner_client(demo_url) as c:
        yield c


def post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json={"as_of": AS_OF.isoformat(), **body})


def test_metric_list_and_definition(client: TestClient) -> None:
    body = client.get("/api/v1/metrics").json()
    names = [m["name"] for m in body["data"]]
    assert body["count"] == len(names) and "win_rate" in names and "won_amount_squared" not in names
    shown = client.get("/api/v1/metrics/win_rate").json()
    assert shown["numerator"] == "deals_won" and shown["defined_at"].startswith("builtin:")


def test_query_matches_the_python_api(client: TestClient) -> None:
    body = {"metrics": ["revenue", "win_rate"], "period": "2026-10", "by": ["channel"],
            "compare": "previous"}  # fmt: skip
    got = post(client, "/api/v1/metrics/query", body).json()
    assert got["period"] == "2026-10-01..2026-10-31"
    assert got["comparison_period"] == "2026-09-01..2026-09-30"
    ws = client.app.state.workspace  # type: ignore[attr-defined]
    direct = ws.metrics.query(["revenue", "win_rate"], period="2026-10", by=["channel"],
                              compare="previous", as_of=AS_OF).rows()  # fmt: skip
    assert [r["revenue"] for r in got["rows"]] == [r["revenue"] for r in direct]
    rated = [r for r in got["rows"] if r["win_rate"] is not None]
    assert rated and all(r["win_rate__low"] <= r["win_rate"] <= r["win_rate__high"] for r in rated)


def test_explain_returns_sql(client: TestClient) -> None:
    got = post(client, "/api/v1/metrics/explain", {"metrics": ["aov"], "period": "2026-10"})
    assert got.status_code == 200
    assert {d["metric"] for d in got.json()["definitions"]} == {"aov", "revenue", "orders"}
    assert all(q["sql"].startswith("SELECT") for q in got.json()["queries"])


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"metrics": ["revenu"]}, "unknown metric 'revenu'"),
        ({"metrics": ["revenue"], "by": ["colour"]}, "cannot be broken down by 'colour'"),
        ({"metrics": ["revenue"], "as_of": "26.11.2026"}, "is not a date"),
    ],
)
def test_bad_queries_are_problem_json(
    client: TestClient, body: dict[str, Any], detail: str
) -> None:
    response = client.post("/api/v1/metrics/query", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert detail in response.json()["detail"]


def test_overview_page_in_both_languages(client: TestClient) -> None:
    uk = client.get("/?lang=uk")
    assert uk.status_code == 200
    assert "Виручка" in uk.text and "Частка виграних угод" in uk.text and "₴" in uk.text
    en = client.get("/?lang=en").text
    assert "Revenue" in en and "Win rate" in en and "Revenue by rep this month" in en
    data = client.get("/api/v1/overview").json()
    assert [c["name"] for c in data["cards"]][:3] == ["revenue", "orders", "aov"]
    assert len(data["trend"]) == 24
    assert client.get("/static/vendor/plotly.min.js").status_code == 200


def test_openapi_lists_the_metric_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/metrics", "/api/v1/metrics/query", "/api/v1/metrics/explain",
                 "/api/v1/overview"):  # fmt: skip
        assert path in paths


def test_explorer_page_csv_and_errors(client: TestClient) -> None:
    page = client.get("/explore?metric=win_rate&by=channel&grain=quarter&period=2026&lang=uk")
    assert page.status_code == 200 and "Частка виграних угод" in page.text and "SELECT" in page.text
    csv_text = client.get("/explore.csv?metric=revenue&by=rep&period=2026-10").text
    header, *rows = csv_text.strip().splitlines()
    assert header == "period,rep,revenue" and len(rows) >= 5
    bad = client.get("/explore?metric=revenue&by=colour&lang=en")
    assert bad.status_code == 422 and "cannot be broken down by" in bad.text
