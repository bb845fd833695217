"""Import speed: a clean orders CSV end to end against DuckDB's bare read_csv of the same file.

Budget (issue 3, "Speed"): >= 300k rows/s end to end including validation, within 3x of
DuckDB's bare read_csv, peak memory < 2 GiB. `bench_import(rows, workdir)` returns the figures;
`python bench/import_bench.py [--rows N] [--profile]` prints them (1M rows by default).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

BUDGET = {"rows_per_second": 300_000, "ratio_to_read_csv": 3.0, "peak_rss_mib": 2048.0}
JOB = Path(__file__).parent / "import_job.py"
HEADER = (
    "order_id",
    "order_date",
    "customer",  # e-mails; a `customer_email` header is not mapped to the customer link
    "sku",
    "quantity",
    "unit_price",
    "status",
    "currency",
)


def write_orders_csv(path: Path, rows: int, *, seed: int = 1, first_order: int = 1) -> Path:
    """A clean orders CSV: one row per line, 2 lines per order, ~50k customers, 500 SKUs.

    Order-level columns agree across an order's lines; times are UTC ('Z'). The same generator
    as tests/test_import_faults.py (kept in step by hand: bench is not importable from tests).
    """
    rng = np.random.default_rng(seed)
    order_of_line = np.arange(rows) // 2
    order_no = order_of_line + first_order
    customer_no = rng.integers(1, 50_001, (rows + 1) // 2)[order_of_line]
    cents = rng.integers(100, 100_000, rows)
    ordered_at = np.datetime64("2024-01-01T00:00:00", "s") + (order_no * 60).astype(
        "timedelta64[s]"
    )

    def text(values: np.ndarray) -> pa.Array:
        return pc.cast(pa.array(values), pa.string())

    def cat(*parts: pa.Array | pa.Scalar) -> pa.Array:
        return pc.binary_join_element_wise(*parts, "")

    columns = [
        cat(pa.scalar("ORD-"), pc.utf8_lpad(text(order_no), 7, "0")),
        pc.strftime(pa.array(ordered_at), "%Y-%m-%dT%H:%M:%SZ"),
        cat(pa.scalar("c"), text(customer_no), pa.scalar("@example.com")),
        cat(pa.scalar("SKU-"), text(rng.integers(1, 501, rows))),
        text(rng.integers(1, 6, rows)),
        cat(text(cents // 100), pa.scalar("."), pc.utf8_lpad(text(cents % 100), 2, "0")),
        pa.array(np.full(rows, "paid", dtype=object), pa.string()),
        pa.array(np.full(rows, "UAH", dtype=object), pa.string()),
    ]
    table = pa.table(columns, names=list(HEADER))
    with path.open("wb") as fh:
        fh.write((",".join(HEADER) + "\n").encode())
        pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return path


def bare_read_csv(csv: Path, db: Path) -> float:
    """DuckDB alone: read_csv of the file into a table of a fresh database file, then close."""
    for suffix in ("", ".wal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    start = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE orders_csv AS SELECT * FROM read_csv(?)", [str(csv)])
    con.close()
    return time.perf_counter() - start


def run_job(csv: Path, db: str, *extra: str) -> dict[str, Any]:
    """Our import in a child process (bench/import_job.py): its figures, as printed."""
    out = subprocess.run(
        [sys.executable, str(JOB), str(csv), db, *extra],
        capture_output=True,
        text=True,
        check=False,
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
    if job["status"] != "applied" or job["rows"] != rows:
        raise RuntimeError(f"the import did not load the file: {job}")
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
        "within_budget": rate >= BUDGET["rows_per_second"]
        and ratio <= BUDGET["ratio_to_read_csv"]
        and job["peak_rss_mib"] < BUDGET["peak_rss_mib"],
    }


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
        if args.profile:
            csv = work / f"orders-{args.rows}.csv"
            run_job(csv, str(work / "profiled.duckdb"), "--profile", str(work / "import"))


if __name__ == "__main__":
    main()
