"""Metric engine speed: the overview set, warm, against hand-written SQL and plain pandas.

Budget (issue "metric engine", on the large demo: 10M order lines, 1M deals; DuckDB, warm):
the overview set p95 < 150 ms; each generated query within 1.3x of a hand-written SQL query for
the same answer; at least 10x faster than a plain pandas implementation of the same KPIs. The
same set is reported on PostgreSQL (engine, generated SQL and hand SQL; no pandas).

The overview set, as of the demo's last day (the local date of the latest order):
  headline  12 KPIs this month to date, compared with the same days of the previous month;
  trend     revenue by month, the 24 whole months ending with as_of's month;
  by_rep    revenue by rep, this month to date.

Per query of the set, each way is warmed up `warmup` times, then the ways are timed in turn,
run by run, `runs` times (p50, p95 ms; interleaved, so a busy moment hits every way alike):
  engine     ws.metrics.query(...) end to end (plan + compile + SQL + composition);
  generated  the plan's SQL statements run directly with ws.store.fetch_arrow (their sum);
  hand       one hand-written statement per query, same answer (checked), same fetch path;
  pandas     the same KPIs on DataFrames loaded once (load time reported, not timed).
Every way's answer is checked against the engine's (money exact, rates to 1e-9).

The demo is all in UAH (the base currency), so the hand SQL and pandas skip currency
conversion; so does the engine's SQL, which joins fx_rates only when a table holds amounts in
another currency (checked once per data version).

`python bench/metrics_bench.py --db PATH [--pg URL] [--as-of YYYY-MM-DD]` writes
bench/results/metrics.json (--pg figures go under "postgres") and prints a table;
`bench_metrics(url)` returns the figures (bench/run.py uses it on the large demo).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from salesmetrics.services.workspace import Workspace, open_workspace

RESULTS = Path(__file__).parent / "results"
BUDGET = {"p95_ms": 150.0, "generated_vs_hand": 1.3, "pandas_vs_engine": 10.0}
HEADLINE = [
    "revenue", "orders", "aov", "new_customers", "win_rate", "avg_deal_size",
    "lead_conversion_rate", "sales_cycle_days", "pipeline_value", "cac", "nps", "csat",
]  # fmt: skip
MONEY = {"revenue", "aov", "avg_deal_size", "pipeline_value", "cac"}
COUNTS = {"orders", "new_customers"}

# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Local days first..last, as the UTC instants [lo, hi) that cut them."""

    first: date
    last: date
    lo: datetime
    hi: datetime


@dataclass(frozen=True)
class Periods:
    as_of: date
    current: Window  # this month to date
    previous: Window  # the same days of the previous month
    trend: Window  # 24 whole months ending with as_of's month

    @property
    def trend_period(self) -> str:
        return f"{self.trend.first.isoformat()}..{self.trend.last.isoformat()}"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _window(first: date, last: date, zone: str) -> Window:
    def cut(day: date) -> datetime:
        local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
        return local.astimezone(UTC)

    return Window(first, last, cut(first), cut(last + timedelta(days=1)))


def periods(as_of: date, zone: str) -> Periods:
    month = as_of.replace(day=1)
    prev_first = _add_months(month, -1)
    prev_last = _clamp_day(prev_first, as_of.day)
    trend_last = _add_months(month, 1) - timedelta(days=1)
    return Periods(
        as_of,
        _window(month, as_of, zone),
        _window(prev_first, prev_last, zone),
        _window(_add_months(month, -23), trend_last, zone),
    )


def _clamp_day(month: date, day: int) -> date:
    last = _add_months(month, 1) - timedelta(days=1)
    return month.replace(day=min(day, last.day))


def last_day(ws: Workspace) -> date:
    """The demo's last day: the local date of its latest order."""
    latest = ws.store.fetch_arrow("SELECT max(ordered_at) AS m FROM orders").column(0)[0]
    value: datetime = latest.as_py()
    return value.astimezone(ZoneInfo(ws.settings.time_zone)).date()


# --------------------------------------------------------------------------------------------
# The overview set through the engine
# --------------------------------------------------------------------------------------------


