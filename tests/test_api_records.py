"""Record lists over the API: filters, sorting, cursor pages, errors; the same on both engines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from salesmetrics.api import schemas
from salesmetrics.services import records
from salesmetrics.services.workspace import init_workspace
from salesmetrics.storage.open import open_store
from salesmetrics.storage.repositories import bulk
from signed_in import owner_client

KINDS = ("deals", "leads", "customers", "orders", "reps", "products")
KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture(scope="module")
def client(demo_url: str) -> Iterator[TestClient]:
    with owner_client(demo_url) as c:
        yield c


def walk(client: TestClient, path: str) -> list[dict[str, Any]]:
    """Every record of a list, page after page through the `next` links."""
    out: list[dict[str, Any]] = []
    url: str | None = path
    while url:
        body = client.get(url).json()
        out += body["data"]
        assert len(body["data"]) <= body["limit"]
        url = body["next"]
    return out


def test_every_kind_lists_counts_and_shows_one(client: TestClient) -> None:
    tables = client.get("/api/v1/workspace").json()["tables"]
    for kind in KINDS:
        body = client.get(f"/api/v1/{kind}").json()
        assert body["count"] == tables[kind] > 0
        assert len(body["data"]) == min(50, tables[kind]) and body["sort"] == "id"
        first = body["data"][0]
        assert client.get(f"/api/v1/{kind}/{first['id']}").json() == first


def test_money_is_minor_units_with_currency(client: TestClient) -> None:
    order = client.get("/api/v1/orders?limit=1&sort=-total").json()["data"][0]
    total = order["total"]
    assert isinstance(total["minor"], int) and total["currency"] == order["currency"]
    assert total["amount"] == f"{total['minor'] // 100}.{total['minor'] % 100:02d}"


@pytest.mark.parametrize(
    ("sort", "key"),
    [("-amount", "amount"), ("closed_at", "closed_at"), ("-closed_at", "closed_at"),
     ("title", "title"), ("-expected_close_on", "expected_close_on")],
)  # fmt: skip
def test_pages_follow_the_sort_and_cover_every_record_once(
    client: TestClient, sort: str, key: str
) -> None:
    got = walk(client, f"/api/v1/deals?limit=173&sort={sort}")
    everything = walk(client, "/api/v1/deals?limit=500")
    assert sorted(r["id"] for r in got) == [r["id"] for r in everything]

    def value(r: dict[str, Any]) -> Any:
        v = r[key]
        return v["minor"] if isinstance(v, dict) else v

    desc = sort.startswith("-")
    present = sorted((r for r in everything if value(r) is not None),
                     key=lambda r: (value(r), r["id"]), reverse=desc)  # fmt: skip
    nulls = sorted((r for r in everything if value(r) is None), key=lambda r: r["id"],
                   reverse=desc)  # fmt: skip
    assert [r["id"] for r in got] == [r["id"] for r in present + nulls]  # nulls last both ways


def test_filters_match_the_records(client: TestClient) -> None:
    everything = walk(client, "/api/v1/deals?limit=500")
    rep = everything[0]["rep_id"]
    got = walk(client, f"/api/v1/deals?status=won&status=lost&rep_id={rep}&limit=500")
    want = [r for r in everything if r["status"] in ("won", "lost") and r["rep_id"] == rep]
    assert got == want and got
    # created_from/to are local dates of the workspace (Europe/Kyiv), both ends included
    page = client.get("/api/v1/deals?created_from=2026-03-01&created_to=2026-03-31&limit=500")
    lo, hi = datetime(2026, 3, 1, tzinfo=KYIV), datetime(2026, 4, 1, tzinfo=KYIV)
    within = [r["id"] for r in everything
              if lo <= datetime.fromisoformat(r["created_at"]) < hi]  # fmt: skip
    assert [r["id"] for r in page.json()["data"]] == within and page.json()["count"] == len(within)


def test_other_kinds_filter(client: TestClient) -> None:
    orders = client.get("/api/v1/orders?status=refunded&placed_from=2026-01-01&limit=5").json()
    assert orders["count"] > 0 and all(o["status"] == "refunded" for o in orders["data"])
    reps = client.get("/api/v1/reps?team_id=1&active=true").json()["data"]
    assert reps and all(r["team_id"] == 1 and r["active"] for r in reps)
    region = client.get("/api/v1/customers?limit=1").json()["data"][0]["region"]
    customers = client.get("/api/v1/customers", params={"region": region, "limit": 500}).json()
    assert customers["count"] > 0 and {c["region"] for c in customers["data"]} == {region}
    category = client.get("/api/v1/products?limit=1").json()["data"][0]["category"]
    products = client.get("/api/v1/products", params={"category": category}).json()["data"]
    assert products and {p["category"] for p in products} == {category}
    leads = client.get("/api/v1/leads?status=converted&sort=-decided_at&limit=3").json()["data"]
    assert [r["status"] for r in leads] == ["converted"] * 3
    assert leads[0]["decided_at"] >= leads[1]["decided_at"] >= leads[2]["decided_at"]


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["title"]
    return body


def test_wrong_requests_are_problems_that_say_what_is_allowed(client: TestClient) -> None:
    body = problem(client.get("/api/v1/deals?status=pending"), 422)
    reason = "Input should be 'open', 'won' or 'lost' (got 'pending')"
    assert body["errors"] == [{"location": "query", "name": "status", "reason": reason}]
    body = problem(client.get("/api/v1/deals?sort=colour"), 422)
    assert "'-amount'" in body["detail"] and "'closed_at'" in body["detail"]
    body = problem(client.get("/api/v1/deals?colour=red"), 422)
    assert body["errors"][0]["name"] == "colour"
    assert "unknown parameter; use " in body["detail"] and "created_from" in body["detail"]
    body = problem(client.get("/api/v1/orders?limit=501"), 422)
    assert body["errors"][0]["name"] == "limit"
    body = problem(client.get("/api/v1/deals?created_from=2026-05-01&created_to=2026-04-01"), 422)
    assert "created_from 2026-05-01 is after created_to 2026-04-01" in body["detail"]
    cursor = client.get("/api/v1/deals?limit=1&sort=-amount").json()["next_cursor"]
    body = problem(client.get(f"/api/v1/deals?cursor={cursor}"), 422)
    assert "cursor belongs to sort=-amount" in body["detail"]
    assert "start again" in problem(client.get("/api/v1/deals?cursor=bm9wZQ"), 422)["detail"]
    assert problem(client.get("/api/v1/deals/0"), 422)["errors"][0]["name"] == "record_id"


def test_missing_things_are_404_and_wrong_methods_405(client: TestClient) -> None:
    assert problem(client.get("/api/v1/deals/987654321"), 404)["detail"] == (
        "no deal with id 987654321"
    )
    assert "no such endpoint" in problem(client.get("/api/v1/invoices"), 404)["detail"]
    assert "unknown metric" in problem(client.get("/api/v1/metrics/revenu"), 404)["detail"]
    moved = client.delete("/api/v1/orders")
    assert problem(moved, 405)["detail"] == "DELETE is not allowed on /api/v1/orders: use GET"
    assert moved.headers["allow"] == "GET"


def test_openapi_documents_every_api_operation(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas_ = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas_ and "ValidationProblem" in schemas_
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/") or path == "/api/v1/live":
            continue
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            ok = {k: v for k, v in op["responses"].items() if k.startswith("2") and k != "204"}
            assert ok or "204" in op["responses"], where
            for response in ok.values():  # every JSON success names its schema
                json_ = {k: c for k, c in response["content"].items() if "json" in k}
                assert all(c.get("schema") for c in json_.values()), where
            assert "application/problem+json" in op["responses"]["500"]["content"], where
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], where
    for kind in KINDS:
        assert (
            f"/api/v1/{kind}" in spec["paths"] and f"/api/v1/{kind}/{{record_id}}" in spec["paths"]
        )
    deals = spec["paths"]["/api/v1/deals"]["get"]
    sort = next(p for p in deals["parameters"] if p["name"] == "sort")
    assert "-created_at" in sort["schema"]["enum"]


@pytest.mark.parametrize(
    "model",
    [schemas.DealOut, schemas.LeadOut, schemas.CustomerOut, schemas.OrderOut, schemas.RepOut,
     schemas.ProductOut, schemas.MetricDefinitionOut],
)  # fmt: skip
def test_schema_examples_are_valid(model: type[schemas.BaseModel]) -> None:
    examples = model.model_json_schema()["examples"]
    assert examples and all(model.model_validate(e) for e in examples)


# ---- the same answers on DuckDB and PostgreSQL, on data made to tie, hold nulls and mix case ----

NAMES = ["alpha", "Beta", "beta", "Єва", "ärger", "Zulu", "zulu", None, "Ω", "a b", "a-b", "A"]


def _deals(n: int) -> pa.Table:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return pa.table({
        "external_id": [f"D{i}" for i in range(n)],
        "pipeline_id": [1] * n,
        "stage_id": [1 + i % 3 for i in range(n)],
        "title": [NAMES[i % len(NAMES)] for i in range(n)],
        "status": [("open", "won", "lost")[i % 3] for i in range(n)],
        "amount_minor": [(i % 5) * 1000 for i in range(n)],
        "currency": ["UAH" if i % 4 else "USD" for i in range(n)],
        "owner_rep_id": [None if i % 7 == 0 else i % 3 + 1 for i in range(n)],
        "created_at": [start + timedelta(hours=5 * (i // 2)) for i in range(n)],
        "closed_at": [None if i % 3 == 0 else start + timedelta(days=i % 4) for i in range(n)],
    })  # fmt: skip


def _answers(url: str) -> dict[str, Any]:
    init_workspace(url, {})
    store = open_store(url)
    store.write(lambda tx: bulk.load(tx, "deals", _deals(61)))
    store.close()
    out: dict[str, Any] = {}
    with owner_client(url) as c:
        for sort in ("title", "-title", "amount", "-amount", "closed_at", "-closed_at", "-id"):
            for query in ("", "&status=won&status=open", "&currency=USD&rep_id=2",
                          "&closed_from=2026-01-02&created_to=2026-01-03"):  # fmt: skip
                path = f"/api/v1/deals?limit=7&sort={sort}{query}"
                out[path] = walk(c, path)
        out["one"] = c.get("/api/v1/deals/5").json()
    return out


def test_duckdb_and_postgres_give_identical_pages(tmp_path: Path, pg_url: str) -> None:
    duck, pg = _answers(str(tmp_path / "w.duckdb")), _answers(pg_url)
    assert json.dumps(duck, sort_keys=True) == json.dumps(pg, sort_keys=True)
    titles = [r["title"] for r in duck["/api/v1/deals?limit=7&sort=title"]]
    present = [t for t in titles if t is not None]
    assert present == sorted(present) and titles[-1] is None  # code point order, nulls last
    assert len(duck["/api/v1/deals?limit=7&sort=-id"]) == 61
    assert date(2026, 1, 1).isoformat() in duck["one"]["created_at"]


def test_docs_name_every_filter_and_sort_field() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    filters, sorts = text.split("### Filters")[1].split("### Sorting")
    for kind in KINDS:
        row = next(line for line in filters.splitlines() if line.startswith(f"| {kind} |"))
        assert all(f"`{name}`" in row for name in records.FILTERS[kind]), kind
        row = next(line for line in sorts.splitlines() if line.startswith(f"| {kind} |"))
        assert all(f"`{key}`" in row for key in records.sort_keys(kind)[::2]), kind
        assert f"`GET /api/v1/{kind}`, `GET /api/v1/{kind}/{{id}}`" in text


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"as_of": "0001-01-01", "period": "last_month"}, "the as-of date is 0001-01-01"),
        ({"period": "0001", "compare": "previous"}, "the start of period '0001' is 0001-01-01"),
        ({"period": "2026", "filters": ["rep=\u0000"]}, "String should match pattern"),
    ],
)
def test_metric_queries_beyond_the_calendar_are_422(
    client: TestClient, body: dict[str, Any], detail: str
) -> None:
    for endpoint in ("query", "explain"):
        got = client.post(f"/api/v1/metrics/{endpoint}", json={"metrics": ["revenue"], **body})
        assert detail in problem(got, 422)["detail"]
