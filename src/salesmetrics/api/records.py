"""Record endpoints: lists with filters, sorting and cursor pagination, and one record by id.

Each list's query string is one pydantic model: unknown parameters, unknown enum values and
sort fields outside the whitelist are refused with a 422 problem that lists what is allowed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.api.schemas import (
    CustomerOut,
    CustomerPage,
    DealOut,
    DealPage,
    LeadOut,
    LeadPage,
    OrderOut,
    OrderPage,
    ProductOut,
    ProductPage,
    RepOut,
    RepPage,
)
from salesmetrics.domain.access import Principal
from salesmetrics.domain.enums import DealStatus, LeadStatus, OrderStatus
from salesmetrics.services import exports, records
from salesmetrics.services.records import RecordPage
from salesmetrics.services.segments.picker import codes

router = APIRouter(prefix="/api/v1", tags=["records"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
Search = Annotated[
    str,
    StringConstraints(min_length=1, max_length=records.MAX_SEARCH, pattern=r"^[^\x00]*\S[^\x00]*$"),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Day = date | SkipJsonSchema[None]


def _ids(what: str) -> Any:
    return Field(default=[], max_length=100, description=f"Only {what} (repeat for several).")


def _texts(what: str) -> Any:
    return Field(default=[], max_length=100, description=f"Only these {what} (exact, repeatable).")


def _day(what: str, end: str) -> Any:
    return Field(default=None, description=f"{what} on or {end} this local date (YYYY-MM-DD).")


if TYPE_CHECKING:
    SegmentCode: TypeAlias = str | None
    DealSort: TypeAlias = str
    LeadSort: TypeAlias = str
    CustomerSort: TypeAlias = str
    OrderSort: TypeAlias = str
    RepSort: TypeAlias = str
    ProductSort: TypeAlias = str
else:
    SegmentCode = Literal[codes()]
    DealSort, LeadSort, CustomerSort, OrderSort, RepSort, ProductSort = (
        Literal[records.sort_keys(kind)]
        for kind in ("deals", "leads", "customers", "orders", "reps", "products")
    )

_SORT_HELP = "A field to sort by; a leading '-' sorts descending. Ties are broken by id."


class Listed(BaseModel):
    """What every list and export takes besides its kind's own filters."""

    model_config = ConfigDict(extra="forbid")

    q: Search | SkipJsonSchema[None] = Field(
        default=None, description="Only records whose name, title, company, email, phone, "
        "SKU or external id holds this text (case ignored).", examples=["Коваленко"],
    )  # fmt: skip

    def filters(self) -> dict[str, Any]:
        return self.model_dump(exclude={"limit", "cursor", "sort", "q", "format", "segment"})

    def view(self, who: Principal) -> Principal:
        """The asker, narrowed to the customer segment asked for (kinds that have one)."""
        code = getattr(self, "segment", None)
        return who if code is None else replace(who, scope=replace(who.scope, segment=code))


def _segment(what: str) -> Any:
    return Field(default=None, description=f"Only the {what} of customers in this customer "
                 "segment (RFM, as last computed: `salesmetrics segments refresh`).")  # fmt: skip


class Paged(Listed):
    limit: int = Field(default=records.DEFAULT_LIMIT, ge=1, le=records.MAX_LIMIT,
                       description="Records per page.")  # fmt: skip
    cursor: str | SkipJsonSchema[None] = Field(
        default=None, max_length=1000, pattern=r"^[A-Za-z0-9_-]+$",
        description="Where the page starts: the `next_cursor` of the previous page.",
    )  # fmt: skip


class Exported(Listed):
    format: Literal["csv", "xlsx"] = Field(
        default="csv", description="CSV (UTF-8 with a byte order mark) or an Excel workbook."
    )


class DealFilters(Listed):
    status: list[DealStatus] = _ids("deals in these statuses")
    pipeline_id: list[Id] = _ids("deals in these pipelines")
    stage_id: list[Id] = _ids("deals in these stages")
    rep_id: list[Id] = _ids("deals owned by these reps")
    customer_id: list[Id] = _ids("deals of these customers")
    channel_id: list[Id] = _ids("deals from these channels")
    currency: list[Currency] = _texts("currencies")
    created_from: Day = _day("Created", "after")
    created_to: Day = _day("Created", "before")
    closed_from: Day = _day("Closed", "after")
    closed_to: Day = _day("Closed", "before")
    segment: SegmentCode = _segment("deals")
    sort: DealSort = Field(default="id", description=_SORT_HELP)


