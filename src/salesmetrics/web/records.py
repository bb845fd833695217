"""The Records page (every kind of record the person sees, searched, paged, downloaded as CSV or
XLSX) and the search page behind the search box in the header. Both read through the records
service, so they show what the API shows to the same person, and nothing else."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.services import records, search
from salesmetrics.web import i18n
from salesmetrics.web.i18n import N_
from salesmetrics.web.render import locale_of, render
from salesmetrics.web.segment import narrowed

router = APIRouter(include_in_schema=False)

KIND_NAMES = {"customers": N_("Customers"), "leads": N_("Leads"), "deals": N_("Deals"),
              "orders": N_("Orders"), "reps": N_("Reps"), "products": N_("Products")}  # fmt: skip
# The columns a page shows (an export has them all), with their headings.
SHOWN: dict[str, tuple[tuple[str, str], ...]] = {
    "customers": (("name", N_("Name")), ("company", N_("Company")), ("email", N_("Email")),
                  ("phone", N_("Phone")), ("region", N_("Region")), ("rep", N_("Rep")),
                  ("acquired_at", N_("Acquired"))),
    "leads": (("name", N_("Name")), ("company", N_("Company")), ("email", N_("Email")),
              ("status", N_("Status")), ("channel", N_("Channel")), ("rep", N_("Rep")),
              ("created_at", N_("Created"))),
    "deals": (("title", N_("Title")), ("customer", N_("Customer")), ("stage", N_("Stage")),
              ("status", N_("Status")), ("amount", N_("Amount")), ("rep", N_("Rep")),
              ("expected_close_on", N_("Expected close"))),
    "orders": (("external_id", N_("Order")), ("customer", N_("Customer")),
               ("ordered_at", N_("Placed")), ("status", N_("Status")), ("total", N_("Total")),
               ("rep", N_("Rep"))),
    "reps": (("name", N_("Name")), ("email", N_("Email")), ("team", N_("Team")),
             ("active", N_("Active"))),
    "products": (("sku", N_("SKU")), ("name", N_("Name")), ("category", N_("Category")),
                 ("unit_price", N_("Price")), ("active", N_("Active"))),
}  # fmt: skip
PAGE = 50


def _cell(value: Any, locale: str) -> str:
    _ = i18n.translator(locale).gettext
    if value is None or value == "":
        return ""
    if isinstance(value, dict) and "minor" in value:
        return i18n.metric_value(value["minor"], "money", value["currency"], locale)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return i18n.day(value.date(), locale)
    if isinstance(value, date):
        return i18n.day(value, locale)
    return str(value)


def _text(request: Request) -> str | None:
    text = request.query_params.get("q", "").strip()
    return text or None


def _link(path: str, **params: str | None) -> str:
    kept = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path


@router.get("/records", response_class=HTMLResponse)
def records_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """One kind of record as a table: searched, a page at a time, and downloads of it all."""
    locale = locale_of(request, ws.settings.locale)
    kind = request.query_params.get("kind", "customers")
    kind = kind if kind in KIND_NAMES else "customers"
    text, cursor = _text(request), request.query_params.get("cursor") or None
    context: dict[str, Any] = {"kind": kind, "kinds": KIND_NAMES, "q": text or "",
                               "columns": SHOWN[kind], "error": None, "page": None}  # fmt: skip
    if records.segment_applies(kind):  # the records of customers: the segment filter holds
        who = narrowed(request, who)
    segment = who.scope.segment
    try:
        page = records.list_records(ws, kind, who.scope, sort=search.SORT[kind], limit=PAGE,
                                    cursor=cursor, search=text)  # fmt: skip
    except SalesmetricsError as exc:
        context["error"] = str(exc)
        return render(request, "records.html", locale, context, status_code=exc.http_status)
    lang = request.query_params.get("lang")
    context.update(
        page=page,
        rows=[{name: _cell(row.get(name), locale) for name, _ in SHOWN[kind]} | {"id": row["id"]}
              for row in page.rows],
        next_url=_link("/records", kind=kind, q=text, cursor=page.next_cursor, lang=lang)
        if page.next_cursor else None,
        first_url=_link("/records", kind=kind, q=text, lang=lang) if cursor else None,
        downloads={fmt: _link(f"/api/v1/exports/{kind}", format=fmt, q=text, segment=segment)
                   for fmt in ("csv", "xlsx")},
        tab_url=lambda k: _link("/records", kind=k, q=text, lang=lang),
    )  # fmt: skip
    return render(request, "records.html", locale, context)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """What the header's search box found, kind by kind, each with a link to all of it."""
    locale = locale_of(request, ws.settings.locale)
    text, lang = _text(request), request.query_params.get("lang")
    context: dict[str, Any] = {"q": text or "", "result": None, "error": None,
                               "kinds": KIND_NAMES}  # fmt: skip
    if text is None:
        return render(request, "search.html", locale, context)
    try:
        result = search.search(ws, who.scope, text)
    except SalesmetricsError as exc:
        context["error"] = str(exc)
        return render(request, "search.html", locale, context, status_code=exc.http_status)
    context.update(
        result=result,
        all_url=lambda kind: _link("/records", kind=kind, q=text, lang=lang),
        rep_url=lambda rep_id: _link(f"/team/rep/{rep_id}", lang=lang),
    )
    return render(request, "search.html", locale, context)
