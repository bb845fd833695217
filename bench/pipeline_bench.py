"""Pipeline page speed on the large demo (1M deals, 4.3M stage changes; DuckDB, warm).

Budget (issue "pipeline management"): each query the Pipeline page makes, p95 < 300 ms. The
page's readings, as the owner sees them, as of the demo's last day:
  funnel         the funnel of the deals made in the last 365 days;
  time_in_stage  days in each stage, and the won cycle by month;
  probabilities  observed stage-to-won rates of the deals closed in the last 365 days;
  bottlenecks    every comparison (stages, history, reps, teams) and its interval;
  stale          stale open deals, the largest 100, and per rep;
  hygiene        per-rep issue counts and the 100 worst deals;
  forecast       this month's forecast by rep and stage (with the metric engine's velocity
                 and coverage);
  accuracy       the last 6 closed months' snapshots against what was won.
Each is warmed up, then all are timed in turn, run by run (interleaved). The baseline, in the
same process: the same readings with the stage visits computed from deal_stage_changes on the
fly instead of read from their rollup (what every reading would cost without it); the ratio
says what the rollup buys.

`python bench/pipeline_bench.py --db PATH` writes bench/results/pipeline.json and prints a
table; `bench_pipeline(url)` returns the figures (bench/run.py uses it on the large demo).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from salesmetrics.domain.access import LOCAL
from salesmetrics.services.pipeline import bottlenecks, care, common, forecast, funnel
from salesmetrics.services.workspace import open_workspace
from salesmetrics.storage.repositories import deal_flow

RESULTS = Path(__file__).parent / "results"
BUDGET_P95_MS = 300.0
USES_VISITS = ("funnel", "time_in_stage", "probabilities", "bottlenecks", "stale")


def _readings(a: common.Ask) -> dict[str, Callable[[], Any]]:
    month = forecast.period_of(a, None)
    return {
        "funnel": lambda: funnel.funnel(a),
        "time_in_stage": lambda: funnel.times(a),
        "probabilities": lambda: funnel.probabilities(a),
        "bottlenecks": lambda: bottlenecks.bottlenecks(a),
        "stale": lambda: care.stale(a),
        "hygiene": lambda: care.hygiene(a),
        "forecast": lambda: forecast.forecast(a, month),
        "accuracy": lambda: forecast.accuracy(a),
    }


def _time(readings: dict[str, Callable[[], Any]], runs: int, warmup: int) -> dict[str, list[float]]:
    for _ in range(warmup):
        for fn in readings.values():
            fn()
    out: dict[str, list[float]] = {name: [] for name in readings}
    for _ in range(runs):
        for name, fn in readings.items():
            start = time.perf_counter()
            fn()
            out[name].append((time.perf_counter() - start) * 1000)
    return out


def _stats(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1)}  # fmt: skip


def bench_pipeline(url: str, runs: int = 20, warmup: int = 2,
                   baseline_runs: int = 5) -> dict[str, Any]:  # fmt: skip
    ws = open_workspace(url)
    try:
        last = ws.store.fetchall("SELECT max(created_at) FROM deals")[0][0]
        as_of: date = last.date() + timedelta(days=1)
        deals = int(ws.store.fetchall("SELECT count(*) FROM deals")[0][0])
        changes = int(ws.store.fetchall("SELECT count(*) FROM deal_stage_changes")[0][0])
        if deal_flow.visits_source(ws.store) != deal_flow.VISITS:
            ws.metrics.refresh_rollups()
        a = common.ask(ws, LOCAL, as_of=as_of)
        timed = _time(_readings(a), runs, warmup)
        fresh = deal_flow._fresh
        deal_flow._fresh = lambda store: False  # as if the rollups were stale: computed
        try:
            slow = {k: v for k, v in _readings(a).items() if k in USES_VISITS}
            base = _time(slow, baseline_runs, 1)
        finally:
            deal_flow._fresh = fresh
    finally:
        ws.close()
    queries: dict[str, Any] = {}
    for name, ms in timed.items():
        q = _stats(ms)
        if name in base:
            b = _stats(base[name])
            q["on_the_fly"] = b
            q["on_the_fly_vs_rollup"] = round(b["p50_ms"] / q["p50_ms"], 1)
        queries[name] = q
    page = [sum(run) for run in zip(*timed.values(), strict=True)]
    worst = max(q["p95_ms"] for q in queries.values())
    return {
        "deals": deals, "stage_changes": changes, "as_of": as_of.isoformat(), "runs": runs,
        "queries": queries, "page": _stats(page), "worst_query_p95_ms": worst,
        "budget_p95_ms": BUDGET_P95_MS, "within_budget": worst < BUDGET_P95_MS,
    }  # fmt: skip


def print_pipeline(p: dict[str, Any]) -> None:
    for name, q in p["queries"].items():
        extra = ""
        if "on_the_fly" in q:
            extra = (f"  on the fly p50 {q['on_the_fly']['p50_ms']:>7.1f} ms "
                     f"(x{q['on_the_fly_vs_rollup']})")  # fmt: skip
        print(f"pipeline {name:<13} p50 {q['p50_ms']:>6.1f} ms  p95 {q['p95_ms']:>6.1f} ms{extra}")
    print(
        f"pipeline page (all {len(p['queries'])} readings) p50 {p['page']['p50_ms']:.0f} ms "
        f"p95 {p['page']['p95_ms']:.0f} ms; {p['deals']:,} deals; worst query p95 "
        f"{p['worst_query_p95_ms']:.0f} ms against {p['budget_p95_ms']:.0f} ms: "
        + ("ok" if p["within_budget"] else "OVER BUDGET")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    figures = bench_pipeline(args.db, runs=args.runs)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pipeline.json").write_text(json.dumps(figures, indent=2) + "\n")
    print_pipeline(figures)


if __name__ == "__main__":
    main()
