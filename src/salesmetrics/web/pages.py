"""HTML pages. Each page is also available as JSON through the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from salesmetrics.api.deps import WorkspaceDep
from salesmetrics.services.workspace import describe
from salesmetrics.web import i18n

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


def _locale(request: Request, default: str) -> str:
    asked = request.query_params.get("lang")
    return asked if asked in i18n.LABELS else default


@router.get("/", response_class=HTMLResponse)
def home(request: Request, ws: WorkspaceDep) -> HTMLResponse:
    """The workspace summary: settings, tables with row counts and date ranges."""
    info = describe(ws)
    locale = _locale(request, info.settings.locale)
    context = {
        "info": info,
        "t": i18n.labels(locale),
        "locale": locale,
        "fmt": lambda n: i18n.number(n, locale),
    }
    return templates.TemplateResponse(request, "home.html", context)
