"""Response models: the OpenAPI contract."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    engine: str = Field(examples=["duckdb"])
    schema_version: int = Field(examples=[1])
    process: str = Field(
        description="Which server process answered: several may serve one PostgreSQL workspace",
        examples=["3f9a1c2e"],
    )


class DateRange(BaseModel):
    first: str
    last: str


class WorkspacePublic(BaseModel):
    url: str = Field(examples=["salesmetrics.duckdb"])
    engine: str = Field(examples=["duckdb"])
    schema_version: int
    settings: dict[str, str]
    tables: dict[str, int] = Field(description="Rows per data table.")
    total_rows: int
    date_ranges: dict[str, DateRange] = Field(description="First and last record per dated table.")


class MetricSummary(BaseModel):
    name: str = Field(examples=["win_rate"])
    label: dict[str, str] = Field(examples=[{"en": "Win rate", "uk": "Частка виграних угод"}])
    description: dict[str, str]
    type: str = Field(examples=["ratio"])
    unit: str = Field(examples=["percent"], description="money: minor units of base currency; "
                      "percent: a fraction (0.25 = 25 %)")  # fmt: skip
    direction: str = Field(examples=["higher"])
    variants: dict[str, list[str]] = Field(examples=[{"basis": ["count", "value", "created"]}])
    builtin: bool


class MetricList(BaseModel):
    data: list[MetricSummary]
    count: int


# Text in a query body: no NUL characters (PostgreSQL cannot hold them), a sane length.
Word = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")]


class MetricQueryIn(BaseModel):
    """A KPI query: metrics x dimensions x grain x period x filters x comparison."""

    metrics: list[Word] = Field(min_length=1, max_length=50, examples=[["revenue", "win_rate"]])
    period: Word = Field(default="this_month", examples=["last_month", "2026-01-01..2026-03-31"])
    grain: Word | None = Field(default=None, examples=["month"])
    by: list[Word] = Field(default=[], max_length=10, examples=[["rep"]])
    filters: list[Word] = Field(default=[], max_length=50, examples=[["channel!=SEO"]])
    compare: Word | None = Field(default=None, examples=["previous"])
    variants: dict[Word, Word] = Field(default={}, examples=[{"returns": "gross"}])
    as_of: Word | None = Field(
        default=None, description="YYYY-MM-DD, from 1900-01-01 to 2999-12-31; default today"
    )


class MetricInfoOut(BaseModel):
    name: str
    label: dict[str, str]
    unit: str
    direction: str
    variants: dict[str, str]
    interval: bool


class MetricQueryOut(BaseModel):
    period: str = Field(examples=["2026-10-01..2026-10-31"])
    comparison_period: str | None = None
    grain: str | None
    by: list[str]
    metrics: list[MetricInfoOut]
    rows: list[dict[str, object]] = Field(
        description="One row per period and dimension values: `period`, each dimension, each "
        "metric, and `<metric>__low/__high` (intervals), `__previous/__delta/__delta_pct/"
        "__significant` (comparison)."
    )
    warnings: list[str]
    seconds: float


class MetricDefinitionOut(BaseModel):
    """A metric's definition as data (fields at their defaults left out), and where it is from."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{
            "name": "win_rate", "label": {"en": "Win rate", "uk": "Частка виграних угод"},
            "description": {"en": "Won deals out of closed deals.", "uk": "Виграні з закритих."},
            "type": "ratio", "unit": "percent", "numerator": "deals_won",
            "denominator": "deals_closed", "proportion": True,
            "defined_at": "builtin:deals.yaml:40",
        }]},
    )  # fmt: skip

    name: str
    label: dict[str, str]
    description: dict[str, str]
    type: str
    unit: str
    defined_at: str = Field(description="`builtin:<file>:<line>` or the workspace file and line")


class ExplainDefinition(BaseModel):
    metric: str = Field(examples=["aov"])
    key: str
    type: str
    description: str
    variants: dict[str, str]
    source: str | None
    measure: dict[str, object] | None
    filters: list[str]
    time: str | None
    numerator: str | None
    denominator: str | None
    expr: str | None
    at_period_end: str | None
    defined_at: str


class ExplainQuery(BaseModel):
    range: str = Field(examples=["current"])
    leaves: list[str] = Field(examples=[["revenue", "orders"]])
    reads: list[str] = Field(examples=[["order_lines"]])
    period: str = Field(examples=["2026-10-01..2026-10-31"])
    sql: str = Field(examples=["SELECT ..."])


class ExplainOut(BaseModel):
    """How a query is computed: definitions and variants in force, and each SQL statement."""

    metrics: list[str] = Field(examples=[["aov"]])
    period: str = Field(examples=["2026-10-01..2026-10-31"])
    grain: str | None
    by: list[str]
    filters: list[str]
    compare: str | None
    comparison_period: str | None
    definitions: list[ExplainDefinition]
    queries: list[ExplainQuery]
    notes: list[str]


