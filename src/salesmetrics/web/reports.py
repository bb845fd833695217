"""The Reports page: a form that downloads the report (XLSX or PDF) of a period and scope, in
either language, of the records the person sees (the form asks GET /api/v1/reports)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.services.reports.scope import choices
from salesmetrics.web.i18n import N_
from salesmetrics.web.render import locale_of, render

router = APIRouter(include_in_schema=False)
PERIODS = (("last_month", N_("Last month")), ("this_month", N_("This month to date")),
           ("last_week", N_("Last week")), ("last_quarter", N_("Last quarter")),
           ("this_quarter", N_("This quarter to date")), ("ytd", N_("This year to date")),
           ("last_year", N_("Last year")))  # fmt: skip


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """Choose a report and download it."""
    locale = locale_of(request, ws.settings.locale)
    return render(request, "reports.html", locale,
                  {"periods": PERIODS, "scopes": choices(ws, who)})  # fmt: skip