def overview(p: Periods) -> dict[str, tuple[list[str], dict[str, Any]]]:
    return {
        "headline": (HEADLINE, {"period": "this_month", "compare": "previous", "as_of": p.as_of}),
        "trend": (["revenue"], {"period": p.trend_period, "grain": "month", "as_of": p.as_of}),
        "by_rep": (["revenue"], {"period": "this_month", "by": ["rep"], "as_of": p.as_of}),
    }


def engine_answer(name: str, rows: list[dict[str, Any]]) -> dict[Any, Any]:
    """The key values of an engine result, in the shape the other ways produce."""
    if name == "headline":
        row = rows[0]
        return {k: row[k] for m in HEADLINE for k in (m, f"{m}__previous")}
    if name == "trend":
        return {r["period"]: r["revenue"] for r in rows}
    return {r["rep"]: r["revenue"] for r in rows if r["revenue"]}


# --------------------------------------------------------------------------------------------
# Hand-written SQL
# --------------------------------------------------------------------------------------------


def _ts(value: datetime) -> str:
    return f"TIMESTAMPTZ '{value.strftime('%Y-%m-%d %H:%M:%S')}+00'"


def _d(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


@dataclass(frozen=True)
class Dialect:
    name: str
    median: Callable[[str], str]  # median of an expression
    days: Callable[[str, str], str]  # (a - b) in fractional days, a and b instants
    local: Callable[[str, str], str]  # (zone, instant) -> local wall time
    date_diff: Callable[[str, str], str]  # (a - b) in whole days, a and b dates
    big: str  # cast of an integer sum back to a 64-bit integer
    lines_first: bool  # trend: sum lines per order before the join (faster on PostgreSQL)


DUCKDB = Dialect(
    "duckdb",
    median=lambda e: f"median({e})",
    days=lambda a, b: f"date_diff('second', {b}, {a}) / 86400.0",
    local=lambda z, e: f"timezone('{z}', {e})",
    date_diff=lambda a, b: f"({a} - {b})",
    big="",
    lines_first=False,
)
POSTGRES = Dialect(
    "postgres",
    median=lambda e: f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {e})",
    days=lambda a, b: f"extract(epoch FROM {a} - {b})::float8 / 86400.0",
    local=lambda z, e: f"({e} AT TIME ZONE '{z}')",
    date_diff=lambda a, b: f"({a} - {b})",
    big="::bigint",
    lines_first=True,
)


