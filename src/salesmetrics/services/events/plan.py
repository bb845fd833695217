"""What each event type does to the data: the fields it sets on one record, and stage moves.

A change names its record by (table, source, external id) and sets fields; links are `Ref`s,
resolved to ids in bulk for the whole batch. Fields are set last-writer-wins by occurred_at, so
a change carries only what its event says (plus the defaults a new record needs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from salesmetrics.ingest.kinds import KINDS
from salesmetrics.services.events import model as m
from salesmetrics.services.imports.links import email_form

# Records that only events (or imports) create: a link to a missing one waits for it.
WAIT_TABLES = frozenset({"orders", "deals", "leads"})
# Records whose other links are never created: an unknown one is left empty, its text kept.
KEEPS_UNMATCHED = frozenset(k.table for k in KINDS.values() if k.keeps_unmatched)
TYPE_ORDER = {
    "lead.created": 0, "order.placed": 1, "deal.created": 2, "activity.logged": 3,
    "feedback.received": 3,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ref:
    """A link by the text an event gives (external id, name, email …), resolved later."""

    table: str
    text: str

    def __str__(self) -> str:
        return f"{self.table.removesuffix('s')} '{self.text}'"


@dataclass(frozen=True, slots=True)
class StageOf:
    """The deal pipeline's first, won or lost stage, when an event names none."""

    kind: str


@dataclass
class Change:
    table: str
    key: str
    creates: bool
    fields: dict[str, Any]
    moves: list[dict[str, Any]] = field(default_factory=list)  # deal_stage_changes rows


def _ref(table: str, text: str | None) -> Ref | None:
    return None if text is None else Ref(table, text)


def _given(data: BaseModel, *skip: str) -> dict[str, Any]:
    """The fields the sender set (an update touches only those)."""
    return {k: getattr(data, k) for k in data.model_fields_set if k not in skip}


REFS: dict[str, str] = {
    "customer_id": "customers", "rep_id": "reps", "channel_id": "channels",
    "owner_rep_id": "reps", "product_id": "products", "lead_id": "leads", "deal_id": "deals",
    "order_id": "orders", "changed_by": "reps", "converted_customer_id": "customers",
    "converted_deal_id": "deals",
}  # fmt: skip


def _linked(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _ref(REFS[k], v) if k in REFS else v for k, v in values.items()}


def _lines(lines: list[m.OrderLineIn]) -> list[dict[str, Any]]:
    return [
        {
            "line_no": i,
            "product_id": _ref("products", ln.product_id),
            "quantity": ln.quantity,
            "unit_price_minor": ln.price(),
            "discount_minor": ln.discount_minor,
            "line_total_minor": ln.total(),
        }
        for i, ln in enumerate(lines, start=1)
    ]


def translate(event: Any, base_currency: str) -> Change:
    """The change one typed event makes."""
    at: datetime = event.occurred_at
    d = event.data
    match event:
        case m.OrderPlaced():
            fields = {"ordered_at": at, "status": "paid", "currency": base_currency,
                      "discount_minor": 0, "tax_minor": 0, "shipping_minor": 0}  # fmt: skip
            fields.update(_linked(_given(d, "external_id", "lines")))
            fields = {k: v for k, v in fields.items() if v is not None or k in d.model_fields_set}
            fields["lines"] = _lines(d.lines)
            return Change("orders", d.external_id, True, fields)
        case m.OrderChanged():
            fields = _linked(_given(d, "external_id", "lines"))
            if d.lines is not None:
                fields["lines"] = _lines(d.lines)
            return Change("orders", d.external_id, False, fields)
        case m.DealCreated():
            return _deal_created(d, at, base_currency)
        case m.DealStageChanged():
            when = d.changed_at or at
            to = Ref("stages", d.to_stage_id)
            move = {"from_stage_id": _ref("stages", d.from_stage_id), "to_stage_id": to,
                    "changed_at": when, "changed_by": _ref("reps", d.changed_by)}  # fmt: skip
            return Change("deals", d.deal_id, False, {"stage_id": to, "_closed_at": when}, [move])
        case m.DealWon() | m.DealLost():
            kind = "won" if isinstance(event, m.DealWon) else "lost"
            when = d.closed_at or at
            stage: Ref | StageOf = _ref("stages", d.stage_id) or StageOf(kind)
            fields = {"stage_id": stage, "_closed_at": when, **_given(d, "deal_id", "stage_id")}
            fields["status"] = kind
            fields.pop("closed_at", None)
            move = {"to_stage_id": stage, "changed_at": when}
            return Change("deals", d.deal_id, False, fields, [move])
        case m.LeadCreated():
            fields = {"created_at": at, "status": "open", **_linked(_given(d, "external_id"))}
            if "attributes" in fields:
                fields["attributes"] = _json(fields["attributes"])
            return Change("leads", d.external_id, True, fields)
        case m.LeadConverted():
            fields = {"status": "converted", "decided_at": d.decided_at or at}
            if "customer_id" in d.model_fields_set:
                fields["converted_customer_id"] = _ref("customers", d.customer_id)
            if "deal_id" in d.model_fields_set:
                fields["converted_deal_id"] = _ref("deals", d.deal_id)
            return Change("leads", d.lead_id, False, fields)
        case m.ActivityLogged():
            fields = {"occurred_at": at, "done": True, **_linked(_given(d, "external_id"))}
            fields["kind"] = d.kind
            return Change("activities", d.external_id or event.id, True, fields)
        case m.FeedbackReceived():
            fields = {"received_at": at, "kind": _feedback_kind(d.score),
                      **_linked(_given(d, "external_id"))}  # fmt: skip
            if d.customer_id is not None:  # an email as the import reads it
                fields["customer_id"] = Ref("customers", email_form(d.customer_id))
            if "attributes" in fields:
                fields["attributes"] = _json(fields["attributes"])
            return Change("feedback", d.external_id or event.id, True, fields)
    raise ValueError(f"unknown event type {event.type}")


def _deal_created(d: m.DealCreatedData, at: datetime, base_currency: str) -> Change:
    created = d.created_at or at
    stage: Ref | StageOf = _ref("stages", d.stage_id) or StageOf("first")
    fields = {"currency": base_currency, **_linked(_given(d, "external_id"))}
    fields.update(created_at=created, stage_id=stage, amount_minor=d.amount_minor)
    if fields["currency"] is None:
        fields["currency"] = base_currency
    fields["_closed_at"] = created
    move = {"to_stage_id": stage, "changed_at": created}
    return Change("deals", d.external_id, True, fields, [move])


def _feedback_kind(score: float | None) -> str:
    """As imports default it: a 0-10 score is NPS, a 1-5 score CSAT, no score a review."""
    if score is None:
        return "review"
    return "nps" if score > 5 else "csat"


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
