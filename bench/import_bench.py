"""Import speed: a clean orders CSV end to end against DuckDB's bare read_csv of the same file.

Budget (issue 3, "Speed"): >= 300k rows/s end to end including validation, within 3x of
DuckDB's bare read_csv, peak memory < 2 GiB. `bench_import(rows, workdir)` returns the figures;
`python bench/import_bench.py [--rows N] [--profile]` prints them (1M rows by default).

Beside the default import (which refreshes the customer segments after it) it times the import
alone (SALESMETRICS_SEGMENTS_AFTER_IMPORT=off) and the SQL-only floor (bench/import_floor.py):
what DuckDB itself takes to load the same file into the workspace's tables, with and without
their unique (source, external_id) indexes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from import_floor import UNIQUE_EXTERNAL, sql_floor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from orders_file import write_orders_csv

BUDGET = {"rows_per_second": 300_000, "ratio_to_read_csv": 3.0, "peak_rss_mib": 2048.0}
JOB = Path(__file__).parent / "import_job.py"


def bare_read_csv(csv: Path, db: Path) -> float:
    """DuckDB alone: read_csv of the file into a table of a fresh database file, then close."""
    for suffix in ("", ".wal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    start = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE orders_csv AS SELECT * FROM read_csv(?)", [str(csv)])
    con.close()
    return time.perf_counter() - start


def run_job(csv: Path, db: str, *extra: str, segments: bool = True) -> dict[str, Any]:
    """Our import in a child process (bench/import_job.py): its figures, as printed."""
    env = {**os.environ, "SALESMETRICS_SEGMENTS_AFTER_IMPORT": "on" if segments else "off"}
    out = subprocess.run(
        [sys.executable, str(JOB), str(csv), db, *extra],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"import job failed ({out.returncode}):\n{out.stderr[-3000:]}")
    if extra:
        print(out.stderr, file=sys.stderr)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def bench_import(rows: int, workdir: Path) -> dict[str, Any]:
    """Write a clean `rows`-row orders CSV, time DuckDB's bare read_csv of it and our import."""
    csv = write_orders_csv(workdir / f"orders-{rows}.csv", rows)
    bare = bare_read_csv(csv, workdir / "bare-read-csv.duckdb")
    job = run_job(csv, str(workdir / "import.duckdb"))
    alone = run_job(csv, str(workdir / "import.duckdb"), segments=False)
    for done in (job, alone):
        if done["status"] != "applied" or done["rows"] != rows:
            raise RuntimeError(f"the import did not load the file: {done}")
    floor = sql_floor(csv, workdir / "floor.duckdb")
    floor_unindexed = sql_floor(csv, workdir / "floor.duckdb", drop=UNIQUE_EXTERNAL)
    seconds = float(job["seconds"])
    rate = rows / seconds
    ratio = seconds / bare
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rate),
        "bare_read_csv_seconds": round(bare, 3),
        "ratio_to_read_csv": round(ratio, 2),
        "peak_rss_mib": job["peak_rss_mib"],
        "read_convert_seconds": job["read_convert_seconds"],
        "database_seconds": job["database_seconds"],
        "import_alone_seconds": alone["seconds"],
        "import_alone_rows_per_second": round(rows / float(alone["seconds"])),
        "import_alone_ratio_to_read_csv": round(float(alone["seconds"]) / bare, 2),
        "sql_floor_seconds": round(floor, 3),
        "sql_floor_ratio_to_read_csv": round(floor / bare, 2),
        "sql_floor_without_unique_indexes_ratio": round(floor_unindexed / bare, 2),
        "within_budget": rate >= BUDGET["rows_per_second"]
        and ratio <= BUDGET["ratio_to_read_csv"]
        and job["peak_rss_mib"] < BUDGET["peak_rss_mib"],
    }


def print_breakdown(f: dict[str, Any]) -> None:
    """The import alone and DuckDB's own floor, as ratios to the same read_csv."""
    print(
        f"  import alone (segments not refreshed) {f['import_alone_seconds']:.2f} s  "
        f"{f['import_alone_rows_per_second']:,} rows/s  x{f['import_alone_ratio_to_read_csv']}"
        f"\n  SQL-only floor in DuckDB: x{f['sql_floor_ratio_to_read_csv']} of read_csv "
        f"({f['sql_floor_seconds']:.2f} s), x{f['sql_floor_without_unique_indexes_ratio']} "
        "without the unique (source, external_id) indexes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true", help="also profile one import run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        f = bench_import(args.rows, work)
        print(json.dumps(f, indent=2))
        print(
            f"import     {f['rows']:>10,} rows  {f['seconds']:>7.2f} s  "
            f"{f['rows_per_second']:>10,} rows/s  x{f['ratio_to_read_csv']} of bare read_csv "
            f"({f['bare_read_csv_seconds']:.2f} s)  peak {f['peak_rss_mib']:.0f} MiB  "
            f"{'ok' if f['within_budget'] else 'OVER BUDGET'}"
        )
        print_breakdown(f)
        if args.profile:
            csv = work / f"orders-{args.rows}.csv"
            run_job(csv, str(work / "profiled.duckdb"), "--profile", str(work / "import"))


if __name__ == "__main__":
    main()