def hand_sql(name: str, p: Periods, zone: str, d: Dialect) -> str:
    c, v = p.current, p.previous
    c0, c1, p0, p1 = _ts(c.lo), _ts(c.hi), _ts(v.lo), _ts(v.hi)

    def both(col: str) -> str:
        """`col` in either window: one range scan, less the gap between the two windows."""
        return f"{col} >= {p0} AND {col} < {c1} AND ({col} < {p1} OR {col} >= {c0})"

    if name == "headline":
        return f"""
WITH
rev AS (
  SELECT o.ordered_at >= {c0} AS cur, sum(l.line_total_minor){d.big} AS revenue
  FROM order_lines l JOIN orders o ON o.id = l.order_id
  WHERE o.status = 'paid' AND {both("o.ordered_at")}
  GROUP BY 1),
ord AS (
  SELECT ordered_at >= {c0} AS cur, count(*) AS orders
  FROM orders WHERE status = 'paid' AND {both("ordered_at")}
  GROUP BY 1),
cust AS (
  SELECT acquired_at >= {c0} AS cur, count(*) AS new_customers
  FROM customers WHERE {both("acquired_at")}
  GROUP BY 1),
closed AS (
  SELECT closed_at >= {c0} AS cur,
         count(*) FILTER (WHERE status = 'won') AS won,
         count(*) AS closed,
         sum(amount_minor) FILTER (WHERE status = 'won') AS won_amount,
         {d.median(d.days("closed_at", "created_at"))} FILTER (WHERE status = 'won') AS cycle
  FROM deals WHERE status IN ('won', 'lost') AND {both("closed_at")}
  GROUP BY 1),
pipe AS (
  SELECT true AS cur, sum(amount_minor){d.big} AS pipeline_value FROM deals
  WHERE created_at < {c1} AND (status = 'open' OR closed_at >= {c1})
  UNION ALL
  SELECT false, sum(amount_minor){d.big} FROM deals
  WHERE created_at < {p1} AND (status = 'open' OR closed_at >= {p1})),
lead AS (
  SELECT created_at >= {c0} AS cur, count(*) FILTER (WHERE status = 'converted') AS converted,
         count(*) AS leads
  FROM leads WHERE {both("created_at")}
  GROUP BY 1),
spend AS (
  SELECT w.cur,
         sum(s.amount_minor::float8
             * ({
            d.date_diff("least(s.period_end_on, w.last)", "greatest(s.period_start_on, w.first)")
        } + 1)
             / ({d.date_diff("s.period_end_on", "s.period_start_on")} + 1)) AS spend
  FROM marketing_spend s
  JOIN (VALUES (true, {_d(c.first)}, {_d(c.last)}), (false, {_d(v.first)}, {_d(v.last)}))
       AS w(cur, first, last)
    ON s.period_start_on <= w.last AND s.period_end_on >= w.first
  GROUP BY 1),
fb AS (
  SELECT received_at >= {c0} AS cur,
         count(*) FILTER (WHERE kind = 'nps' AND score >= 9) AS promoters,
         count(*) FILTER (WHERE kind = 'nps' AND score <= 6) AS detractors,
         count(*) FILTER (WHERE kind = 'nps' AND score IS NOT NULL) AS nps_n,
         count(*) FILTER (WHERE kind = 'csat' AND score >= 0.7 * coalesce(scale_max, 5))
           AS satisfied,
         count(*) FILTER (WHERE kind = 'csat' AND score IS NOT NULL) AS csat_n
  FROM feedback WHERE kind IN ('nps', 'csat') AND {both("received_at")}
  GROUP BY 1)
SELECT w.cur,
       coalesce(rev.revenue, 0) AS revenue,
       coalesce(ord.orders, 0) AS orders,
       rev.revenue::float8 / nullif(ord.orders, 0) AS aov,
       coalesce(cust.new_customers, 0) AS new_customers,
       closed.won::float8 / nullif(closed.closed, 0) AS win_rate,
       closed.won_amount::float8 / nullif(closed.won, 0) AS avg_deal_size,
       lead.converted::float8 / nullif(lead.leads, 0) AS lead_conversion_rate,
       closed.cycle AS sales_cycle_days,
       coalesce(pipe.pipeline_value, 0) AS pipeline_value,
       spend.spend / nullif(cust.new_customers, 0) AS cac,
       (fb.promoters - fb.detractors) * 100.0 / nullif(fb.nps_n, 0) AS nps,
       fb.satisfied::float8 / nullif(fb.csat_n, 0) AS csat
FROM (VALUES (true), (false)) AS w(cur)
LEFT JOIN rev ON rev.cur = w.cur
LEFT JOIN ord ON ord.cur = w.cur
LEFT JOIN cust ON cust.cur = w.cur
LEFT JOIN closed ON closed.cur = w.cur
LEFT JOIN pipe ON pipe.cur = w.cur
LEFT JOIN lead ON lead.cur = w.cur
LEFT JOIN spend ON spend.cur = w.cur
LEFT JOIN fb ON fb.cur = w.cur
"""
    if name == "trend":
        t = p.trend
        month = f"CAST(date_trunc('month', {d.local(zone, 'o.ordered_at')}) AS DATE)"
        where = f"o.status = 'paid' AND o.ordered_at >= {_ts(t.lo)} AND o.ordered_at < {_ts(t.hi)}"
        if d.lines_first:
            return f"""
WITH per_order AS (
  SELECT order_id, sum(line_total_minor) AS total FROM order_lines GROUP BY 1)
SELECT {month} AS period, sum(l.total){d.big} AS revenue
FROM per_order l JOIN orders o ON o.id = l.order_id
WHERE {where}
GROUP BY 1
ORDER BY 1
"""
        return f"""
WITH paid AS (SELECT o.id, {month} AS period FROM orders o WHERE {where})
SELECT paid.period, sum(l.line_total_minor){d.big} AS revenue
FROM order_lines l JOIN paid ON paid.id = l.order_id
GROUP BY 1
ORDER BY 1
"""
    return f"""
SELECT r.name AS rep, sum(l.line_total_minor){d.big} AS revenue
FROM order_lines l
JOIN orders o ON o.id = l.order_id
LEFT JOIN reps r ON r.id = o.rep_id
WHERE o.status = 'paid' AND o.ordered_at >= {c0} AND o.ordered_at < {c1}
GROUP BY 1
"""