class OverviewCard(BaseModel):
    name: str = Field(examples=["revenue"])
    label: dict[str, str] = Field(examples=[{"en": "Revenue", "uk": "Виручка"}])
    unit: str = Field(examples=["money"])
    direction: str = Field(examples=["higher"])
    value: float | None = Field(examples=[125050.0])
    previous: float | None
    delta: float | None
    delta_pct: float | None
    low: float | None
    high: float | None
    significant: bool | None
    better: bool | None = Field(description="Whether the change is good news for this metric.")
    spark: list[float | None] = Field(
        default=[], description="The last 12 months, oldest first; this month to date last."
    )


class TrendPoint(BaseModel):
    period: str = Field(examples=["2026-10-01"])
    revenue: float | None


class RepRevenue(BaseModel):
    rep: str | None = Field(examples=["Олена Коваль"])
    revenue: float | None


class ChannelShare(BaseModel):
    channel: str | None = Field(examples=["Instagram"])
    revenue: float | None = Field(examples=[1250500.0])
    new_customers: float | None = Field(examples=[14.0])
    share: float | None = Field(examples=[0.21], description="Of this month's revenue.")


class OverviewOut(BaseModel):
    """The Overview page as JSON; money in minor units of `currency`."""

    period: str = Field(examples=["2026-11-01..2026-11-26"])
    comparison_period: str | None = Field(examples=["2026-10-01..2026-10-26"])
    currency: str = Field(examples=["UAH"])
    cards: list[OverviewCard]
    trend: list[TrendPoint]
    revenue_by_rep: list[RepRevenue]
    channels: list[ChannelShare] = []
    seconds: float
    warnings: list[str]
    data_version: int | None = Field(
        default=None, description="The workspace's data version these figures were computed at."
    )


# ---- errors (RFC 9457 problem details) ----


