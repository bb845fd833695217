"""The scale curve: the overview set at 1M, 10M and 100M order lines (medium, large, xlarge
demos), DuckDB, each size measured in a fresh process (its peak memory is its own).

Budget (issue "beyond one machine"): at 100M order lines the overview set p95 < 1 s and the
process < 8 GB; time no worse than linear in the data (each step of 10x rows may cost at most
10x time).

The overview set is bench/metrics_bench.py's: 12 headline KPIs this month to date against the
same days of last month, revenue by month over 24 months, revenue by rep. Per size: a first
run (cold: the process has compiled nothing yet), `--warmup` untimed runs, then `--runs` timed
runs of the whole set (p50, p95), and the peak resident memory of the process. The set is
served by the daily rollups the engine keeps fresh, as in the product; beside it, the same set
with rollups off (every query scanning the base tables), 5 runs, reported but not budgeted.
Demo workspaces are built once into `--dir` (default /var/tmp/salesmetrics-scale) and
reused; their build time and peak memory are reported from that build.

`python bench/scale_bench.py [--sizes medium,large,xlarge] [--runs 20]` writes
bench/results/scale.json and prints a table. `make bench` runs it after bench/run.py.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RESULTS = HERE / "results"
BUDGET = {"p95_ms": 1000.0, "peak_rss_mib": 8 * 1024.0}
AS_OF = "2026-11-26"
BASE_RUNS = 5  # the rollups-off set: reported beside, not budgeted


def _build(size: str, folder: Path) -> dict[str, Any]:
    """The demo of one size, built once (a child process) and kept with its build figures."""
    db, figures = folder / f"demo-{size}.duckdb", folder / f"demo-{size}.json"
    if not db.exists() or not figures.exists() or not figures.read_text().strip():
        out = subprocess.run([sys.executable, str(HERE / "demo_job.py"), size, str(db)],
                             capture_output=True, text=True, check=True)  # fmt: skip
        figures.write_text(out.stdout.strip().splitlines()[-1] + "\n")
    built: dict[str, Any] = json.loads(figures.read_text().strip().splitlines()[-1])
    return built


def _measure(db: Path, runs: int, warmup: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--job", str(db), "--runs", str(runs), "--warmup", str(warmup)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def job(db: str, runs: int, warmup: int) -> None:
    """In the child: open the workspace, time the set, print one JSON line."""
    from datetime import date

    sys.path.insert(0, str(HERE))
    from metrics_bench import overview, periods
    from salesmetrics.services.workspace import open_workspace

    started = time.perf_counter()
    ws = open_workspace(db)
    opened = time.perf_counter() - started
    day = date.fromisoformat(AS_OF)
    p = periods(day, ws.settings.time_zone)
    queries = overview(p)

    def run_set() -> float:
        t = time.perf_counter()
        for metrics, options in queries.values():
            ws.metrics.query(metrics, **options)
        return (time.perf_counter() - t) * 1000.0

    def run_base() -> float:
        """The same set with the daily rollups off: every query scans the base tables."""
        t = time.perf_counter()
        for metrics, options in queries.values():
            ws.metrics.engine(use_rollups=False).run(ws.metrics.request(metrics, **options))
        return (time.perf_counter() - t) * 1000.0

    first = run_set()
    for _ in range(warmup):
        run_set()
    samples = sorted(run_set() for _ in range(runs))
    run_base()
    base = sorted(run_base() for _ in range(BASE_RUNS))
    rows = ws.store.fetchall("SELECT count(*) FROM order_lines")[0][0]
    ws.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "order_lines": int(rows), "open_seconds": round(opened, 3), "first_ms": round(first, 1),
        "p50_ms": round(samples[len(samples) // 2], 1),
        "p95_ms": round(samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))], 1),
        "runs": runs, "peak_rss_mib": round(peak, 1),
        "base_p50_ms": round(base[len(base) // 2], 1), "base_max_ms": round(base[-1], 1),
        "base_runs": BASE_RUNS,
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="medium,large,xlarge")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp/salesmetrics-scale"))
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        job(args.job, args.runs, args.warmup)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    curve = []
    for size in args.sizes.split(","):
        built = _build(size, args.dir)
        measured = _measure(args.dir / f"demo-{size}.duckdb", args.runs, args.warmup)
        point = {"size": size, "build": built, **measured}
        curve.append(point)
        print(f"{size:<7} {measured['order_lines']:>12,} lines  set p50 {measured['p50_ms']:>7.1f} "
              f"ms  p95 {measured['p95_ms']:>7.1f} ms  first {measured['first_ms']:>8.1f} ms  "
              f"peak {measured['peak_rss_mib']:>7.0f} MiB  base tables p50 "
              f"{measured['base_p50_ms']:>8.1f} ms  (built in {built['seconds']:.0f} s, "
              f"peak {built['peak_rss_mib']:.0f} MiB)")  # fmt: skip
    steps = [
        {"from": a["size"], "to": b["size"],
         "rows_x": round(b["order_lines"] / a["order_lines"], 2),
         "p95_x": round(b["p95_ms"] / a["p95_ms"], 2)}
        for a, b in itertools.pairwise(curve)
    ]  # fmt: skip
    top = curve[-1]
    verdict = {
        "p95_under_1s": top["p95_ms"] < BUDGET["p95_ms"],
        "memory_under_8gb": top["peak_rss_mib"] < BUDGET["peak_rss_mib"],
        "no_worse_than_linear": all(s["p95_x"] <= s["rows_x"] for s in steps),
    }
    for s in steps:
        print(f"{s['from']} -> {s['to']}: rows x{s['rows_x']}, set p95 x{s['p95_x']}")
    said = ", ".join(f"{k} {'ok' if v else 'OVER BUDGET'}" for k, v in verdict.items())
    print(f"budget (top size p95 < 1 s, < 8 GB, no worse than linear): {said}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps({
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()} {os.cpu_count()} cpus",
        "budget": BUDGET, "curve": curve, "steps": steps, "within_budget": verdict,
    }, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
