"""HTML pages. Each page is also available as JSON through the API."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.services.overview import keys, overview
from salesmetrics.services.workspace import describe
from salesmetrics.web.fragments import charts, formatters
from salesmetrics.web.render import locale_of, render, script_json
from salesmetrics.web.segment import narrowed
from salesmetrics.web.targets import goals

router = APIRouter(include_in_schema=False)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """The Overview: KPI cards against last month, the revenue trend, reps and channels; the
    cards, tables and charts update themselves after each data change (see web/fragments.py)."""
    settings = ws.settings
    locale = locale_of(request, settings.locale)
    who = narrowed(request, who)
    k = keys(ws, who.scope)
    data = overview(ws, k)
    context = {
        "name": settings.name,
        "o": data,
        "cards": data.cards,
        "goals": goals(ws, who, k.day, k.version, locale),
        "by_rep": data.by_rep,
        "channels": data.channels,
        "live_version": data.version,
        "charts_json": script_json(charts(ws, k, locale)),
        **formatters(data.currency, locale),
    }
    return render(request, "overview.html", locale, context)


@router.get("/static/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    """plotly.js from the installed plotly package (never copied into the repository)."""
    return FileResponse(PLOTLY_JS, media_type="text/javascript")


@router.get("/workspace", response_class=HTMLResponse)
def home(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """The workspace summary: settings, tables with row counts and date ranges (owner and
    viewers: the counts cover every rep's records)."""
    who.require_everything("the workspace summary")
    info = describe(ws)
    locale = locale_of(request, info.settings.locale)
    return render(request, "home.html", locale, {"info": info})
