"""Events as typed data: the envelope and one `data` model per type, with OpenAPI examples.

Field names are those of the import kinds (salesmetrics.ingest.kinds): an entity's own id is
`external_id`; a link (`customer_id`, `rep_id`, `stage_id` …) names the linked record as an
import cell would (its external id, or a name, email or SKU where imports accept one). Money is
integer minor units (`*_minor`) in the event's `currency` (default: the workspace's).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from salesmetrics.domain.money import check_currency
from salesmetrics.ingest.kinds import KINDS

Text = Annotated[str, Field(min_length=1, max_length=500)]
Minor = Annotated[int, Field(ge=-(2**62), le=2**62)]
Amount = Annotated[int, Field(ge=0, le=2**62)]


def _choice(kind: str, name: str, value: str | None) -> str | None:
    """A status or kind as the imports read it: their synonyms (Ukrainian too) are accepted."""
    if value is None:
        return None
    choices = KINDS[kind].field(name).choices or {}
    found = choices.get(value.strip().lower())
    if found is None:
        known = ", ".join(sorted(set(choices.values())))
        raise ValueError(f"'{value}' is not a {name}: use one of {known}")
    return found


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Money(_Data):
    currency: str | None = Field(default=None, examples=["UAH"], description="ISO 4217 code")

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        return None if v is None else check_currency(v)


class OrderLineIn(_Data):
    """One line; `line_total_minor` defaults to quantity x unit price - discount."""

    product_id: Text | None = Field(default=None, examples=["SKU-0042"])
    quantity: int = Field(default=1, ge=-100_000, le=100_000)
    unit_price_minor: Minor | None = Field(default=None, examples=[125_000])
    discount_minor: Amount = 0
    line_total_minor: Minor | None = None

    def total(self) -> int:
        if self.line_total_minor is not None:
            return self.line_total_minor
        if self.unit_price_minor is None:
            raise ValueError("a line needs unit_price_minor or line_total_minor")
        return self.quantity * self.unit_price_minor - self.discount_minor

    def price(self) -> int:
        if self.unit_price_minor is not None:
            return self.unit_price_minor
        return (self.total() + self.discount_minor) // (self.quantity or 1)


class _OrderFields(_Money):
    ordered_at: AwareDatetime | None = Field(default=None, description="default: occurred_at")
    customer_id: Text | None = Field(default=None, examples=["CUS-0000001"])
    rep_id: Text | None = Field(default=None, examples=["REP-001"])
    channel_id: Text | None = Field(default=None, examples=["CH-01"])
    status: str | None = Field(default=None, examples=["paid"])
    discount_minor: Amount | None = None
    tax_minor: Amount | None = None
    shipping_minor: Amount | None = None

    @field_validator("status")
    @classmethod
    def _status(cls, v: str | None) -> str | None:
        return _choice("orders", "status", v)


class OrderPlacedData(_OrderFields):
    """A new order with its lines (sent again, it updates the order)."""

    external_id: Text = Field(examples=["ORD-100234"])
    lines: list[OrderLineIn] = Field(default=[], max_length=1000)


class OrderChangedData(_OrderFields):
    """Some fields of an order; `lines`, when given, replace all of its lines."""

    external_id: Text = Field(examples=["ORD-100234"])
    lines: list[OrderLineIn] | None = Field(default=None, max_length=1000)


class DealCreatedData(_Money):
    external_id: Text = Field(examples=["DEAL-000981"])
    title: Text | None = Field(default=None, examples=["Annual supply"])
    customer_id: Text | None = Field(default=None, examples=["CUS-0000001"])
    lead_id: Text | None = None
    owner_rep_id: Text | None = Field(default=None, examples=["REP-002"])
    channel_id: Text | None = None
    stage_id: Text | None = Field(default=None, description="default: the pipeline's first stage")
    amount_minor: Amount = Field(examples=[4_500_000])
    created_at: AwareDatetime | None = Field(default=None, description="default: occurred_at")
    expected_close_on: date | None = None


class DealStageChangedData(_Data):
    deal_id: Text = Field(examples=["DEAL-000981"])
    to_stage_id: Text = Field(examples=["STG-03"])
    from_stage_id: Text | None = Field(default=None, examples=["STG-02"])
    changed_at: AwareDatetime | None = Field(default=None, description="default: occurred_at")
    changed_by: Text | None = Field(default=None, examples=["REP-002"])


class DealWonData(_Data):
    deal_id: Text = Field(examples=["DEAL-000981"])
    closed_at: AwareDatetime | None = Field(default=None, description="default: occurred_at")
    amount_minor: Amount | None = Field(default=None, description="the final amount, if it moved")
    stage_id: Text | None = Field(default=None, description="default: the pipeline's won stage")


class DealLostData(_Data):
    deal_id: Text = Field(examples=["DEAL-000981"])
    closed_at: AwareDatetime | None = Field(default=None, description="default: occurred_at")
    lost_reason: Text | None = Field(default=None, examples=["price"])
    stage_id: Text | None = Field(default=None, description="default: the pipeline's lost stage")


class LeadCreatedData(_Data):
    external_id: Text = Field(examples=["LEAD-5521"])
    created_at: AwareDatetime | None = Field(default=None, description="default: occurred_at")
    name: Text | None = Field(default=None, examples=["Оксана Мельник"])
    company: Text | None = None
    email: Text | None = Field(default=None, examples=["oksana@example.com"])
    phone: Text | None = None
    channel_id: Text | None = None
    owner_rep_id: Text | None = None
    status: str | None = Field(default=None, description="default: open")
    first_response_at: AwareDatetime | None = None
    attributes: dict[str, Any] | None = Field(default=None, examples=[{"budget": "5-10k"}])

    @field_validator("status")
    @classmethod
    def _status(cls, v: str | None) -> str | None:
        return _choice("leads", "status", v)


class LeadConvertedData(_Data):
    lead_id: Text = Field(examples=["LEAD-5521"])
    decided_at: AwareDatetime | None = Field(default=None, description="default: occurred_at")
    customer_id: Text | None = Field(default=None, examples=["oksana@example.com"])
    deal_id: Text | None = Field(default=None, examples=["DEAL-000981"])


class ActivityLoggedData(_Data):
    external_id: Text | None = Field(default=None, description="default: the event id")
    kind: str = Field(examples=["call"])
    rep_id: Text | None = Field(default=None, examples=["REP-002"])
    occurred_at: AwareDatetime | None = Field(default=None, description="default: occurred_at")
    due_at: AwareDatetime | None = None
    done: bool = True
    lead_id: Text | None = None
    deal_id: Text | None = Field(default=None, examples=["DEAL-000981"])
    customer_id: Text | None = None
    outcome: Text | None = Field(default=None, examples=["interested"])

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return _choice("activities", "kind", v) or v


class FeedbackReceivedData(_Data):
    """A response, linked as a feedback import links it: an unknown customer, rep, product or
    channel is never created (the link is left empty, its text kept in
    `attributes._unmatched`); the customer and rep it does not name come from its order, deal
    or customer."""

    external_id: Text | None = Field(default=None, description="default: the event id")
    received_at: AwareDatetime | None = Field(default=None, description="default: occurred_at")
    kind: str | None = Field(default=None, examples=["nps"], description="default: from score")
    score: float | None = Field(default=None, ge=0, le=100, examples=[9])
    scale_max: int | None = Field(default=None, ge=1, le=100)
    comment: Text | None = Field(default=None, examples=["Швидка доставка"])
    language: str | None = Field(default=None, max_length=16, examples=["uk"])
    customer_id: Text | None = None
    order_id: Text | None = None
    deal_id: Text | None = None
    rep_id: Text | None = None
    product_id: Text | None = None
    channel_id: Text | None = None
    attributes: dict[str, Any] | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str | None) -> str | None:
        return _choice("feedback", "kind", v)


EventId = Annotated[str, Field(min_length=1, max_length=200, examples=["evt_01JD7Z3K9M"])]
Source = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.:-]+$")]
SOURCE_DEFAULT = "events"


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: EventId = Field(description="The sender's unique id: a repeat is acknowledged, not applied")
    occurred_at: AwareDatetime = Field(description="When it happened, ISO 8601 with a zone")
    source: Source = Field(
        default=SOURCE_DEFAULT,
        description="The system the ids come from: the event's own record is (source, external id)",
    )


def _example(type_: str, data: dict[str, Any]) -> ConfigDict:
    example: dict[str, Any] = {"id": "evt_01JD7Z3K9M", "type": type_,
               "occurred_at": "2026-11-26T10:15:00+02:00", "data": data}  # fmt: skip
    return ConfigDict(json_schema_extra={"examples": [example]})


class OrderPlaced(_Envelope):
    model_config = _example("order.placed", {
        "external_id": "ORD-100234", "customer_id": "CUS-0000001", "rep_id": "REP-001",
        "currency": "UAH", "lines": [{"product_id": "SKU-0042", "quantity": 2,
                                      "unit_price_minor": 125000}]})  # fmt: skip
    type: Literal["order.placed"]
    data: OrderPlacedData


class OrderChanged(_Envelope):
    model_config = _example("order.changed", {
        "external_id": "ORD-100234", "status": "refunded"})  # fmt: skip
    type: Literal["order.changed"]
    data: OrderChangedData


class DealCreated(_Envelope):
    model_config = _example("deal.created", {
        "external_id": "DEAL-000981", "title": "Annual supply", "customer_id": "CUS-0000001",
        "owner_rep_id": "REP-002", "amount_minor": 4500000, "currency": "UAH"})  # fmt: skip
    type: Literal["deal.created"]
    data: DealCreatedData


class DealStageChanged(_Envelope):
    model_config = _example("deal.stage_changed", {
        "deal_id": "DEAL-000981", "from_stage_id": "STG-02", "to_stage_id": "STG-03"})  # fmt: skip
    type: Literal["deal.stage_changed"]
    data: DealStageChangedData


class DealWon(_Envelope):
    model_config = _example("deal.won", {
        "deal_id": "DEAL-000981", "amount_minor": 4200000})  # fmt: skip
    type: Literal["deal.won"]
    data: DealWonData


class DealLost(_Envelope):
    model_config = _example("deal.lost", {
        "deal_id": "DEAL-000981", "lost_reason": "price"})  # fmt: skip
    type: Literal["deal.lost"]
    data: DealLostData


class LeadCreated(_Envelope):
    model_config = _example("lead.created", {
        "external_id": "LEAD-5521", "name": "Оксана Мельник", "email": "oksana@example.com",
        "channel_id": "CH-01"})  # fmt: skip
    type: Literal["lead.created"]
    data: LeadCreatedData


class LeadConverted(_Envelope):
    model_config = _example("lead.converted", {
        "lead_id": "LEAD-5521", "customer_id": "oksana@example.com"})  # fmt: skip
    type: Literal["lead.converted"]
    data: LeadConvertedData


class ActivityLogged(_Envelope):
    model_config = _example("activity.logged", {
        "kind": "call", "rep_id": "REP-002", "deal_id": "DEAL-000981",
        "outcome": "interested"})  # fmt: skip
    type: Literal["activity.logged"]
    data: ActivityLoggedData


class FeedbackReceived(_Envelope):
    model_config = _example("feedback.received", {
        "kind": "nps", "score": 9, "customer_id": "CUS-0000001",
        "comment": "Швидка доставка"})  # fmt: skip
    type: Literal["feedback.received"]
    data: FeedbackReceivedData


Event = Annotated[
    OrderPlaced | OrderChanged | DealCreated | DealStageChanged | DealWon | DealLost
    | LeadCreated | LeadConverted | ActivityLogged | FeedbackReceived,
    Field(discriminator="type"),
]  # fmt: skip
EVENT_TYPES: tuple[str, ...] = (
    "order.placed", "order.changed", "deal.created", "deal.stage_changed", "deal.won",
    "deal.lost", "lead.created", "lead.converted", "activity.logged", "feedback.received",
)  # fmt: skip


MAX_EVENTS = 1000  # per request, in any body shape


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[Event] = Field(min_length=1, max_length=MAX_EVENTS)


EventsBody = Event | Annotated[list[Event], Field(max_length=MAX_EVENTS)] | EventBatch


def as_list(body: EventsBody) -> list[Any]:
    """The events of any accepted body shape, in the order sent."""
    if isinstance(body, EventBatch):
        return list(body.events)
    return list(body) if isinstance(body, list) else [body]
