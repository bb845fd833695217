"""`make bench`: measure, write bench/results/*.json, print ratios against budgets and baselines.

Budgets come from the design: demo small < 10 s; large < 300 s and < 4 GiB peak memory.
Bulk load is compared with DuckDB's bare INSERT from the same Arrow table, in the same process.
The metric engine's overview set runs on the large demo just built (bench/metrics_bench.py):
p95 < 150 ms, within 1.3x of hand-written SQL, >= 10x faster than plain pandas. The Pipeline
page's queries on the same demo (bench/pipeline_bench.py): each p95 < 300 ms. Lead scoring
(bench/leads_bench.py): training on 100k decided leads < 30 s, scoring 100k open leads < 5 s.
Customer segments (bench/segments_bench.py): RFM, clusters and CLV on 1M customers and 10M order
lines < 60 s and < 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from events_bench import bench_events, print_events
from import_bench import bench_import, print_breakdown
from leads_bench import bench_leads, print_leads
from live_bench import bench_live, print_live
from metrics_bench import bench_metrics
from pipeline_bench import bench_pipeline, print_pipeline
from salesmetrics.storage.open import open_store
from salesmetrics.storage.repositories import bulk
from segments_bench import bench_segments, print_segments

RESULTS = Path(__file__).parent / "results"
BUDGETS = {
    "small": {"seconds": 10.0, "peak_rss_mib": 4096.0},
    "medium": {"seconds": 60.0, "peak_rss_mib": 4096.0},
    "large": {"seconds": 300.0, "peak_rss_mib": 4096.0},
}


def bench_demo(size: str, workdir: Path) -> dict[str, Any]:
    """Build the demo of one size in a child process; compare with its budget."""
    job = Path(__file__).parent / "demo_job.py"
    out = subprocess.run(
        [sys.executable, str(job), size, str(workdir / f"demo-{size}.duckdb")],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    budget = BUDGETS[size]
    figures["time_vs_budget"] = round(figures["seconds"] / budget["seconds"], 3)
    figures["memory_vs_budget"] = round(figures["peak_rss_mib"] / budget["peak_rss_mib"], 3)
    figures["within_budget"] = figures["time_vs_budget"] < 1 and figures["memory_vs_budget"] < 1
    return figures


def _order_lines(n: int) -> pa.Table:
    rng = np.random.default_rng(7)
    qty = rng.integers(1, 5, n)
    price = rng.integers(5_000, 500_000, n)
    return pa.table(
        {
            "id": np.arange(1, n + 1),
            "order_id": np.arange(n) // 3 + 1,
            "line_no": (np.arange(n) % 3 + 1).astype(np.int32),
            "product_id": rng.integers(1, 100, n),
            "quantity": qty.astype(np.int32),
            "unit_price_minor": price,
            "discount_minor": np.zeros(n, dtype=np.int64),
            "line_total_minor": qty * price,
            "currency": pa.array(["UAH"] * n),
        }
    )


def bench_bulk_load(rows: int, workdir: Path) -> dict[str, Any]:
    """Our bulk load (conform + writer thread + INSERT) against DuckDB's bare insert.

    Both go into the same schema (same keys and indexes), so the ratio is our layer's cost.
    """
    data = _order_lines(rows)
    open_store(str(workdir / "bare.duckdb"), create=True).close()
    base = duckdb.connect(str(workdir / "bare.duckdb"))
    start = time.perf_counter()
    base.execute("INSERT INTO order_lines SELECT * FROM data")
    bare = time.perf_counter() - start
    base.close()
    store = open_store(str(workdir / "ours.duckdb"), create=True)
    start = time.perf_counter()
    store.write(lambda tx: bulk.load(tx, "order_lines", data))
    ours = time.perf_counter() - start
    store.close()
    return {
        "rows": rows,
        "bare_seconds": round(bare, 3),
        "ours_seconds": round(ours, 3),
        "rows_per_second": round(rows / ours),
        "ratio_to_bare": round(ours / bare, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="small,large", help="demo sizes to build")
    parser.add_argument("--load-rows", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    parser.add_argument("--metric-runs", type=int, default=20, help="timed runs per way")
    parser.add_argument("--metric-pandas-runs", type=int, default=5, help="pandas is slow")
    parser.add_argument("--leads", type=int, default=100_000, help="decided and open, each")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    stamp = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}",
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        load = bench_bulk_load(args.load_rows, work)
        _save("bulk_load", {**stamp, **load})
        print(
            f"bulk load  {load['rows']:>10,} rows  {load['ours_seconds']:>7.2f} s  "
            f"{load['rows_per_second']:>10,} rows/s  x{load['ratio_to_bare']} of bare DuckDB"
        )
        imp = bench_import(args.import_rows, work)
        _save("import_orders", {**stamp, **imp})
        print(
            f"import     {imp['rows']:>10,} rows  {imp['seconds']:>7.2f} s  "
            f"{imp['rows_per_second']:>10,} rows/s  x{imp['ratio_to_read_csv']} of DuckDB "
            f"read_csv  peak {imp['peak_rss_mib']:.0f} MiB  "
            f"{'ok' if imp['within_budget'] else 'OVER BUDGET'}"
        )
        print_breakdown(imp)
        for size in args.sizes.split(","):
            d = bench_demo(size, work)
            _save(f"demo_{size}", {**stamp, **d})
            print(
                f"demo {size:<6} {d['rows']:>10,} rows  {d['seconds']:>7.2f} s  "
                f"peak {d['peak_rss_mib']:>7.1f} MiB  time x{d['time_vs_budget']} "
                f"memory x{d['memory_vs_budget']} of budget  "
                f"{'ok' if d['within_budget'] else 'OVER BUDGET'}"
            )
        if "large" in args.sizes.split(","):
            m = bench_metrics(
                str(work / "demo-large.duckdb"),
                runs=args.metric_runs,
                pandas_runs=args.metric_pandas_runs,
                engine_base=False,  # the base-table SQL is still timed; this saves ~45 s
            )
            _save("metrics", {**stamp, **m})
            _print_metrics(m)
            pipe = bench_pipeline(str(work / "demo-large.duckdb"))  # the Pipeline page's queries
            _save("pipeline", {**stamp, **pipe})
            print_pipeline(pipe)
            live = bench_live(str(work / "demo-large.duckdb"))  # Overview render, event to screen
            _save("live", {**stamp, **live})
            print_live(live)
            # one event per request; 48 keep-alive connections: at ~20-40 ms a reply, 16 cannot
            # offer 1,000 requests a second (each waits for its reply before the next)
            ev = bench_events(work / "demo-large.duckdb", clients=48, label="large demo")
            _save("events", {**stamp, **ev})
            print_events(ev)
        leads = bench_leads(work, args.leads, args.leads)
        _save("leads", {**stamp, **leads})
        print_leads(leads)
        seg = bench_segments(work)
        _save("segments", {**stamp, **seg})
        print_segments(seg)


def _print_metrics(m: dict[str, Any]) -> None:
    """One line per query of the overview set, then the set: engine p50/p95 and ratios."""
    ok, base = m["within_budget"], "generated_base_vs_hand"
    rows = [*m["queries"].items(), ("set", m["set"])]
    for name, q in rows:
        print(
            f"metrics {name:<8} engine p50 {q['engine']['p50_ms']:>7.1f} ms "
            f"p95 {q['engine']['p95_ms']:>7.1f} ms  x{q['generated_vs_hand']} generated/hand"
            + (f" (x{q['generated_base_vs_hand']} on base tables)" if base in q else "")
            + f"  x{q['engine_vs_hand']} engine/hand  x{q['pandas_vs_engine']} pandas/engine"
        )
    print(
        "metrics budget (p95 < 150 ms, generated/hand <= 1.3, pandas/engine >= 10): "
        + ", ".join(f"{k} {'ok' if v else 'OVER BUDGET'}" for k, v in ok.items())
    )


def _save(name: str, figures: dict[str, Any]) -> None:
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
