"""Feedback tied to sales records, and the responses that could not be tied.

A response links to a customer by external id or email, to an order or deal by external id.
What it does not say it inherits: the customer of its order (or deal), and the rep of its
order, else of its deal, else its customer's owner. A link that matches nothing is left
empty and its text kept in the response's attributes (`_unmatched`), so the response still
counts and can be linked later; responses without a customer are listed by `unmatched`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import InputError
from salesmetrics.services.imports.links import Links
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import feedback_links as repo

# Never a key of a file's own columns: their keys are normalised and never start with "_".
UNMATCHED_KEY = "_unmatched"
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class UnmatchedResponse:
    id: int
    external_id: str | None
    source: str
    received_at: datetime
    kind: str
    score: float | None
    scale_max: int | None
    comment: str | None
    rep_id: int | None
    named: dict[str, str] = field(default_factory=dict)  # field -> the text that matched nothing


@dataclass(frozen=True, slots=True)
class UnmatchedList:
    data: list[UnmatchedResponse]
    count: int  # all unmatched responses in view, however many `data` holds

    def as_dict(self) -> dict[str, Any]:
        return {"data": [asdict(r) for r in self.data], "count": self.count}


def unmatched(ws: Workspace, who: Principal, limit: int = DEFAULT_LIMIT) -> UnmatchedList:
    """The responses linked to no customer that `who` sees, newest first.

    Such a response belongs to no rep unless the file named one, so a rep sees only those; a
    customer-segment filter does not narrow them (they have no customer to be in one).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit must be 1 to {MAX_LIMIT}, not {limit}")
    count, rows = repo.unmatched(ws.store, who.scope, limit)
    return UnmatchedList([_response(r) for r in rows], count)


def _response(row: dict[str, Any]) -> UnmatchedResponse:
    attributes = json.loads(row.pop("attributes") or "{}")
    named = attributes.get(UNMATCHED_KEY) if isinstance(attributes, dict) else None
    return UnmatchedResponse(**row, named=dict(named) if isinstance(named, dict) else {})


def complete(tx: WriteTx, rows: pa.Table, links: Links) -> pa.Table:
    """Responses with their ids resolved: the links they inherit, and the text of the links
    that matched nothing kept in their attributes."""
    return _note_unmatched(_inherit(tx, rows), links.unmatched)


def _inherit(tx: WriteTx, rows: pa.Table) -> pa.Table:
    n = rows.num_rows

    def ids(name: str) -> list[int | None]:
        return rows[name].to_pylist() if name in rows.column_names else [None] * n

    customer, rep = ids("customer_id"), ids("rep_id")
    for table, via in (("orders", ids("order_id")), ("deals", ids("deal_id")),
                       ("customers", customer)):  # fmt: skip
        found = repo.owners(tx, table, [i for i in via if i is not None])
        for k, record in enumerate(via):
            if record is None or record not in found:
                continue
            their_customer, their_rep = found[record]
            customer[k] = customer[k] if customer[k] is not None else their_customer
            rep[k] = rep[k] if rep[k] is not None else their_rep
    rows = _set(rows, "customer_id", pa.array(customer, pa.int64()))
    return _set(rows, "rep_id", pa.array(rep, pa.int64()))


def _note_unmatched(rows: pa.Table, unmatched: dict[int, dict[str, str]]) -> pa.Table:
    if not unmatched:
        return rows
    n = rows.num_rows
    texts = rows["attributes"].to_pylist() if "attributes" in rows.column_names else [None] * n
    out: list[str | None] = []
    for row, text in zip(rows["_row"].to_pylist(), texts, strict=True):
        named = unmatched.get(int(row))
        if named:
            attributes = json.loads(text) if text else {}
            attributes[UNMATCHED_KEY] = dict(sorted(named.items()))
            text = json.dumps(attributes, ensure_ascii=False)
        out.append(text)
    return _set(rows, "attributes", pa.array(out, pa.string()))


def _set(rows: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in rows.column_names:
        return rows.set_column(rows.column_names.index(name), name, values)
    return rows.append_column(name, values)
