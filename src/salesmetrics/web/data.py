"""The Data page: past imports with revert, and an upload that is previewed before it is
imported. The same import service as the API and the CLI; forms post, then redirect."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesmetrics.api.deps import WorkspaceDep, WriterDep, get_workspace
from salesmetrics.api.imports import UploadRoute
from salesmetrics.domain.errors import SalesmetricsError, TooLargeError
from salesmetrics.services.imports import log, preview
from salesmetrics.services.imports.revert import revert_import
from salesmetrics.web import csrf
from salesmetrics.web.i18n import N_, day
from salesmetrics.web.render import locale_of, render

PER_PAGE = 20
NAMES = {
    "reps": N_("Sales reps"), "teams": N_("Teams"), "channels": N_("Channels"),
    "customers": N_("Customers"), "products": N_("Products"), "orders": N_("Orders"),
    "order_lines": N_("Order lines"), "leads": N_("Leads"), "deals": N_("Deals"),
    "stages": N_("Pipeline stages"), "deal_stage_changes": N_("Deal stage changes"),
    "activities": N_("Activities"), "marketing_spend": N_("Marketing spend"),
    "targets": N_("Targets"), "feedback": N_("Feedback"), "fx_rates": N_("Exchange rates"),
}  # fmt: skip
STATUSES = {
    "applied": N_("Imported"), "unchanged": N_("Nothing new"), "reverted": N_("Reverted"),
    "running": N_("Running"), "failed": N_("Failed"), "rejected": N_("Rejected"),
    "planned": N_("Ready to import"),
}  # fmt: skip
DATE_FORMATS = ("DD.MM.YYYY", "YYYY-MM-DD", "MM/DD/YYYY")
DELIMITERS = {";": N_("semicolon ;"), ",": N_("comma ,"), "\t": N_("tab"), "|": N_("bar |")}


class DataUploadRoute(UploadRoute):
    """Too large an upload re-renders the Data page with the reason, not a problem document."""

    async def too_large(self, request: Request, error: TooLargeError) -> Response:
        return _data_page(request, get_workspace(request), error=error.message, status=413)


router = APIRouter(include_in_schema=False, route_class=DataUploadRoute)


def _url(path: str, locale: str, **params: object) -> str:
    return f"{path}?{urlencode({'lang': locale, **params})}"


def _when(ws: WorkspaceDep, locale: str) -> Any:
    zone = ZoneInfo(ws.settings.time_zone)

    def when(text: str | None) -> str:
        if not text:
            return ""
        moment = datetime.fromisoformat(text).astimezone(zone)
        return f"{day(moment.date(), locale)} {moment:%H:%M}"

    return when


def _context(ws: WorkspaceDep, locale: str) -> dict[str, Any]:
    return {"names": NAMES, "statuses": STATUSES, "when": _when(ws, locale),
            "url": lambda path, **p: _url(path, locale, **p)}  # fmt: skip


def _number(text: str | None) -> int | None:
    """A page or import number from the address; anything else (or absurdly long) is none."""
    return int(text) if text and text.isdecimal() and len(text) <= 9 else None


def _data_page(
    request: Request, ws: WorkspaceDep, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    locale = locale_of(request, ws.settings.locale)
    q = request.query_params
    page = max(1, _number(q.get("page")) or 1)
    rows, total = log.page(ws, PER_PAGE, (page - 1) * PER_PAGE)
    done_id = _number(q.get("done"))
    done = log.summary(ws, done_id) if done_id else None
    context = {
        **_context(ws, locale), "imports": rows, "total": total, "page": page,
        "pages": max(1, -(-total // PER_PAGE)), "kinds": preview.kinds(),
        "presets": preview.presets(), "date_formats": DATE_FORMATS, "delimiters": DELIMITERS,
        "done": done, "reverted": [r for r in q.get("reverted", "").split(",") if _number(r)],
        "cancelled": q.get("cancelled") == "1", "error": error,
        "currency": ws.settings.base_currency,
    }  # fmt: skip
    return render(request, "data.html", locale, context, status_code=status)


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, ws: WorkspaceDep, who: WriterDep) -> HTMLResponse:
    """Imports, newest first, and the upload form."""
    return _data_page(request, ws)


@router.post("/data/upload", response_model=None)
def upload(
    request: Request,
    ws: WorkspaceDep,
    who: WriterDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()],
    encoding: Annotated[str, Form()] = "",
    sheet: Annotated[str, Form()] = "",
    delimiter: Annotated[str, Form()] = "",
    preset: Annotated[str, Form()] = "",
    currency: Annotated[str, Form()] = "",
    date_format: Annotated[str, Form()] = "",
    decimal: Annotated[str, Form()] = "",
    skip_invalid: Annotated[bool, Form()] = False,
    reject_unknown: Annotated[bool, Form()] = False,
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Keep the file, preview it, and show the preview."""
    locale = locale_of(request, ws.settings.locale)
    options = preview.UploadOptions(
        kind, encoding.strip() or None, sheet.strip() or None, delimiter or None,
        preset or None, None, currency.strip() or None, date_format or None, decimal or None,
        None, skip_invalid, not reject_unknown,
    )  # fmt: skip
    try:
        csrf.check(request, token)
        result = preview.start(ws, file.filename, file.file, options, actor=who)
    except SalesmetricsError as exc:
        return _data_page(request, ws, error=exc.message, status=exc.http_status)
    return RedirectResponse(_url(f"/data/preview/{result['preview_id']}", locale), 303)