def hand_answer(name: str, rows: list[dict[str, Any]], p: Periods) -> dict[Any, Any]:
    if name == "headline":
        by = {r["cur"]: r for r in rows}
        out: dict[Any, Any] = {}
        for m in HEADLINE:
            for key, row in ((m, by[True]), (f"{m}__previous", by[False])):
                out[key] = _money(row[m]) if m in MONEY else row[m]
        return out
    if name == "trend":
        got = {r["period"]: int(r["revenue"]) for r in rows}
        months = [_add_months(p.trend.first, i) for i in range(24)]
        return {m: got.get(m, 0) for m in months}
    return {r["rep"]: int(r["revenue"]) for r in rows if r["revenue"]}


def _money(value: float | int | None) -> int | None:
    return None if value is None else round(value)


# --------------------------------------------------------------------------------------------
# Plain pandas
# --------------------------------------------------------------------------------------------

PANDAS_COLUMNS = {
    "order_lines": "order_id, line_total_minor",
    "orders": "id, status, ordered_at, rep_id",
    "reps": "id, name",
    "customers": "acquired_at",
    "deals": "status, amount_minor, created_at, closed_at",
    "leads": "created_at, status",
    "feedback": "received_at, kind, score, scale_max",
    "marketing_spend": "period_start_on, period_end_on, amount_minor",
}


def load_frames(ws: Workspace) -> dict[str, pd.DataFrame]:
    """The columns the KPIs need, each table read once into a DataFrame."""
    frames = {}
    for name, cols in PANDAS_COLUMNS.items():
        frames[name] = ws.store.fetch_arrow(f"SELECT {cols} FROM {name}").to_pandas()
    for col in ("period_start_on", "period_end_on"):
        frames["marketing_spend"][col] = pd.to_datetime(frames["marketing_spend"][col])
    return frames


def _in(s: pd.Series, w: Window) -> pd.Series:
    return (s >= pd.Timestamp(w.lo)) & (s < pd.Timestamp(w.hi))


def _headline_pd(f: dict[str, pd.DataFrame], w: Window) -> dict[str, Any]:
    o, lines = f["orders"], f["order_lines"]
    paid = o[(o["status"] == "paid") & _in(o["ordered_at"], w)]
    revenue = int(lines.loc[lines["order_id"].isin(paid["id"]), "line_total_minor"].sum())
    orders = len(paid)
    c = f["customers"]
    new = int(_in(c["acquired_at"], w).sum())
    d = f["deals"]
    closed = d[d["status"].isin(["won", "lost"]) & _in(d["closed_at"], w)]
    won = closed[closed["status"] == "won"]
    cycle = ((won["closed_at"] - won["created_at"]).dt.total_seconds() / 86400.0).median()
    end = pd.Timestamp(w.hi)
    pipe = d[(d["created_at"] < end) & ((d["status"] == "open") | (d["closed_at"] >= end))]
    le = f["leads"]
    leads = le[_in(le["created_at"], w)]
    converted = int((leads["status"] == "converted").sum())
    s = f["marketing_spend"]
    first, last = pd.Timestamp(w.first), pd.Timestamp(w.last)
    s = s[(s["period_start_on"] <= last) & (s["period_end_on"] >= first)]
    overlap = (s["period_end_on"].clip(upper=last) - s["period_start_on"].clip(lower=first)).dt.days
    span = (s["period_end_on"] - s["period_start_on"]).dt.days
    spend = float((s["amount_minor"] * (overlap + 1) / (span + 1)).sum())
    fb = f["feedback"]
    fb = fb[_in(fb["received_at"], w)]
    nps = fb[(fb["kind"] == "nps") & fb["score"].notna()]
    csat = fb[(fb["kind"] == "csat") & fb["score"].notna()]
    promoters, detractors = int((nps["score"] >= 9).sum()), int((nps["score"] <= 6).sum())
    satisfied = int((csat["score"] >= 0.7 * csat["scale_max"].fillna(5)).sum())

    def div(a: float, b: float) -> float | None:
        return a / b if b else None

    return {
        "revenue": revenue,
        "orders": orders,
        "aov": _money(div(revenue, orders)),
        "new_customers": new,
        "win_rate": div(len(won), len(closed)),
        "avg_deal_size": _money(div(int(won["amount_minor"].sum()), len(won))),
        "lead_conversion_rate": div(converted, len(leads)),
        "sales_cycle_days": None if math.isnan(cycle) else float(cycle),
        "pipeline_value": int(pipe["amount_minor"].sum()),
        "cac": _money(div(spend, new)),
        "nps": div((promoters - detractors) * 100.0, len(nps)),
        "csat": div(satisfied, len(csat)),
    }