class LeadFilters(Listed):
    status: list[LeadStatus] = _ids("leads in these statuses")
    channel_id: list[Id] = _ids("leads from these channels (lead sources)")
    rep_id: list[Id] = _ids("leads owned by these reps")
    created_from: Day = _day("Created", "after")
    created_to: Day = _day("Created", "before")
    decided_from: Day = _day("Converted or lost", "after")
    decided_to: Day = _day("Converted or lost", "before")
    sort: LeadSort = Field(default="id", description=_SORT_HELP)


class CustomerFilters(Listed):
    region: list[Text] = _texts("regions")
    industry: list[Text] = _texts("industries")
    size_band: list[Text] = _texts("company size bands")
    channel_id: list[Id] = _ids("customers acquired through these channels")
    rep_id: list[Id] = _ids("customers owned by these reps")
    acquired_from: Day = _day("Acquired (first order)", "after")
    acquired_to: Day = _day("Acquired (first order)", "before")
    segment: SegmentCode = _segment("records")
    sort: CustomerSort = Field(default="id", description=_SORT_HELP)


class OrderFilters(Listed):
    status: list[OrderStatus] = _ids("orders in these statuses")
    customer_id: list[Id] = _ids("orders of these customers")
    rep_id: list[Id] = _ids("orders of these reps")
    channel_id: list[Id] = _ids("orders through these channels")
    currency: list[Currency] = _texts("currencies")
    placed_from: Day = _day("Placed", "after")
    placed_to: Day = _day("Placed", "before")
    segment: SegmentCode = _segment("orders")
    sort: OrderSort = Field(default="id", description=_SORT_HELP)


class RepFilters(Listed):
    team_id: list[Id] = _ids("reps of these teams")
    active: bool | SkipJsonSchema[None] = Field(default=None, description="Only (in)active reps.")
    sort: RepSort = Field(default="id", description=_SORT_HELP)


class ProductFilters(Listed):
    category: list[Text] = _texts("categories")
    active: bool | SkipJsonSchema[None] = Field(default=None, description="Only (in)active ones.")
    currency: list[Currency] = _texts("price currencies")
    sort: ProductSort = Field(default="id", description=_SORT_HELP)


class DealQuery(DealFilters, Paged):
    pass


class DealExport(DealFilters, Exported):
    pass


class LeadQuery(LeadFilters, Paged):
    pass


class LeadExport(LeadFilters, Exported):
    pass


class CustomerQuery(CustomerFilters, Paged):
    pass


class CustomerExport(CustomerFilters, Exported):
    pass


class OrderQuery(OrderFilters, Paged):
    pass


class OrderExport(OrderFilters, Exported):
    pass


class RepQuery(RepFilters, Paged):
    pass


class RepExport(RepFilters, Exported):
    pass


class ProductQuery(ProductFilters, Paged):
    pass


class ProductExport(ProductFilters, Exported):
    pass


RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id.")]
LIST_ERRORS = problem_responses(422, 503)
ONE_ERRORS = problem_responses(404, 422, 503)


def _page(
    request: Request, ws: WorkspaceDep, who: PrincipalDep, kind: str, query: Paged
) -> dict[str, Any]:
    sort = str(getattr(query, "sort", "id"))
    page: RecordPage = records.list_records(ws, kind, query.view(who).scope,
                                            filters=query.filters(),
                                            sort=sort, limit=query.limit, cursor=query.cursor,
                                            search=query.q)  # fmt: skip
    link = None
    if page.next_cursor:
        url = request.url.include_query_params(cursor=page.next_cursor)
        link = f"{url.path}?{url.query}"
    return {"data": page.rows, "count": page.total, "limit": page.limit, "sort": page.sort,
            "next": link, "next_cursor": page.next_cursor}  # fmt: skip


@router.get("/deals", response_model=DealPage, responses=LIST_ERRORS)
def list_deals(
    request: Request, ws: WorkspaceDep, who: PrincipalDep, q: Annotated[DealQuery, Query()]
) -> Any:
    """Deals, filtered by status, pipeline, stage, rep, customer, channel, created or closed."""
    return _page(request, ws, who, "deals", q)


@router.get("/deals/{record_id}", response_model=DealOut, responses=ONE_ERRORS)
def get_deal(record_id: RecordId, ws: WorkspaceDep, who: PrincipalDep) -> Any:
    """One deal."""
    return records.get_record(ws, "deals", record_id, who.scope)


@router.get("/leads", response_model=LeadPage, responses=LIST_ERRORS)
def list_leads(
    request: Request, ws: WorkspaceDep, who: PrincipalDep, q: Annotated[LeadQuery, Query()]
) -> Any:
    """Leads, filtered by status, source channel, rep, and when created or decided."""
    return _page(request, ws, who, "leads", q)