class Problem(BaseModel):
    """An error, as application/problem+json (RFC 9457)."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Not Found"], description="The HTTP status phrase.")
    status: int = Field(examples=[404])
    detail: str = Field(
        examples=["no deal with id 123"], description="What went wrong, for people."
    )
    instance: str = Field(examples=["/api/v1/deals/123"], description="The request path.")
    code: str = Field(examples=["not_found_error"], description="What went wrong, for programs.")
    problems: list[str] | None = Field(
        default=None, description="Metric definition errors: every problem with its file and line."
    )


class FieldError(BaseModel):
    location: str = Field(examples=["query"], description="query, path, body or header")
    name: str = Field(examples=["status"], description="The parameter (dotted for nested fields).")
    reason: str = Field(examples=["Input should be 'open', 'won' or 'lost'"])


class ValidationProblem(Problem):
    """A 422: a request that does not fit the API's schema (one entry per wrong parameter in
    `errors`), or values that fit it but not the data (an unknown metric, a bad period)."""

    errors: list[FieldError] = Field(
        default=[], description="Each parameter that does not fit (absent for other 422s)."
    )


# ---- records ----


class MoneyOut(BaseModel):
    """An amount: integer minor units, its currency, and the exact decimal in major units."""

    minor: int = Field(examples=[125050])
    currency: str = Field(examples=["UAH"])
    amount: str = Field(examples=["1250.50"], description="minor / 10^exponent, exactly")


class RecordOut(BaseModel):
    id: int = Field(examples=[1])
    external_id: str | None = Field(description="The id in the system the record came from.")
    source: str = Field(examples=["local"], description="Which import or event source sent it.")


class DealOut(RecordOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "external_id": "DEAL-0000001", "source": "demo",
        "title": "Кафе «Вежа»: текстиль і посуд", "status": "won", "pipeline_id": 1,
        "pipeline": "Main", "stage_id": 6, "stage": "Won", "rep_id": 3, "rep": "Олена Коваль",
        "customer_id": 42, "customer": "Кафе «Вежа»", "lead_id": 6, "channel_id": 2,
        "channel": "Instagram", "currency": "UAH",
        "amount": {"minor": 1180000, "currency": "UAH", "amount": "11800.00"},
        "created_at": "2024-12-03T15:38:52Z", "expected_close_on": "2025-01-05",
        "closed_at": "2024-12-20T13:51:20Z", "lost_reason": None,
    }]})  # fmt: skip

    title: str | None
    status: str = Field(examples=["open"], description="open, won or lost")
    pipeline_id: int
    pipeline: str | None
    stage_id: int
    stage: str | None
    rep_id: int | None
    rep: str | None
    customer_id: int | None
    customer: str | None
    lead_id: int | None
    channel_id: int | None
    channel: str | None
    currency: str
    amount: MoneyOut
    created_at: datetime
    expected_close_on: date | None
    closed_at: datetime | None
    lost_reason: str | None


class LeadOut(RecordOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "external_id": "LEAD-0000001", "source": "demo", "name": "Остап Левченко",
        "company": "ТОВ «Вежа»", "email": "ostap@vezha.com.ua", "phone": "+380662942933",
        "status": "converted", "channel_id": 1, "channel": "Google Ads", "rep_id": 7,
        "rep": "Ірина Бондар", "created_at": "2024-12-01T04:08:54Z",
        "first_response_at": "2024-12-02T08:03:22Z", "decided_at": "2024-12-04T15:37:05Z",
        "converted_customer_id": 12, "converted_deal_id": 3,
        "attributes": {"industry": "Офіс", "company_size": "1-10"},
    }]})  # fmt: skip

    name: str | None
    company: str | None
    email: str | None
    phone: str | None
    status: str = Field(examples=["open"], description="open, converted or lost")
    channel_id: int | None
    channel: str | None
    rep_id: int | None
    rep: str | None
    created_at: datetime
    first_response_at: datetime | None
    decided_at: datetime | None
    converted_customer_id: int | None
    converted_deal_id: int | None
    attributes: dict[str, Any] | None = Field(description="Any other columns the source had.")


class CustomerOut(RecordOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "external_id": "CUS-0000001", "source": "demo", "name": "Марія Левченко",
        "email": "mariia@example.com", "phone": "+380683808429", "company": None,
        "region": "м. Київ", "industry": None, "size_band": None, "channel_id": 4,
        "channel": "Rozetka", "rep_id": None, "rep": None,
        "acquired_at": "2024-12-01T13:05:06Z", "attributes": {"type": "b2c"},
    }]})  # fmt: skip

    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    region: str | None
    industry: str | None
    size_band: str | None
    channel_id: int | None
    channel: str | None
    rep_id: int | None
    rep: str | None
    acquired_at: datetime | None = Field(description="When the customer was won (first order).")
    attributes: dict[str, Any] | None


class OrderOut(RecordOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "external_id": "ORD-00000001", "source": "demo", "status": "paid",
        "customer_id": 1, "customer": "Марія Левченко", "rep_id": None, "rep": None,
        "channel_id": 4, "channel": "Rozetka", "ordered_at": "2024-12-01T13:05:06Z",
        "currency": "UAH", "total": {"minor": 257100, "currency": "UAH", "amount": "2571.00"},
        "discount": {"minor": 0, "currency": "UAH", "amount": "0.00"},
        "tax": {"minor": 0, "currency": "UAH", "amount": "0.00"},
        "shipping": {"minor": 0, "currency": "UAH", "amount": "0.00"},
    }]})  # fmt: skip

    status: str = Field(examples=["paid"], description="paid, pending, cancelled or refunded")
    customer_id: int | None
    customer: str | None
    rep_id: int | None
    rep: str | None
    channel_id: int | None
    channel: str | None
    ordered_at: datetime
    currency: str
    total: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    shipping: MoneyOut


class RepOut(RecordOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "external_id": "REP-001", "source": "demo", "name": "Олена Коваль",
        "email": "olena.koval@example.com", "team_id": 1, "team": "HoReCa", "active": True,
        "hired_on": "2020-05-26", "attributes": {"city": "м. Київ"},
    }]})  # fmt: skip

    name: str
    email: str | None
    team_id: int | None
    team: str | None
    active: bool
    hired_on: date | None
    attributes: dict[str, Any] | None


class ProductOut(RecordOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "external_id": "TXT-001", "source": "demo", "sku": "TXT-001",
        "name": "Плед вовняний 140×200", "category": "Текстиль", "active": True,
        "currency": "UAH", "unit_price": {"minor": 189000, "currency": "UAH", "amount": "1890.00"},
        "unit_cost": {"minor": 124400, "currency": "UAH", "amount": "1244.00"},
    }]})  # fmt: skip

    sku: str | None
    name: str
    category: str | None
    active: bool
    currency: str
    unit_price: MoneyOut | None
    unit_cost: MoneyOut | None


T = TypeVar("T", bound=RecordOut)


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int = Field(examples=[2072], description="Records that match the filters, all pages.")
    limit: int = Field(examples=[50])
    sort: str = Field(examples=["-created_at"])
    next: str | None = Field(
        examples=["/api/v1/deals?sort=-created_at&cursor=WyItY3JlYXRlZF9hdCIsIjIwMjQiLDFd"],
        description="The next page's link (same filters and sort); null on the last page.",
    )
    next_cursor: str | None = Field(description="The `cursor` value of the next page.")


class DealPage(Page[DealOut]):
    """A page of deals."""


class LeadPage(Page[LeadOut]):
    """A page of leads."""


class CustomerPage(Page[CustomerOut]):
    """A page of customers."""


class OrderPage(Page[OrderOut]):
    """A page of orders."""


class RepPage(Page[RepOut]):
    """A page of reps."""


class ProductPage(Page[ProductOut]):
    """A page of products."""