def _preview_page(
    request: Request, ws: WorkspaceDep, preview_id: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    locale = locale_of(request, ws.settings.locale)
    try:
        p = preview.get(ws, preview_id)
    except SalesmetricsError as exc:
        return _data_page(request, ws, error=exc.message, status=exc.http_status)
    context = {**_context(ws, locale), "p": p, "error": error, "delimiters": DELIMITERS}
    return render(request, "data_preview.html", locale, context, status_code=status)


@router.get("/data/preview/{preview_id}", response_class=HTMLResponse)
def preview_page(
    request: Request, ws: WorkspaceDep, who: WriterDep, preview_id: str
) -> HTMLResponse:
    """What was detected, how the columns map, what would change, the first errors."""
    return _preview_page(request, ws, preview_id)


@router.post("/data/preview/{preview_id}/confirm", response_model=None)
def confirm(
    request: Request,
    ws: WorkspaceDep,
    who: WriterDep,
    preview_id: str,
    skip_invalid: Annotated[bool, Form()] = False,
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Import for real; a rejected import writes nothing and the preview stays."""
    locale = locale_of(request, ws.settings.locale)
    try:
        csrf.check(request, token)
        done = preview.confirm(ws, preview_id, skip_invalid=skip_invalid or None, actor=who)
    except SalesmetricsError as exc:
        return _preview_page(request, ws, preview_id, exc.message, exc.http_status)
    return RedirectResponse(_url("/data", locale, done=done["id"]), 303)


@router.post("/data/preview/{preview_id}/cancel", response_model=None)
def cancel(
    request: Request,
    ws: WorkspaceDep,
    who: WriterDep,
    preview_id: str,
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Forget the upload."""
    locale = locale_of(request, ws.settings.locale)
    try:
        csrf.check(request, token)
        preview.cancel(ws, preview_id)
    except SalesmetricsError as exc:
        return _data_page(request, ws, error=exc.message, status=exc.http_status)
    return RedirectResponse(_url("/data", locale, cancelled=1), 303)


def _revert_page(
    request: Request, ws: WorkspaceDep, import_id: int, error: str | None = None, status: int = 200
) -> HTMLResponse:
    locale = locale_of(request, ws.settings.locale)
    try:
        item = log.summary(ws, import_id)
    except SalesmetricsError as exc:
        return _data_page(request, ws, error=exc.message, status=exc.http_status)
    context = {**_context(ws, locale), "item": item, "error": error,
               "conflict": status == 409 and item["status"] == "applied"}  # fmt: skip
    return render(request, "data_revert.html", locale, context, status_code=status)


@router.get("/data/imports/{import_id}/revert", response_class=HTMLResponse)
def revert_page(request: Request, ws: WorkspaceDep, who: WriterDep, import_id: int) -> HTMLResponse:
    """The confirm step: what a revert would undo."""
    return _revert_page(request, ws, import_id)


@router.post("/data/imports/{import_id}/revert", response_model=None)
def revert(
    request: Request,
    ws: WorkspaceDep,
    who: WriterDep,
    import_id: int,
    cascade: Annotated[bool, Form()] = False,
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Undo an import exactly; a later import of the same rows must be undone first."""
    locale = locale_of(request, ws.settings.locale)
    try:
        csrf.check(request, token)
        done = revert_import(ws, import_id, cascade=cascade, actor=who)
    except SalesmetricsError as exc:  # a conflict (409) offers to revert the later ones too
        return _revert_page(request, ws, import_id, exc.message, exc.http_status)
    return RedirectResponse(_url("/data", locale, reverted=",".join(map(str, done))), 303)