@router.get("/leads/{record_id}", response_model=LeadOut, responses=ONE_ERRORS)
def get_lead(record_id: RecordId, ws: WorkspaceDep, who: PrincipalDep) -> Any:
    """One lead."""
    return records.get_record(ws, "leads", record_id, who.scope)


@router.get("/customers", response_model=CustomerPage, responses=LIST_ERRORS)
def list_customers(
    request: Request, ws: WorkspaceDep, who: PrincipalDep, q: Annotated[CustomerQuery, Query()]
) -> Any:
    """Customers, filtered by region, industry, size band, channel, rep and acquisition date."""
    return _page(request, ws, who, "customers", q)


@router.get("/customers/{record_id}", response_model=CustomerOut, responses=ONE_ERRORS)
def get_customer(record_id: RecordId, ws: WorkspaceDep, who: PrincipalDep) -> Any:
    """One customer."""
    return records.get_record(ws, "customers", record_id, who.scope)


@router.get("/orders", response_model=OrderPage, responses=LIST_ERRORS)
def list_orders(
    request: Request, ws: WorkspaceDep, who: PrincipalDep, q: Annotated[OrderQuery, Query()]
) -> Any:
    """Orders, filtered by status, customer, rep, channel, currency and when placed."""
    return _page(request, ws, who, "orders", q)


@router.get("/orders/{record_id}", response_model=OrderOut, responses=ONE_ERRORS)
def get_order(record_id: RecordId, ws: WorkspaceDep, who: PrincipalDep) -> Any:
    """One order, with its totals in minor units of its currency."""
    return records.get_record(ws, "orders", record_id, who.scope)


@router.get("/reps", response_model=RepPage, responses=LIST_ERRORS)
def list_reps(
    request: Request, ws: WorkspaceDep, who: PrincipalDep, q: Annotated[RepQuery, Query()]
) -> Any:
    """Sales reps, filtered by team and whether active."""
    return _page(request, ws, who, "reps", q)


@router.get("/reps/{record_id}", response_model=RepOut, responses=ONE_ERRORS)
def get_rep(record_id: RecordId, ws: WorkspaceDep, who: PrincipalDep) -> Any:
    """One sales rep."""
    return records.get_record(ws, "reps", record_id, who.scope)


@router.get("/products", response_model=ProductPage, responses=LIST_ERRORS)
def list_products(
    request: Request, ws: WorkspaceDep, who: PrincipalDep, q: Annotated[ProductQuery, Query()]
) -> Any:
    """Products, filtered by category, currency and whether active."""
    return _page(request, ws, who, "products", q)


@router.get("/products/{record_id}", response_model=ProductOut, responses=ONE_ERRORS)
def get_product(record_id: RecordId, ws: WorkspaceDep, who: PrincipalDep) -> Any:
    """One product, with its price and cost in minor units."""
    return records.get_record(ws, "products", record_id, who.scope)


# ---------------------------------------------------------------- exports

EXPORT_ERRORS = {
    200: {"content": {media: {} for media in exports.MEDIA.values()},
          "description": "The file, offered for download."},
    **problem_responses(422, 503),
}  # fmt: skip


def _export(request: Request, ws: WorkspaceDep, who: PrincipalDep, kind: str,
            query: Exported) -> Response:  # fmt: skip
    sort = str(getattr(query, "sort", "id"))
    address = request.client.host if request.client else None
    done = exports.export_records(ws, query.view(who), kind, query.format,
                                  filters=query.filters(),
                                  sort=sort, search=query.q, address=address)  # fmt: skip
    return Response(done.data, media_type=done.media_type, headers={
        "Content-Disposition": f'attachment; filename="{done.file_name}"',
        "X-Total-Count": str(done.rows),
    })  # fmt: skip


def _export_route(kind: str, query: type[Exported]) -> None:
    """GET /api/v1/exports/{kind}, taking the kind's own filters."""

    def export(request: Request, ws: WorkspaceDep, who: PrincipalDep, q: Exported) -> Response:
        return _export(request, ws, who, kind, q)

    export.__annotations__["q"] = Annotated[query, Query()]  # the kind's model, not the base
    router.add_api_route(
        f"/exports/{kind}", export, methods=["GET"], name=f"export_{kind}",
        response_class=Response, responses=EXPORT_ERRORS, summary=f"{kind.capitalize()} as a file",
        description=f"The {kind} the list would show (the same filters, search and sort, every "
        "page) as CSV or XLSX; cells that look like formulas are written as text. Recorded in "
        "the audit log.",
    )  # fmt: skip


for _kind, _query in (("deals", DealExport), ("leads", LeadExport),
                      ("customers", CustomerExport), ("orders", OrderExport),
                      ("reps", RepExport), ("products", ProductExport)):  # fmt: skip
    _export_route(_kind, _query)