def pandas_answer(name: str, f: dict[str, pd.DataFrame], p: Periods, zone: str) -> dict[Any, Any]:
    o, lines = f["orders"], f["order_lines"]
    if name == "headline":
        cur, prev = _headline_pd(f, p.current), _headline_pd(f, p.previous)
        return {k: v for m in HEADLINE for k, v in ((m, cur[m]), (f"{m}__previous", prev[m]))}
    if name == "trend":
        paid = o.loc[(o["status"] == "paid") & _in(o["ordered_at"], p.trend), ["id", "ordered_at"]]
        local = paid["ordered_at"].dt.tz_convert(zone)
        paid = paid.assign(month=local.dt.year * 12 + local.dt.month - 1)
        joined = lines.merge(paid[["id", "month"]], left_on="order_id", right_on="id")
        got = joined.groupby("month")["line_total_minor"].sum()
        months = [_add_months(p.trend.first, i) for i in range(24)]
        return {m: int(got.get(m.year * 12 + m.month - 1, 0)) for m in months}
    paid = o.loc[(o["status"] == "paid") & _in(o["ordered_at"], p.current), ["id", "rep_id"]]
    joined = lines.merge(paid, left_on="order_id", right_on="id")
    by_rep = joined.groupby("rep_id", dropna=False)["line_total_minor"].sum()
    names = f["reps"].set_index("id")["name"]
    out: dict[Any, int] = {}
    for rep_id, value in by_rep.items():
        rep = names.get(rep_id) if not pd.isna(rep_id) else None
        out[rep] = out.get(rep, 0) + int(value)
    return {k: v for k, v in out.items() if v}


# --------------------------------------------------------------------------------------------
# Checking and timing
# --------------------------------------------------------------------------------------------


def check(name: str, way: str, expected: dict[Any, Any], got: dict[Any, Any]) -> None:
    """Same keys, money and counts exact, other values to 1e-9 (relative)."""
    if set(expected) != set(got):
        missing, extra = set(expected) - set(got), set(got) - set(expected)
        raise AssertionError(f"{name}/{way}: keys differ: missing {missing}, extra {extra}")
    for key, want in expected.items():
        have = got[key]
        metric = str(key).split("__")[0]
        if want is None or have is None:
            ok = want is None and have is None
        elif name != "headline" or metric in MONEY or metric in COUNTS:
            ok = int(want) == int(have) and float(have) == int(have)
        else:
            ok = math.isclose(float(want), float(have), rel_tol=1e-9, abs_tol=1e-9)
        if not ok:
            raise AssertionError(f"{name}/{way}: {key}: engine {want!r}, {way} {have!r}")


