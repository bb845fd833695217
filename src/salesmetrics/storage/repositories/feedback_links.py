"""What feedback links through: the customer and rep of an order, deal or customer; and the
responses linked to no customer."""

from __future__ import annotations

from typing import Any

from salesmetrics.domain.access import Scope
from salesmetrics.storage.dialect import q
from salesmetrics.storage.protocol import Store, WriteTx
from salesmetrics.storage.repositories.lead_features import in_view

# table -> (its customer, its rep): what a response linked to one of its records inherits
OWNERS: dict[str, tuple[str, str]] = {
    "orders": ("customer_id", "rep_id"),
    "deals": ("customer_id", "owner_rep_id"),
    "customers": ("id", "owner_rep_id"),
}
_CHUNK = 5000


def owners(tx: WriteTx, table: str, ids: list[int]) -> dict[int, tuple[int | None, int | None]]:
    """id -> (customer id, rep id) of each order, deal or customer named."""
    customer, rep = OWNERS[table]
    out: dict[int, tuple[int | None, int | None]] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        rows = tx.fetchall(
            f"SELECT id, {q(customer)}, {q(rep)} FROM {q(table)} WHERE id IN ({marks})", chunk
        )
        out.update({int(i): (c, r) for i, c, r in rows})
    return out


_UNMATCHED = "FROM feedback f WHERE f.customer_id IS NULL AND {seen}"


def unmatched(store: Store, scope: Scope, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """How many responses in view link to no customer, and the newest `limit` of them."""
    seen, params = in_view(scope, "f.rep_id")
    where = _UNMATCHED.format(seen=seen)
    ((count,),) = store.fetchall(f"SELECT count(*) {where}", params)
    cols = ("id", "external_id", "source", "received_at", "kind", "score", "scale_max",
            "comment", "rep_id", "attributes")  # fmt: skip
    rows = store.fetchall(
        f"SELECT {', '.join('f.' + c for c in cols)} {where} "
        "ORDER BY f.received_at DESC, f.id DESC LIMIT ?",
        [*params, limit],
    )
    return int(count), [dict(zip(cols, r, strict=True)) for r in rows]
