"""Customer segments at scale: RFM, behaviour clusters and CLV together on 1M customers and 10M
order lines (DuckDB).

Budget (issue "customer segmentation and lifetime value"): < 60 s and < 4 GiB. A workspace is
generated with 1,000,000 customers, ~3.3M paid orders over two years (each customer's orders at
their own rate) and 10M order lines over 60 products in 6 categories. Then, in a child process
(so its peak memory is its own), `segments refresh`: read every customer's purchase days and
category spend, score RFM and name the segments, learn the clusters, fit BG/NBD and
Gamma-Gamma and value every customer, and store the lot. Baseline, in the same child: DuckDB
alone grouping the same paid order lines by customer and day (what any RFM must read).

`python bench/segments_bench.py` writes bench/results/segments.json and prints a line;
`bench_segments(workdir)` returns the figures (bench/run.py uses it).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

RESULTS = Path(__file__).parent / "results"
BUDGET_SECONDS = 60.0
BUDGET_MIB = 4096.0
AS_OF = date(2026, 11, 25)
TS = pa.timestamp("us", tz="UTC")


def _tables(customers: int, lines: int, seed: int = 5) -> dict[str, pa.Table]:
    g = np.random.default_rng(seed)
    orders = lines // 3
    rate = g.lognormal(0, 1.2, customers)  # some customers buy far more often than others
    # every customer buys at least once; the other orders go by each customer's rate
    more = g.choice(customers, orders - customers, p=rate / rate.sum())
    who = np.concatenate([np.arange(customers), more]) + 1
    paid = np.concatenate([np.ones(customers, np.bool_), g.random(orders - customers) < 0.95])
    order = np.argsort(who, kind="stable")
    who, paid = who[order], paid[order]
    end = np.datetime64(datetime(2026, 11, 25, 12).replace(tzinfo=None), "us")
    ago = g.uniform(0, 730, orders) * 86_400e6
    when = end - ago.astype("timedelta64[us]")
    per_order = np.full(orders, 3)
    per_order[: lines - 3 * orders] += 1
    order_of = np.repeat(np.arange(1, orders + 1), per_order)
    n = len(order_of)
    price = g.integers(5_000, 200_000, 60)
    product = g.integers(1, 61, n)
    qty = g.integers(1, 4, n)
    cats = [f"Category {c}" for c in "ABCDEF"]
    return {
        "customers": pa.table({
            "id": pa.array(np.arange(1, customers + 1), pa.int64()),
            "name": [f"Customer {i}" for i in range(1, customers + 1)],
            "owner_rep_id": pa.array(g.integers(1, 11, customers), pa.int64()),
        }),
        "reps": pa.table({"id": list(range(1, 11)), "name": [f"Rep {i}" for i in range(1, 11)]}),
        "products": pa.table({
            "id": pa.array(np.arange(1, 61), pa.int64()),
            "sku": [f"SKU-{i}" for i in range(1, 61)],
            "name": [f"Product {i}" for i in range(1, 61)],
            "category": [cats[i % 6] for i in range(60)],
            "unit_price_minor": pa.array(price, pa.int64()),
            "currency": ["UAH"] * 60,
        }),
        "orders": pa.table({
            "id": pa.array(np.arange(1, orders + 1), pa.int64()),
            "customer_id": pa.array(who, pa.int64()),
            "rep_id": pa.array(g.integers(1, 11, orders), pa.int64()),
            "ordered_at": pa.array(when, TS),
            "status": pa.array(np.where(paid, "paid", "cancelled")),
            "currency": ["UAH"] * orders,
            "total_minor": pa.array(np.zeros(orders, np.int64)),
            "discount_minor": pa.array(np.where(g.random(orders) < 0.2, 5_000, 0), pa.int64()),
        }),
        "order_lines": pa.table({
            "id": pa.array(np.arange(1, n + 1), pa.int64()),
            "order_id": pa.array(order_of, pa.int64()),
            "line_no": pa.array(np.ones(n, np.int32)),
            "product_id": pa.array(product, pa.int64()),
            "quantity": pa.array(qty.astype(np.int32)),
            "unit_price_minor": pa.array(price[product - 1], pa.int64()),
            "discount_minor": pa.array(np.zeros(n, np.int64)),
            "line_total_minor": pa.array(price[product - 1] * qty, pa.int64()),
            "currency": ["UAH"] * n,
        }),
    }  # fmt: skip


def build(path: Path, customers: int, lines: int) -> None:
    from salesmetrics.services.workspace import open_workspace

    ws = open_workspace(str(path), create=True)
    try:
        tables = _tables(customers, lines)

        def load(tx: Any) -> None:
            for name in ("reps", "customers", "products", "orders", "order_lines"):
                tx.load_arrow(name, tables[name])

        ws.store.write(load)
    finally:
        ws.close()


def job(path: str) -> None:
    """In the child: the baseline read, then `segments refresh`; prints a JSON line."""
    import duckdb

    from salesmetrics.services.segments.refresh import refresh
    from salesmetrics.services.workspace import open_workspace

    con = duckdb.connect(path, read_only=True)
    t0 = time.perf_counter()
    con.sql(
        "SELECT o.customer_id, CAST(o.ordered_at AS DATE) AS day, sum(l.line_total_minor) "
        "FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.status = 'paid' "
        "GROUP BY 1, 2"
    ).fetch_arrow_table()
    base = time.perf_counter() - t0
    con.close()
    ws = open_workspace(path)
    try:
        t0 = time.perf_counter()
        r = refresh(ws, AS_OF)
        seconds = time.perf_counter() - t0
    finally:
        ws.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"customers": r.customers, "clusters": r.clusters, "clv": r.clv,
                      "seconds": round(seconds, 2), "baseline_read_seconds": round(base, 2),
                      "peak_rss_mib": round(peak, 1)}))  # fmt: skip


def bench_segments(
    workdir: Path, customers: int = 1_000_000, lines: int = 10_000_000
) -> dict[str, Any]:
    path = workdir / "segments.duckdb"
    build(path, customers, lines)
    out = subprocess.run([sys.executable, __file__, "--job", str(path)], capture_output=True,
                         text=True, check=True)  # fmt: skip
    r: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    r.update({
        "order_lines": lines, "budget": {"seconds": BUDGET_SECONDS, "peak_rss_mib": BUDGET_MIB},
        "over_read": round(r["seconds"] / r["baseline_read_seconds"], 1),
        "within_budget": r["seconds"] < BUDGET_SECONDS and r["peak_rss_mib"] < BUDGET_MIB,
    })  # fmt: skip
    return r


def print_segments(r: dict[str, Any]) -> None:
    print(f"segments: {r['customers']:,} customers, {r['order_lines']:,} order lines: RFM, "
          f"{r['clusters']} clusters, CLV {'fitted' if r['clv'] else 'NOT fitted'} in "
          f"{r['seconds']:.1f} s (budget {BUDGET_SECONDS:.0f} s; {r['over_read']}x DuckDB's "
          f"read of the rows, {r['baseline_read_seconds']} s), peak {r['peak_rss_mib']:.0f} MiB "
          f"(budget {BUDGET_MIB:.0f}); "
          f"{'within' if r['within_budget'] else 'OVER'} budget")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        job(args.job)
        return
    with tempfile.TemporaryDirectory() as tmp:
        r = bench_segments(Path(tmp), args.customers, args.lines)
    RESULTS.mkdir(exist_ok=True)
    stamp = {"at": datetime.now(UTC).isoformat(timespec="seconds")}
    (RESULTS / "segments.json").write_text(json.dumps({**stamp, **r}, indent=2), encoding="utf-8")
    print_segments(r)


if __name__ == "__main__":
    main()
