"""Order lines: an order's lines are replaced as a whole when any of them changed."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.services.imports.upsert import NO_IDS, Ids, Outcome
from salesmetrics.storage import catalog
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import imports as repo
from salesmetrics.storage.repositories.bulk import conform

LINE_COLUMNS = (
    "product_id",
    "quantity",
    "unit_price_minor",
    "discount_minor",
    "line_total_minor",
    "currency",
)


def replace_lines(
    tx: WriteTx,
    lines: pa.Table,
    orders: pa.Array,
    order_ids: Ids,
    new_orders: Ids,
    source: str,
    out: Outcome,
) -> set[int]:
    """Insert the lines of new orders; swap the lines of existing orders whose lines differ.

    `orders` holds each incoming order's `_order` number, `order_ids` its stored id, and
    `new_orders` the ids of the orders this import inserted. Returns the existing orders whose
    lines were replaced.
    """
    pos = _positions(lines["_order"], orders)
    if (pos < 0).any():  # lines of orders rejected as a whole are dropped
        lines = lines.filter(pa.array(pos >= 0))
        pos = pos[pos >= 0]
    order_of = pa.array(order_ids[pos])
    data = conform(
        "order_lines", lines.select([c for c in lines.column_names if not c.startswith("_")])
    )
    data = data.append_column("order_id", order_of)
    types = catalog.table("order_lines").arrow_schema()
    for name in LINE_COLUMNS:  # a file without, say, a product column: compare with nulls
        if name not in data.column_names:
            data = data.append_column(name, pa.nulls(data.num_rows, types.field(name).type))
    existing = pa.array(
        NO_IDS if len(new_orders) == len(order_ids) else np.setdiff1d(order_ids, new_orders)
    )
    replace = _differing(tx, data, existing, source)
    _delete_old(tx, replace, source, out)
    keep = data  # every order is new or replaced: all the lines go in, no copy needed
    if len(replace) < len(existing):
        wanted = np.union1d(new_orders, np.fromiter(replace, np.int64, len(replace)))
        keep = data.filter(pc.is_in(data["order_id"], value_set=pa.array(wanted)))
    if keep.num_rows:
        fresh = repo.allocate_id_array(tx, "order_lines", keep.num_rows)
        tx.load_arrow("order_lines", keep.append_column("id", pa.array(fresh)))
        out.add_inserted("order_lines", fresh)
    return replace


def _positions(numbers: pa.ChunkedArray, orders: pa.Array) -> npt.NDArray[np.int64]:
    """Where each line's order number sits in `orders` (distinct numbers >= 0), -1 if absent:
    a direct lookup table instead of a hash (numbers run 0..n-1, each order's place in the
    file)."""
    lines = np.asarray(numbers.to_numpy(), dtype=np.int64)
    known = np.asarray(orders.to_numpy(zero_copy_only=False), dtype=np.int64)
    if min(lines.min(initial=0), known.min(initial=0)) < 0:
        raise ValueError("order numbers are places in the file, never negative")
    size = int(max(lines.max(initial=-1), known.max(initial=-1))) + 1
    table = np.full(size, -1, dtype=np.int64)
    table[known] = np.arange(len(known))
    out: npt.NDArray[np.int64] = table[lines]
    return out


def _stored(tx: WriteTx, source: str) -> pa.Table:
    found = repo.stored_lines(tx, ["id", "order_id", "line_no", *LINE_COLUMNS], source)
    types = catalog.table("order_lines").arrow_schema()
    return pa.table(
        [found[c].cast(types.field(c).type) for c in found.column_names], names=found.column_names
    )


def _differing(tx: WriteTx, data: pa.Table, existing: pa.Array, source: str) -> set[int]:
    """Existing orders whose incoming lines differ from the stored ones in any way."""
    if not len(existing):
        return set()
    old = _stored(tx, source)
    old = old.filter(pc.is_in(old["order_id"], value_set=existing)).drop_columns(["id"])
    new = data.filter(pc.is_in(data["order_id"], value_set=existing))
    new = new.append_column("_in", pa.array([True] * new.num_rows))
    old = old.rename_columns(
        [c if c in ("order_id", "line_no") else f"{c}_old" for c in old.column_names]
    )
    old = old.append_column("_was", pa.array([True] * old.num_rows))
    both = new.join(old, keys=["order_id", "line_no"], join_type="full outer", use_threads=False)
    differs = pc.or_(pc.is_null(both["_in"]), pc.is_null(both["_was"]))
    for c in LINE_COLUMNS:
        eq = pc.fill_null(pc.equal(both[c], both[f"{c}_old"]), False)
        nulls = pc.and_(pc.is_null(both[c]), pc.is_null(both[f"{c}_old"]))
        differs = pc.or_(differs, pc.invert(pc.or_(eq, nulls)))
    return {int(i) for i in pc.unique(both.filter(differs)["order_id"]).to_pylist()}


def _delete_old(tx: WriteTx, orders: set[int], source: str, out: Outcome) -> None:
    if not orders:
        return
    old = _stored(tx, source)
    ids = old.filter(pc.is_in(old["order_id"], value_set=pa.array(sorted(orders))))["id"]
    images = repo.rows_by_id(tx, "order_lines", [int(i) for i in ids.to_pylist()])
    out.priors.append(
        ("order_lines:delete", [r["id"] for r in images], [repo.to_json(r) for r in images])
    )
    tx.delete_ids("order_lines", ids.combine_chunks())
