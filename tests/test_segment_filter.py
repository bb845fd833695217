"""The customer segment filter, on DuckDB and PostgreSQL: a view narrowed to one stored segment
filters the metric engine, record lists, the pipeline and the API; the pages apply it (or say
they do not), remember it, and clear it; stored segments follow imports and reverts; the
server loop refreshes them at a new day and after changes settle."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from conftest import DEMO_AS_OF
from salesmetrics.domain.access import EVERYTHING, LOCAL, Scope
from salesmetrics.domain.errors import QueryError
from salesmetrics.services import records
from salesmetrics.services.imports.model import ImportRequest
from salesmetrics.services.imports.revert import revert_import
from salesmetrics.services.imports.run import run_import
from salesmetrics.services.live import data_version
from salesmetrics.services.pipeline import common, funnel
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments.picker import picker
from salesmetrics.services.segments.refresh import Keeper
from salesmetrics.services.workspace import Workspace, init_workspace, workspace
from salesmetrics.storage.repositories import segment_sizes
from salesmetrics.storage.repositories.customer_behaviour import segments_computed_from
from salesmetrics.web.app import create_app
from signed_in import browser_client, owner_client

SEGMENT = "champions"
PERIOD = "2026-01-01..2026-11-25"
PAGES = ("/", "/explore", "/team", "/pipeline", "/customers", "/records",
         "/records?kind=orders", "/records?kind=deals")  # fmt: skip
NOT_APPLIED = ("/targets", "/leads", "/alerts", "/records?kind=leads", "/account")


def _members(ws: Workspace, code: str) -> set[int]:
    return {int(r[0]) for r in ws.store.fetchall(
        "SELECT id FROM customer_segments WHERE segment = ?", [code])}  # fmt: skip


def _view(code: str | None = SEGMENT) -> Scope:
    return replace(EVERYTHING, segment=code)


def test_a_segment_view_filters_the_metric_engine_and_leaves_out_what_it_cannot_split(
    demo_url: str,
) -> None:
    with workspace(demo_url) as ws:
        m = ws.metrics
        narrowed = m.query(["revenue", "orders"], period=PERIOD, scope=_view()).rows()[0]
        filtered = m.query(["revenue", "orders"], period=PERIOD,
                           filters=[f"segment={SEGMENT}"]).rows()[0]  # fmt: skip
        whole = m.query(["revenue"], period=PERIOD).rows()[0]
        assert narrowed["revenue"] == filtered["revenue"]
        assert narrowed["orders"] == filtered["orders"]
        assert 0 < narrowed["revenue"] < whole["revenue"]
        shown = m.readable(["revenue", "win_rate", "cac", "lead_conversion_rate", "nps"], _view())
        assert shown == ["revenue", "win_rate", "nps"]  # spend and leads have no customer
        with pytest.raises(QueryError, match="segment"):
            m.query(["cac"], period=PERIOD, scope=_view())
        # the filter and a rep's view hold together
        rep = Scope(frozenset({1}), unassigned=False)
        both = m.query(["revenue"], period=PERIOD, scope=replace(rep, segment=SEGMENT)).rows()[0]
        only_rep = m.query(["revenue"], period=PERIOD, scope=rep).rows()[0]
        assert both["revenue"] is not None and both["revenue"] < only_rep["revenue"]


def test_record_lists_keep_the_segments_customers_and_one_record_stays_reachable(
    demo_url: str,
) -> None:
    with workspace(demo_url) as ws:
        members = _members(ws, SEGMENT)
        assert members
        page = records.list_records(ws, "customers", _view(), limit=500)
        assert page.total == len(members)
        assert {r["id"] for r in page.rows} <= members
        orders = records.list_records(ws, "orders", _view(), limit=500)
        assert orders.total and {r["customer_id"] for r in orders.rows} <= members
        leads_all = records.count_records(ws, "leads", EVERYTHING)
        assert records.count_records(ws, "leads", _view()) == leads_all  # leads: no customer
        outsider = ws.store.fetchall(
            "SELECT id FROM customers WHERE id NOT IN (SELECT id FROM customer_segments "
            "WHERE segment = ?) ORDER BY id LIMIT 1", [SEGMENT])[0][0]  # fmt: skip
        assert records.get_record(ws, "customers", int(outsider), _view())["id"] == outsider


def test_the_pipeline_of_a_segment_holds_the_deals_of_its_customers(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        who = replace(LOCAL, scope=_view("at_risk"))
        everyone = funnel.report(common.ask(ws, LOCAL, as_of=DEMO_AS_OF), None)["deals"]
        theirs = funnel.report(common.ask(ws, who, as_of=DEMO_AS_OF), None)["deals"]
        assert 0 <= theirs < everyone
        members = _members(ws, "at_risk")
        a = common.ask(ws, who, as_of=DEMO_AS_OF)
        where, params = a.deals.sql()
        customers = {r[0] for r in ws.store.fetchall(
            f"SELECT DISTINCT d.customer_id FROM deals d WHERE {where}", params)}  # fmt: skip
        assert customers <= members


def test_the_api_lists_and_exports_a_segment_and_refuses_an_unknown_one(demo_url: str) -> None:
    with owner_client(demo_url) as c:
        ws = c.app.state.workspace  # type: ignore[attr-defined]
        got = c.get("/api/v1/customers", params={"segment": "lost", "limit": 5})
        assert got.status_code == 200 and got.json()["count"] == len(_members(ws, "lost"))
        bad = c.get("/api/v1/orders", params={"segment": "vip"})
        assert bad.status_code == 422 and "champions" in bad.json()["detail"]
        file = c.get("/api/v1/exports/customers", params={"segment": "lost"})
        assert file.status_code == 200
        assert int(file.headers["X-Total-Count"]) == len(_members(ws, "lost"))


def _note(html: str) -> str | None:
    found = re.search(r'data-testid="segment-note">([^<]*)<', html)
    return found.group(1) if found else None


def _trend(html: str) -> list[float]:
    found = re.search(r'id="overview-charts"[^>]*>([^<]*)<', html)
    assert found
    return [v or 0.0 for v in json.loads(found.group(1))["trend"]["y"]]


def _en(path: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang=en"


def _client(url: str) -> TestClient:
    return browser_client(create_app(url))


def test_every_page_applies_the_chosen_segment_or_says_it_does_not(demo_url: str) -> None:
    c = _client(demo_url)
    label = picker(c.app.state.workspace, "en").label(SEGMENT)  # type: ignore[attr-defined]
    first = c.get("/", params={"segment": SEGMENT, "lang": "en"})
    assert first.status_code == 200 and "Showing only the customers in" in (_note(first.text) or "")
    assert label and label in (_note(first.text) or "")
    for path in PAGES:  # remembered: no parameter needed any more
        page = c.get(_en(path))
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert label in (_note(page.text) or ""), path
    for path in NOT_APPLIED:
        page = c.get(_en(path))
        assert page.status_code == 200, path
        assert "does not apply" in (_note(page.text) or ""), path
    cleared = c.get("/", params={"segment": "", "lang": "en"})
    assert _note(cleared.text) is None
    assert _note(c.get("/team", params={"lang": "en"}).text) is None  # forgotten as well


def test_the_overview_and_team_show_the_segments_numbers(demo_url: str) -> None:
    c = _client(demo_url)
    c.get("/", params={"segment": ""})
    whole = c.get("/", params={"lang": "en"}).text
    part = c.get("/", params={"segment": "loyal", "lang": "en"}).text
    assert 'data-testid="value-cac"' in whole and 'data-testid="value-cac"' not in part
    assert 'data-testid="value-lead_conversion_rate"' not in part
    trend = [_trend(whole), _trend(part)]  # the demo's months are behind today's
    assert 0 < sum(trend[1]) < sum(trend[0])
    expected = c.app.state.workspace.metrics.query(  # type: ignore[attr-defined]
        ["revenue"], period="2026-10-01..2026-10-31", filters=["segment=loyal"]
    ).rows()[0]
    assert trend[1][-3] == pytest.approx(expected["revenue"] / 100)  # October, in hryvnias
    cards = c.get("/fragments/overview/cards").text  # the live part follows the cookie
    assert 'data-testid="value-cac"' not in cards
    team = c.get("/team", params={"lang": "en"}).text
    assert "Activities" not in team  # not split by customer: left out
    c.get("/", params={"segment": ""})
    assert "Activities" in c.get("/team", params={"lang": "en"}).text


def test_the_explorer_breaks_down_by_segment_and_refuses_a_metric_it_cannot_split(
    demo_url: str,
) -> None:
    c = _client(demo_url)
    by = c.get("/explore", params={"metric": "revenue", "by": "segment", "grain": "",
                                   "segment": "", "lang": "en"})  # fmt: skip
    assert by.status_code == 200 and "Champions" in by.text and "Hibernating" in by.text
    no = c.get("/explore", params={"metric": "cac", "segment": SEGMENT, "lang": "en"})
    assert no.status_code == 422 and "cannot be split by customer segment" in no.text
    c.get("/", params={"segment": SEGMENT})
    got = c.get("/explore.csv", params={"metric": "revenue", "grain": "", "period": PERIOD})
    rows = list(csv.DictReader(io.StringIO(got.text)))
    expected = c.app.state.workspace.metrics.query(  # type: ignore[attr-defined]
        ["revenue"], period=PERIOD, filters=[f"segment={SEGMENT}"]
    ).rows()[0]["revenue"]
    assert len(rows) == 1 and float(rows[0]["revenue"]) == pytest.approx(expected)


def test_the_customers_page_marks_the_segment_and_keeps_its_value_and_risk(
    demo_url: str,
) -> None:
    c = _client(demo_url)
    page = c.get("/customers", params={"segment": "at_risk", "lang": "en"})
    assert page.status_code == 200
    assert re.search(r'<tr data-segment="at_risk" class="focus"', page.text)
    assert "are marked" in (_note(page.text) or "")
    assert 'data-testid="clv-focus"' in page.text


def test_clv_bands_widen_so_customers_do_not_pile_into_the_first(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        r = value.clv(ws, LOCAL, value.Settings(DEMO_AS_OF, DEMO_AS_OF))
        bands = r.distribution()
        counts = [b["customers"] for b in bands]
        assert sum(counts) == len(r.fitted.value)
        assert max(counts) < 0.5 * sum(counts), counts
        assert all(a["to_minor"] == b["from_minor"] for a, b in itertools.pairwise(bands))
        widths = [b["to_minor"] - b["from_minor"] for b in bands[1:]]
        assert widths == sorted(widths)  # geometric: each band wider than the one before
        some = r.fitted.summary.customer[:50]
        assert sum(b["customers"] for b in r.distribution(only=some)) == 50


ORDERS = (
    "order_id,date,customer,amount,status\n"
    + "".join(f"A{i},2026-0{1 + i % 9}-1{i % 10},c{i % 7}@example.com,{100 + 37 * i},paid\n"
              for i in range(40))
)  # fmt: skip


def test_stored_segments_follow_an_import_and_its_revert(store_url: str, tmp_path: Path) -> None:
    init_workspace(store_url, {})
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    with workspace(store_url) as ws:
        assert segment_sizes.sizes(ws.store).as_of is None
        report = run_import(ws, ImportRequest("orders", path))
        assert report.status == "applied", [str(i) for i in report.issues]
        stored = segment_sizes.sizes(ws.store)
        assert stored.as_of == ws.metrics.today()
        assert sum(stored.sizes.values()) == 7  # every customer with a purchase
        revert_import(ws, int(report.import_id or 0))
        assert segment_sizes.sizes(ws.store).sizes == {}
        with pytest.MonkeyPatch.context() as env:  # a batch of big imports: refresh later
            env.setenv("SALESMETRICS_SEGMENTS_AFTER_IMPORT", "off")
            again = run_import(ws, ImportRequest("orders", path))
            assert again.status == "applied" and segment_sizes.sizes(ws.store).sizes == {}


def test_the_server_loop_refreshes_at_a_new_day_and_once_changes_settle(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        calls: list[int] = []
        keeper = Keeper(ws, settle=30.0)
        import salesmetrics.services.segments.refresh as module

        original = module.after_change
        module.after_change = lambda w: calls.append(1)  # type: ignore[assignment,return-value]
        try:
            stale = keeper.stored_day != ws.metrics.today()  # the demo's day is in the past
            assert keeper.tick(5, now=0.0) is stale
            keeper.done = (5, ws.metrics.today())
            assert keeper.tick(5, now=10.0) is False  # nothing changed
            assert keeper.tick(6, now=20.0) is False  # changed: wait for it to settle
            assert keeper.tick(7, now=40.0) is False  # still changing
            assert keeper.tick(7, now=71.0) is True  # quiet for 31 s
            assert keeper.tick(7, now=200.0) is False
            keeper.done = (7, ws.metrics.today().replace(year=2000))
            assert keeper.tick(7, now=210.0) is True  # a new day
        finally:
            module.after_change = original
        assert len(calls) == 2 + int(stale)


def test_the_server_loop_does_not_redo_a_refresh_an_import_just_did(
    store_url: str, tmp_path: Path
) -> None:
    """An upload refreshes the segments itself; the loop in the same process sees that and
    does not compute them again once the change settles. A change the upload did not refresh
    after (SALESMETRICS_SEGMENTS_AFTER_IMPORT=off) is still refreshed by the loop."""
    init_workspace(store_url, {})
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    with workspace(store_url) as ws:
        keeper = Keeper(ws, settle=30.0)
        assert keeper.tick(data_version(ws), now=0.0) is True  # nothing stored yet
        report = run_import(ws, ImportRequest("orders", path))
        assert report.status == "applied"
        assert segments_computed_from(ws.store) == (data_version(ws), ws.metrics.today())
        after = data_version(ws)
        assert keeper.tick(after, now=10.0) is False
        assert keeper.tick(after, now=100.0) is False  # settled, and already current
        with pytest.MonkeyPatch.context() as env:
            env.setenv("SALESMETRICS_SEGMENTS_AFTER_IMPORT", "off")
            revert_import(ws, int(report.import_id or 0))
        reverted = data_version(ws)
        assert reverted > after
        assert segments_computed_from(ws.store) == (after, ws.metrics.today())
        assert keeper.tick(reverted, now=110.0) is False  # wait for it to settle
        assert keeper.tick(reverted, now=141.0) is True
        assert segment_sizes.sizes(ws.store).sizes == {}


@pytest.mark.postgres
def test_a_refresh_one_worker_did_is_not_redone_by_the_loop_in_another(
    pg_url: str, tmp_path: Path
) -> None:
    """With `serve --workers N` an upload may be served by a worker that does not run the loop:
    the loop's worker reads what the stored segments were computed from and does not redo
    them (it used to, when only the uploading process knew)."""
    init_workspace(pg_url, {})
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    with workspace(pg_url) as loop_worker, workspace(pg_url) as upload_worker:
        keeper = Keeper(loop_worker, settle=30.0)
        assert keeper.tick(data_version(loop_worker), now=0.0) is True  # nothing stored yet
        assert run_import(upload_worker, ImportRequest("orders", path)).status == "applied"
        after = data_version(loop_worker)
        assert segments_computed_from(loop_worker.store) == (after, loop_worker.metrics.today())
        assert keeper.tick(after, now=10.0) is False
        assert keeper.tick(after, now=100.0) is False  # settled, and already current


def test_stored_sizes_match_the_picker(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        p = picker(ws, "uk")
        counts = dict(ws.store.fetchall("SELECT segment, count(*) FROM customer_segments "
                                        "GROUP BY segment"))  # fmt: skip
        assert {o.code: o.customers for o in p.options if o.customers} == {
            str(k): int(v) for k, v in counts.items()
        }
        assert p.label("champions") == "Чемпіони" and np.all([o.label for o in p.options])