def _stats(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "min_ms": round(float(ms.min()), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def interleaved(
    ways: dict[str, Callable[[], object]], warmup: int, runs: int, limits: dict[str, int]
) -> dict[str, list[float]]:
    """Warm each way up, then time them in turn, run by run, so that a busy moment of the
    machine falls on every way alike. A way in `limits` is timed only that many runs (and
    warmed up once)."""
    for way, work in ways.items():
        for _ in range(min(warmup, 1) if way in limits else warmup):
            work()
    out: dict[str, list[float]] = {way: [] for way in ways}
    for i in range(runs):
        for way, work in ways.items():
            if i >= limits.get(way, runs):
                continue
            start = time.perf_counter()
            work()
            out[way].append(time.perf_counter() - start)
    return out


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else math.inf


def bench_metrics(
    url: str, *, as_of: date | None = None, runs: int = 20, warmup: int = 3,
    pandas_runs: int | None = None, pandas: bool = True, refresh_rollups: bool = False,
    engine_base: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Run the overview set on one workspace; every way checked against the engine.

    With `refresh_rollups`, the daily rollups are rebuilt first (a new demo has them; a
    workspace built before rollups existed does not). When the engine reads a rollup, the
    base-table SQL is timed too, and with `engine_base` the whole engine on base tables."""
    ws = open_workspace(url)
    try:
        refresh = None
        if refresh_rollups:
            start = time.perf_counter()
            ws.metrics.refresh_rollups()
            refresh = round(time.perf_counter() - start, 3)
        out = _bench(ws, as_of, runs, warmup, runs if pandas_runs is None else pandas_runs,
                     pandas, engine_base)  # fmt: skip
        out["rollup_refresh_seconds"] = refresh
        return out
    finally:
        ws.close()


def statements(plan: Any) -> list[tuple[str, Any]]:
    """Every SQL statement of a plan, labelled with the range it answers."""
    kinds = ("queries", "comparison", "extended", "extended_comparison")
    return [(kind, q) for kind in kinds for q in getattr(plan, kind, [])]


def _bench(
    ws: Workspace, as_of: date | None, runs: int, warmup: int, pandas_runs: int, pandas: bool,
    engine_base: bool,
) -> dict[str, Any]:  # fmt: skip
    zone = ws.settings.time_zone
    dialect = POSTGRES if ws.store.dialect.value == "postgres" else DUCKDB
    day = as_of or last_day(ws)
    p = periods(day, zone)
    counts = {t: ws.store.fetch_arrow(f"SELECT count(*) AS n FROM {t}").column(0)[0].as_py()
              for t in ("order_lines", "orders", "deals")}  # fmt: skip
    out: dict[str, Any] = {
        "engine": dialect.name,
        "cpus": os.cpu_count(),
        "load_average_before": round(os.getloadavg()[0], 2),
        "source": _source_state(),
        "as_of": day.isoformat(),
        "rows": counts,
        "runs": runs,
        "warmup": warmup,
        "queries": {},
    }
    frames: dict[str, pd.DataFrame] | None = None
    if pandas:
        start = time.perf_counter()
        frames = load_frames(ws)
        out["pandas_load_seconds"] = round(time.perf_counter() - start, 3)
        out["pandas_runs"] = pandas_runs
    totals: dict[str, list[float]] = {}
    for name, (metrics, options) in overview(p).items():
        fig: dict[str, Any] = {"metrics": metrics, "options": _jsonable(options)}
        start = time.perf_counter()
        expected = engine_answer(name, ws.metrics.query(metrics, **options).rows())
        fig["engine_first_ms"] = round((time.perf_counter() - start) * 1000.0, 1)
        request = ws.metrics.request(metrics, **options)
        served = statements(ws.metrics.engine().plan(request))
        base = statements(ws.metrics.engine(use_rollups=False).plan(request))
        # the engine reads a daily rollup where it can; then the base-table path is measured
        # too, so that generated vs hand also compares like with like
        rollup = [q.sql for _, q in served] != [q.sql for _, q in base]
        fig["reads_rollup"] = rollup
        sql = hand_sql(name, p, zone, dialect)
        check(name, "hand SQL", expected,
              hand_answer(name, ws.store.fetch_arrow(sql).to_pylist(), p))  # fmt: skip
        if rollup:
            base_rows = ws.metrics.engine(use_rollups=False).run(request).rows()
            check(name, "engine on base tables", expected, engine_answer(name, base_rows))
        if frames is not None:
            check(name, "pandas", expected, pandas_answer(name, frames, p, zone))

        def runner(st: list[tuple[str, Any]]) -> tuple[Callable[[], None], list[list[float]]]:
            acc: list[list[float]] = [[] for _ in st]

            def run() -> None:
                for i, (_, q) in enumerate(st):
                    start = time.perf_counter()
                    ws.store.fetch_arrow(q.sql)
                    acc[i].append(time.perf_counter() - start)

            return run, acc

        generated, per_statement = runner(served)
        ways: dict[str, Callable[[], object]] = {
            "engine": lambda m=metrics, o=options: ws.metrics.query(m, **o),
            "compile": lambda r=request: ws.metrics.engine().plan(r),
            "generated": generated,
        }
        if rollup:
            generated_base, per_base = runner(base)
            if engine_base:
                ways["engine_base"] = lambda r=request: ws.metrics.engine(use_rollups=False).run(r)
            ways["generated_base"] = generated_base
        ways["hand"] = lambda s=sql: ws.store.fetch_arrow(s)
        limits = {}
        if frames is not None:
            ways["pandas"] = lambda n=name, f=frames: pandas_answer(n, f, p, zone)
            limits["pandas"] = pandas_runs
        samples = interleaved(ways, warmup, runs, limits)
        for way, values in samples.items():
            fig[way] = _stats(values)
            totals.setdefault(way, [0.0] * len(values))
            totals[way] = [a + b for a, b in zip(totals[way], values, strict=True)]
        fig["statements"] = _statement_figures(served, per_statement, warmup)
        if rollup:
            fig["statements_base"] = _statement_figures(base, per_base, warmup)
        fig["hand_sql"] = sql.strip()
        fig.update(_ratios(fig))
        out["queries"][name] = fig
    out["load_average_after"] = round(os.getloadavg()[0], 2)
    out["set"] = {way: _stats(values) for way, values in totals.items()}
    out["set"].update(_ratios(out["set"]))
    out["budget"] = BUDGET
    out["within_budget"] = _verdict(out)
    out["notes"] = [
        "hand SQL and pandas skip currency conversion: the demo is all in UAH (base currency)",
        "ratios are of p50 times; 'set' sums the three queries run by run",
        "generated = the plan's statements run one after another (the engine runs them on a "
        "small thread pool, so engine can be below generated)",
        "engine/generated read daily rollups where fresh ones answer the query; "
        "engine_base/generated_base (present only then) are the same on the base tables",
    ]
    return out


def _statement_figures(
    st: list[tuple[str, Any]], times: list[list[float]], warmup: int
) -> list[dict[str, Any]]:
    return [
        {"range": kind, "leaves": [leaf.key for leaf in q.leaves],
         "reads": sorted({str(leaf.metric.source) for leaf in q.leaves}),
         "bucket": str(q.bucket) if q.bucket else None,
         "p50_ms": _stats(t[warmup:])["p50_ms"]}
        for (kind, q), t in zip(st, times, strict=True)
    ]  # fmt: skip


def _verdict(out: dict[str, Any]) -> dict[str, bool]:
    q, limit = out["queries"], BUDGET
    verdict = {
        "engine_p95_each_query": all(q[n]["engine"]["p95_ms"] < limit["p95_ms"] for n in q),
        "engine_p95_whole_set": out["set"]["engine"]["p95_ms"] < limit["p95_ms"],
        "generated_vs_hand": all(
            q[n]["generated_vs_hand"] <= limit["generated_vs_hand"] for n in q
        ),
    }
    if "generated_base" in out["set"]:
        verdict["generated_base_vs_hand"] = all(
            q[n].get("generated_base_vs_hand", q[n]["generated_vs_hand"])
            <= limit["generated_vs_hand"]
            for n in q
        )
    if "pandas" in out["set"]:
        # the budget names the KPIs of the set; each query alone is the stricter reading
        verdict["pandas_vs_engine_whole_set"] = (
            out["set"]["pandas_vs_engine"] >= limit["pandas_vs_engine"]
        )
        verdict["pandas_vs_engine_each_query"] = all(
            q[n]["pandas_vs_engine"] >= limit["pandas_vs_engine"] for n in q
        )
    return verdict


def _source_state() -> str:
    """The commit measured, and whether src/ had uncommitted changes (the engine is moving)."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        run = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return run.stdout.strip()

    diff = git("diff", "HEAD", "--", "src")
    dirty = f" + uncommitted src changes {hashlib.sha1(diff.encode()).hexdigest()[:8]}"
    return git("rev-parse", "--short", "HEAD") + (dirty if diff else "")


def _ratios(fig: dict[str, Any]) -> dict[str, float]:
    hand = fig["hand"]["p50_ms"]
    out = {
        "generated_vs_hand": _ratio(fig["generated"]["p50_ms"], hand),
        "engine_vs_hand": _ratio(fig["engine"]["p50_ms"], hand),
    }
    if "generated_base" in fig:
        out["generated_base_vs_hand"] = _ratio(fig["generated_base"]["p50_ms"], hand)
    if "engine_base" in fig:
        out["engine_base_vs_hand"] = _ratio(fig["engine_base"]["p50_ms"], hand)
    if "pandas" in fig:
        out["pandas_vs_engine"] = _ratio(fig["pandas"]["p50_ms"], fig["engine"]["p50_ms"])
    return out


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in options.items()}


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


WAYS = ("engine", "generated", "engine_base", "generated_base", "hand", "pandas", "compile")
RATIOS = ("generated_vs_hand", "engine_vs_hand", "generated_base_vs_hand", "engine_base_vs_hand",
          "pandas_vs_engine")  # fmt: skip


def table(figures: dict[str, Any]) -> str:
    """A short table: a row per way (p50/p95 ms) and per ratio (of p50s), a column per query."""
    cols = [*figures["queries"].items(), ("set", figures["set"])]
    rollup = [n for n, q in figures["queries"].items() if q["reads_rollup"]]
    lines = [
        f"metrics on {figures['engine']} ({figures['rows']['order_lines']:,} order lines, "
        f"{figures['rows']['deals']:,} deals), as of {figures['as_of']}, warm, p50/p95 ms "
        f"over {figures['runs']} runs; daily rollups read by: {', '.join(rollup) or 'none'}",
        f"{'':<24}" + "".join(f"{name:>18}" for name, _ in cols),
    ]
    for way in (w for w in WAYS if w in figures["set"]):
        cells = (f"{f[way]['p50_ms']:.1f}/{f[way]['p95_ms']:.1f}" if way in f else "-"
                 for _, f in cols)  # fmt: skip
        lines.append(f"{way:<24}" + "".join(f"{c:>18}" for c in cells))
    for ratio in (r for r in RATIOS if r in figures["set"]):
        cells = (f"x{f[ratio]}" if ratio in f else "-" for _, f in cols)
        lines.append(f"{ratio:<24}" + "".join(f"{c:>18}" for c in cells))
    ok = figures["within_budget"]
    lines.append("budget: " + ", ".join(f"{k} {'ok' if v else 'NOT MET'}" for k, v in ok.items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="DuckDB workspace (the large demo)")
    parser.add_argument("--pg", help="PostgreSQL workspace URL: the same set, engine and SQL")
    parser.add_argument("--as-of", type=date.fromisoformat, help="default: the last order's day")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--pandas-runs", type=int, help="default: --runs")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument(
        "--refresh-rollups", action="store_true", help="rebuild the daily rollups first"
    )
    args = parser.parse_args()
    if not args.db and not args.pg:
        parser.error("give --db PATH, --pg URL or both")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "metrics.json"
    figures: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    stamp = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}",
    }
    if args.db:
        duck = bench_metrics(args.db, as_of=args.as_of, runs=args.runs, warmup=args.warmup,
                             pandas_runs=args.pandas_runs, pandas=not args.no_pandas,
                             refresh_rollups=args.refresh_rollups)  # fmt: skip
        figures = {**stamp, **duck, "postgres": figures.get("postgres")}
        print(table(duck))
    if args.pg:
        pg = bench_metrics(args.pg, as_of=args.as_of, runs=args.runs, warmup=args.warmup,
                           pandas=False, refresh_rollups=args.refresh_rollups)  # fmt: skip
        figures["postgres"] = {**stamp, **pg}
        print(table(pg))
    path.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
