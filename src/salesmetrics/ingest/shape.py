"""Converted rows into the rows of the target tables: orders are grouped from their lines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest.convert import Converted, RowIssue

ORDER_FIELDS = (
    "external_id",
    "ordered_at",
    "customer_id",
    "rep_id",
    "channel_id",
    "status",
    "currency",
    "shipping_minor",
)
LINE_FIELDS = (
    "product_id",
    "quantity",
    "unit_price_minor",
    "discount_minor",
    "line_total_minor",
    "currency",
)


@dataclass
class Shaped:
    """Rows per target table (refs as text) and the file row(s) behind each."""

    tables: dict[str, pa.Table]
    issues: list[RowIssue]


def shape(conv: Converted, keep: np.ndarray) -> Shaped:
    """Rows flagged in `keep` become target rows; orders are built from their lines."""
    data = conv.data.append_column("_row", conv.rows)
    if not keep.all():  # filtering by an all-true mask copies every column (0.15 s at 1M rows)
        data = data.filter(pa.array(keep))
    if conv.kind.line_table is None:
        return Shaped({conv.kind.table: data}, [])
    required = [f.name for f in conv.kind.fields if f.required and f.name != "external_id"]
    return _orders(data, required)


def _orders(lines: pa.Table, required: list[str]) -> Shaped:
    lines = _complete_lines(lines)
    # numbered in order of first appearance, in one hashing pass (unique + index_in took two)
    keys = lines["external_id"].combine_chunks()
    codes = pc.dictionary_encode(keys, null_encoding="encode").indices
    order_idx = np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)
    first = _first_lines(order_idx)
    cols = [c for c in ORDER_FIELDS if c in lines.column_names]
    firsts = pa.array(first)
    orders = pa.table({c: lines[c].take(firsts) for c in cols})
    totals = np.zeros(len(first), dtype=np.int64)
    line_totals = lines["line_total_minor"].to_numpy(zero_copy_only=False)
    np.add.at(totals, order_idx, np.nan_to_num(line_totals).astype(np.int64))
    shipping = pc.fill_null(orders["shipping_minor"], 0) if "shipping_minor" in cols else 0
    orders = orders.append_column("total_minor", pc.add(pa.array(totals), shipping))
    orders = orders.append_column("_order", pa.array(np.arange(len(first))))
    orders = orders.append_column("_row", lines["_row"].take(firsts))
    checked = [c for c in cols if c not in ("external_id", "shipping_minor")]
    issues = _conflicts(lines, checked, first[order_idx])
    for name in required:
        if name in cols:
            empty = orders["_row"].filter(pc.is_null(orders[name])).to_pylist()
            issues += [RowIssue(int(r), name, None, "required, but empty") for r in empty]
    line_cols = {n: lines[n] for n in LINE_FIELDS if n in lines.column_names}
    order_lines = pa.table(
        {
            "_order": pa.array(order_idx),
            "line_no": pa.array(_line_numbers(order_idx), pa.int32()),
            **line_cols,
            "_row": lines["_row"],
        }
    )
    return Shaped({"orders": orders, "order_lines": order_lines}, issues)


def _first_lines(order_idx: np.ndarray) -> np.ndarray:
    """The first line of each order, in order-number order.

    Order numbers are given in order of first appearance, so a line starts a new order exactly
    when its number exceeds every number before it (O(n); np.unique sorts, 30x slower).
    """
    before = np.maximum.accumulate(np.r_[-1, order_idx[:-1]])
    return np.flatnonzero(order_idx > before)


def _complete_lines(lines: pa.Table) -> pa.Table:
    """Quantity defaults to 1; a missing price or total is derived from the other."""
    n = lines.num_rows
    qty = lines["quantity"] if "quantity" in lines.column_names else pa.nulls(n, pa.int64())
    qty = pc.fill_null(qty, 1)
    disc = lines["discount_minor"] if "discount_minor" in lines.column_names else None
    disc = pc.fill_null(disc, 0) if disc is not None else pa.array(np.zeros(n, np.int64))
    price = lines["unit_price_minor"] if "unit_price_minor" in lines.column_names else None
    total = lines["line_total_minor"] if "line_total_minor" in lines.column_names else None
    if price is None and total is None:
        price = total = pa.nulls(n, pa.int64())
    if total is None:
        total = pc.subtract(pc.multiply(price, qty), disc)
    else:
        derived = pc.subtract(pc.multiply(price, qty), disc) if price is not None else None
        total = pc.coalesce(total, derived) if derived is not None else total
    if price is None:
        price = pc.divide(pc.add(total, disc), pc.if_else(pc.equal(qty, 0), 1, qty))
    price = pc.coalesce(price, pc.divide(pc.add(total, disc), pc.if_else(pc.equal(qty, 0), 1, qty)))
    for name, col in (
        ("quantity", qty),
        ("discount_minor", disc),
        ("unit_price_minor", price),
        ("line_total_minor", total),
    ):
        col = pc.cast(col, pa.int64())
        if name in lines.column_names:
            lines = lines.set_column(lines.column_names.index(name), name, col)
        else:
            lines = lines.append_column(name, col)
    return lines


def _line_numbers(order_idx: np.ndarray) -> np.ndarray:
    """1, 2, 3 … within each order, in file order."""
    order = np.argsort(order_idx, kind="stable")
    sorted_idx = order_idx[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_idx)) + 1]
    counts = np.diff(np.r_[starts, len(sorted_idx)])
    within = np.arange(len(sorted_idx)) - np.repeat(starts, counts)
    out = np.empty(len(order_idx), dtype=np.int64)
    out[order] = within + 1
    return out


def _conflicts(lines: pa.Table, columns: list[str], first_of: np.ndarray) -> list[RowIssue]:
    """A line that disagrees with its order's first line on an order-level value.

    A later line may leave order-level cells empty (Shopify does): empty agrees with anything.
    """
    issues = []
    firsts = pa.array(first_of)
    for col in columns:
        mine, theirs = lines[col], lines[col].take(firsts)
        same = pc.or_(pc.fill_null(pc.equal(mine, theirs), False), pc.is_null(mine))
        bad = lines["_row"].filter(pc.invert(same)).to_pylist()
        issues += [
            RowIssue(int(r), col, None, f"this line disagrees with its order's first line on {col}")
            for r in bad
        ]
    return issues
