"""A clean orders CSV of any size, for the fault tests and the import bench."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

HEADER = (
    "order_id",
    "order_date",
    "customer",  # e-mails; `customer_email` would not be mapped to the customer link
    "sku",
    "quantity",
    "unit_price",
    "status",
    "currency",
)


def write_orders_csv(path: Path, rows: int, *, seed: int = 1, first_order: int = 1) -> Path:
    """A clean orders CSV: one row per line, 2 lines per order, ~50k customers, 500 SKUs."""
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
