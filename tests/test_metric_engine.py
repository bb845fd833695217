"""The metric engine on the demo, on both engines: properties, user KPIs, explain, bad requests."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import DEMO_AS_OF
from salesmetrics.domain.errors import DefinitionError, QueryError
from salesmetrics.domain.periods import DateRange
from salesmetrics.services.workspace import Workspace, open_workspace

AS_OF = DEMO_AS_OF
SNAPSHOTS = Path(__file__).parent / "snapshots"

USER_KPI = """\
metrics:
  - name: kyiv_new_customer_revenue
    label: {en: "Revenue from new customers in Kyiv", uk: "Виручка від нових клієнтів у Києві"}
    description: {en: "Paid order lines of customers acquired this period, Kyiv region.",
                  uk: "Оплачені рядки клієнтів, залучених у цьому періоді, Київ."}
    type: simple
    source: order_lines
    measure: {expr: line_total_minor, agg: sum}
    filters: ["order_status == 'paid'", "customer_region == 'м. Київ'",
              "days(ordered_at - customer_acquired_at) <= 90"]
    unit: money
"""


@pytest.fixture(scope="module")
def ws(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    old = os.environ.get("SALESMETRICS_METRICS_DIR")
    os.environ["SALESMETRICS_METRICS_DIR"] = str(tmp_path_factory.mktemp("user-metrics"))
    w = open_workspace(demo_url)
    yield w
    w.close()
    if old is None:
        os.environ.pop("SALESMETRICS_METRICS_DIR", None)
    else:
        os.environ["SALESMETRICS_METRICS_DIR"] = old


def q(ws: Workspace, metrics: list[str], **kw: Any) -> list[dict[str, Any]]:
    kw.setdefault("as_of", AS_OF)
    return ws.metrics.query(metrics, **kw).rows()


ADDITIVE = ["revenue", "orders", "new_customers", "deals_won", "won_amount", "activities",
            "leads_created", "marketing_spend", "nps_responses", "gross_margin"]  # fmt: skip


@pytest.mark.parametrize("dim", ["rep", "channel", "region", "team"])
def test_additive_metrics_sum_over_any_dimension_to_the_total(ws: Workspace, dim: str) -> None:
    metrics = [m for m in ADDITIVE if _supports(ws, m, dim)]
    total = q(ws, metrics, period="2026-01-01..2026-06-30", grain="quarter")
    split = q(ws, metrics, period="2026-01-01..2026-06-30", grain="quarter", by=[dim])
    sums: dict[tuple[date, str], float] = defaultdict(float)
    for row in split:
        for m in metrics:
            sums[(row["period"], m)] += row[m]
    for row in total:
        for m in metrics:
            assert sums[(row["period"], m)] == pytest.approx(row[m], abs=len(split)), (m, dim)
            assert row[m] > 0, m  # the demo has data, so the property is not vacuous


def _supports(ws: Workspace, metric: str, dim: str) -> bool:
    try:
        ws.metrics.explain([metric], period="2026-01", by=[dim], as_of=AS_OF)
    except QueryError:
        return False
    return True


def test_ratios_recompute_from_their_parts(ws: Workspace) -> None:
    pairs = {"aov": ("revenue", "orders"), "win_rate": ("deals_won", "deals_closed"),
             "cac": ("marketing_spend", "new_customers"),
             "lead_conversion_rate": ("leads_converted", "leads_created")}  # fmt: skip
    names = sorted({n for pair in pairs.values() for n in pair} | set(pairs))
    rows = q(ws, names, period="2026-01-01..2026-10-31", grain="month", by=["channel"])
    checked = 0
    for row in rows:
        for ratio, (num, den) in pairs.items():
            if row[den]:
                assert row[ratio] == pytest.approx(row[num] / row[den], abs=0.51), ratio
                checked += 1
            else:
                assert row[ratio] is None
    assert checked > 20


def test_comparison_equals_two_separate_queries(ws: Workspace) -> None:
    names = ["revenue", "win_rate", "nps", "orders", "pipeline_value"]
    both = q(ws, names, period="2026-10", compare="previous", by=["rep"])
    now = {r["rep"]: r for r in q(ws, names, period="2026-10", by=["rep"])}
    before = {r["rep"]: r for r in q(ws, names, period="2026-09", by=["rep"])}
    for row in both:
        for m in names:
            assert row[m] == now[row["rep"]][m]
            assert row[f"{m}__previous"] == before.get(row["rep"], {}).get(m, row[f"{m}__previous"])
    month_to_date = q(ws, ["orders"], period="2026-11-01..2026-11-15", compare="previous")[0]
    assert (
        month_to_date["orders__previous"]
        == q(ws, ["orders"], period="2026-10-01..2026-10-15")[0]["orders"]
    )


def test_a_comparison_overlapping_the_range_equals_two_separate_queries(ws: Workspace) -> None:
    """A year ago of 18 months overlaps them: each range is still read whole."""
    names = ["revenue", "win_rate", "pipeline_value", "leads_created"]
    (both,) = q(ws, names, period="2025-03-01..2026-08-31", compare="year_ago")
    (before,) = q(ws, names, period="2024-03-01..2025-08-31")
    assert all(both[f"{m}__previous"] == before[m] for m in names)
    assert both["revenue__previous"] > 0


def test_empty_periods_appear_with_zero_or_nothing(ws: Workspace) -> None:
    rows = q(ws, ["revenue", "aov", "win_rate"], period="2030-01-01..2030-03-31", grain="month")
    assert [r["period"] for r in rows] == [date(2030, 1, 1), date(2030, 2, 1), date(2030, 3, 1)]
    assert all(r["revenue"] == 0 and r["aov"] is None and r["win_rate"] is None for r in rows)


def test_rates_carry_wilson_intervals(ws: Workspace) -> None:
    (row,) = q(ws, ["win_rate", "csat"], period="2026-10")
    for m in ("win_rate", "csat"):
        assert row[f"{m}__low"] < row[m] < row[f"{m}__high"]


def test_user_kpi_works_in_query_explain_and_cli(ws: Workspace) -> None:
    folder = Path(os.environ["SALESMETRICS_METRICS_DIR"])
    (folder / "kyiv.yaml").write_text(USER_KPI, encoding="utf-8")
    ws.metrics._catalog = None  # a new file is picked up by a fresh catalog
    try:
        (row,) = q(ws, ["kyiv_new_customer_revenue", "revenue"], period="2026-10")
        assert 0 < row["kyiv_new_customer_revenue"] < row["revenue"]
        (kyiv,) = q(ws, ["kyiv_new_customer_revenue", "revenue"], period="2026-10",
                    filters=["region=м. Київ"])  # fmt: skip
        assert 0 < kyiv["kyiv_new_customer_revenue"] < kyiv["revenue"] < row["revenue"]
        explained = ws.metrics.explain(["kyiv_new_customer_revenue"], period="2026-10").as_dict()
        assert explained["definitions"][0]["defined_at"].endswith("kyiv.yaml:2")
        assert "line_total_minor" in explained["queries"][0]["sql"]
    finally:
        (folder / "kyiv.yaml").unlink()
        ws.metrics._catalog = None


def test_a_broken_user_kpi_stops_with_every_problem(ws: Workspace) -> None:
    folder = Path(os.environ["SALESMETRICS_METRICS_DIR"])
    broken = USER_KPI.replace("agg: sum", "agg: total").replace("order_status", "order_state")
    (folder / "broken.yaml").write_text(broken, encoding="utf-8")
    ws.metrics._catalog = None
    try:
        with pytest.raises(DefinitionError) as err:
            q(ws, ["revenue"], period="2026-10")
        assert len(err.value.problems) == 2  # the bad agg and the unknown column, at once
        assert "broken.yaml:8: metric 'kyiv_new_customer_revenue', measure.agg" in str(err.value)
        assert "unknown column 'order_state'" in str(err.value)
    finally:
        (folder / "broken.yaml").unlink()
        ws.metrics._catalog = None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metrics": ["revenu"]}, "unknown metric 'revenu'; did you mean revenue"),
        ({"by": ["colour"]}, "cannot be broken down by 'colour'; it can be by: rep, team"),
        ({"grain": "fortnight"}, "unknown grain 'fortnight': use one of day, week, month"),
        ({"period": "last_decade"}, "'last_decade' is not a period: use YYYY-MM-DD..YYYY-MM-DD"),
        (
            {"variants": {"returns": "sometimes"}},
            "no variant returns=sometimes; options: gross, net",
        ),
        ({"variants": {"colour": "red"}}, "unknown variant colour; these metrics have: returns"),
        ({"filters": ["rep"]}, "filter 'rep' is not DIMENSION=VALUE"),
        ({"compare": "lastweek"}, "unknown comparison 'lastweek': use previous"),
    ],
)
def test_bad_requests_say_what_is_valid(
    ws: Workspace, kwargs: dict[str, Any], message: str
) -> None:
    kwargs = dict(kwargs)  # the parameters are shared by both engines
    metrics = kwargs.pop("metrics", ["revenue"])
    with pytest.raises(QueryError, match=None) as err:
        ws.metrics.query(metrics, as_of=AS_OF, **kwargs)
    assert message in err.value.message


def test_explain_compiles_every_metric_and_variant(ws: Workspace) -> None:
    catalog = ws.metrics.catalog
    for name in catalog.names(include_hidden=True):
        metric = catalog.get(name)
        combos = [{}] + [{a: o} for a, x in metric.variants.items() for o in x.options]
        for variants in combos:
            data = ws.metrics.explain([name], period="2026-10", grain="week",
                                      variants=variants, compare="year_ago").as_dict()  # fmt: skip
            assert data["queries"] and all(qq["sql"].startswith("SELECT") for qq in data["queries"])
            assert data["definitions"][0]["variants"] == {
                a: variants.get(a, x.default) for a, x in metric.variants.items()
            }


def test_every_public_metric_runs_by_month(ws: Workspace) -> None:
    names = ws.metrics.catalog.names()
    rows = q(ws, names, period="2026-07-01..2026-10-31", grain="month")
    assert len(rows) == 4
    empty = [n for n in names if all(r[n] is None for r in rows)]
    assert empty == []


@pytest.mark.parametrize("case", ["revenue_by_rep_month", "win_rate_quarter", "headline_compare"])
def test_compiled_sql_matches_the_snapshot(ws: Workspace, case: str) -> None:
    requests = {
        "revenue_by_rep_month": (["revenue"], {"period": "2026-01-01..2026-03-31",
                                               "grain": "month", "by": ["rep"]}),
        "win_rate_quarter": (["win_rate"], {"period": "2026-01-01..2026-06-30",
                                            "grain": "quarter"}),
        "headline_compare": (["pipeline_value", "sales_cycle_days", "csat"],
                             {"period": "2026-10", "compare": "previous"}),
    }  # fmt: skip
    metrics, kw = requests[case]
    data = ws.metrics.explain(metrics, as_of=AS_OF, **kw).as_dict()
    sql = "\n;\n".join(qq["sql"] for qq in data["queries"]) + "\n"
    path = SNAPSHOTS / f"{case}.{ws.store.dialect.value}.sql"
    if os.environ.get("SALESMETRICS_UPDATE_SNAPSHOTS") == "1":
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with SALESMETRICS_UPDATE_SNAPSHOTS=1"
    assert sql == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("grain", "by", "filters"),
    [("month", [], []), ("week", ["rep"], []), ("quarter", ["team"], ["channel!=SEO"]),
     (None, ["channel"], ["status=paid"])],
)  # fmt: skip
def test_rollups_give_the_same_answers_as_the_base_tables(
    ws: Workspace, grain: str | None, by: list[str], filters: list[str]
) -> None:
    names = ["revenue", "orders", "aov", "gross_margin", "win_rate", "avg_deal_size",
             "lead_conversion_rate", "nps", "csat", "pipeline_value", "open_deals",
             "new_customers"]  # fmt: skip
    if filters == ["status=paid"]:
        names = ["orders"]
    request = ws.metrics.request(names, period="2025-06-01..2026-10-31", grain=grain, by=by,
                                 filters=filters, as_of=AS_OF)  # fmt: skip
    fast = ws.metrics.engine(use_rollups=True)
    read = {leaf.metric.source for qq in fast.plan(request).queries for leaf in qq.leaves}
    if names != ["orders"]:
        assert {"rollup_deals_daily", "rollup_leads_daily", "rollup_customers_daily"} <= read
        # feedback scores, and deals by creation and close day (for period-end states), are
        # kept company-wide only
        assert ("rollup_feedback_daily" in read) == ("rollup_deal_days" in read) == (not by)
    assert any("rollup_" in qq.sql for qq in fast.plan(request).queries)
    assert fast.run(request).rows() == ws.metrics.engine(use_rollups=False).run(request).rows()


@pytest.mark.parametrize(
    ("condition", "served"),
    [("created_at < period_end and (status == 'open' or closed_at >= period_end)", True),
     ("period_end > created_at and (status == 'open' or period_end <= closed_at)", True),
     ("created_at <= period_end and status == 'open'", False),  # midnight itself: not a day
     ("days(period_end - created_at) > 30 and status == 'open'", False),
     ("created_at < period_end and stage_probability > 0.5", False)],  # not in the rollup
)  # fmt: skip
def test_period_end_states_read_days_only_where_that_is_exact(
    ws: Workspace, condition: str, served: bool
) -> None:
    from salesmetrics.metrics.compile import Leaf
    from salesmetrics.metrics.rollups import serve
    from salesmetrics.metrics.sources import ROLLUPS

    metric = ws.metrics.catalog.get("pipeline_value").model_copy(
        update={"at_period_end": condition}
    )
    leaf = Leaf("pipeline_value", metric)
    ctx = ws.metrics.engine().context(ws.metrics.request(["pipeline_value"], as_of=AS_OF),
                                      DateRange(AS_OF, AS_OF))  # fmt: skip
    rollups = [r for r in ROLLUPS if r.source == "deals"]
    assert (serve(leaf, rollups, ctx).metric.source == "rollup_deal_days") is served


def test_a_stale_rollup_is_never_read(ws: Workspace) -> None:
    request = ws.metrics.request(["revenue"], period="2026-10", as_of=AS_OF)
    assert any("rollup_" in qq.sql for qq in ws.metrics.engine().plan(request).queries)
    ws.store.write(lambda tx: None)  # any write moves the data version on
    assert not any("rollup_" in qq.sql for qq in ws.metrics.engine().plan(request).queries)
    ws.metrics.refresh_rollups()
    assert any("rollup_" in qq.sql for qq in ws.metrics.engine().plan(request).queries)
