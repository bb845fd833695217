"""Feedback from events stored as an import stores it (services/feedback_links): a link to an
unknown customer, rep, product or channel is left empty with its text kept under `_unmatched`,
never created; and the customer and rep a response does not give are inherited from its order,
deal or customer.

An inherited link carries the version INHERITED, older than any event's: an event that names
the link sets it whatever order the events came in, and a response whose links change inherits
again, as a re-imported row does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pyarrow as pa

from salesmetrics.services import feedback_links
from salesmetrics.services.events.plan import Ref
from salesmetrics.services.feedback_links import UNMATCHED_KEY
from salesmetrics.services.imports.links import Links
from salesmetrics.storage.protocol import WriteTx

INHERITED = ["", ""]  # (occurred_at, event id) of an inherited link: before every event
INHERITS = ("customer_id", "rep_id")
VIA = ("order_id", "deal_id")


class Record(Protocol):
    row: dict[str, Any]
    versions: dict[str, list[str]]
    changed: set[str]
    before: dict[str, Any] | None


def complete(tx: WriteTx, records: Sequence[Record], ids: Mapping[str, Mapping[str, int]]) -> None:
    """Resolve the responses' links in place (`ids`: table -> ref text -> id, the known ones)
    and fill in what they inherit, with the text of the unknown links in their attributes."""
    if not records:
        return
    named = [_resolve(rec, ids) for rec in records]
    given = {f: [_given(rec, f, n) for rec, n in zip(records, named, strict=True)]
             for f in INHERITS}  # fmt: skip
    rows = pa.table(
        {
            "_row": pa.array(range(len(records)), pa.int64()),
            **{f: pa.array(v, pa.int64()) for f, v in given.items()},
            **{f: pa.array([r.row.get(f) for r in records], pa.int64()) for f in VIA},
            "attributes": pa.array([_own(r.row.get("attributes")) for r in records], pa.string()),
        }
    )
    unmatched = {k: n for k, n in enumerate(named) if n}
    done = feedback_links.complete(tx, rows, Links(unmatched=unmatched)).to_pylist()
    for k, (rec, out) in enumerate(zip(records, done, strict=True)):
        for f in INHERITS:
            _inherit(rec, f, given[f][k], out[f])
        if _parsed(out["attributes"]) != _parsed(rec.row.get("attributes")):
            rec.row["attributes"] = out["attributes"]
            rec.changed.add("attributes")


def _resolve(rec: Record, ids: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
    """The record's links as ids; field -> text of those that match nothing (this batch's
    events say, else what was kept before)."""
    before = _parsed(rec.before.get("attributes")) if rec.before else None
    kept = before.get(UNMATCHED_KEY) if isinstance(before, dict) else None
    named = {f: str(t) for f, t in (kept if isinstance(kept, dict) else {}).items()
             if f not in rec.changed}  # fmt: skip
    for name, value in list(rec.row.items()):
        if isinstance(value, Ref):
            rec.row[name] = ids[value.table].get(value.text)
            if rec.row[name] is None:
                named[name] = value.text
    return named


def _given(rec: Record, name: str, named: dict[str, str]) -> int | None:
    """The link the response gives itself: none when it names an unknown record, or when it
    was inherited."""
    if name in named or rec.versions.get(name) == INHERITED:
        return None
    value = rec.row.get(name)
    return None if value is None else int(value)


def _inherit(rec: Record, name: str, given: int | None, value: int | None) -> None:
    if value != rec.row.get(name):
        rec.row[name] = value
        rec.changed.add(name)
    if rec.versions.get(name, INHERITED) != INHERITED:
        return  # an event set it (perhaps to an unknown record): its own version stays
    if given is None and value is not None:
        rec.versions[name] = list(INHERITED)
    else:
        rec.versions.pop(name, None)


def _own(text: Any) -> str | None:
    """Attributes without the links noted before (noted again if still unknown)."""
    attributes = _parsed(text)
    if isinstance(attributes, dict) and UNMATCHED_KEY in attributes:
        attributes = {k: v for k, v in attributes.items() if k != UNMATCHED_KEY} or None
    if attributes is None:
        return None
    return json.dumps(attributes, ensure_ascii=False, sort_keys=True)


def _parsed(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else text
