"""The Insights page: the ranked findings as cards (services/strategy/insights), each with its
text, key numbers, a sparkline with the usual band where it has one, and links to its chart
and to how it is computed. The segment bar does not apply here (web/segment.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.domain.periods import parse_period
from salesmetrics.services.strategy.findings.texts import month
from salesmetrics.services.strategy.insights import DEFAULT_PERIOD, MAX_LIMIT, insights
from salesmetrics.web.render import locale_of, render, script_json

router = APIRouter(include_in_schema=False)
SHOWN = 20


def _q(request: Request) -> dict[str, str]:
    q = request.query_params
    return {"period": (q.get("period") or DEFAULT_PERIOD).strip()[:40]}


def _context(request: Request, ws: Any, who: Any, locale: str) -> dict[str, Any]:
    q = _q(request)
    parse_period(q["period"], ws.metrics.today(), ws.settings.fiscal_year_start_month)
    found = insights(ws, who, period=q["period"], lang=locale, limit=min(SHOWN, MAX_LIMIT))
    sparks = {str(i): f.spark.as_dict() for i, f in enumerate(found.findings) if f.spark}
    return {"q": q, "found": found, "findings": found.findings,
            "month_name": month(found.month.start, locale),
            "sparks_json": script_json(sparks)}  # fmt: skip


@router.get("/insights", response_class=HTMLResponse)
def insights_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """What stands out, best first, with what to do about it."""
    locale = locale_of(request, ws.settings.locale)
    try:
        context = _context(request, ws, who, locale)
    except SalesmetricsError as exc:
        return render(request, "insights.html", locale, {"error": exc.message, "q": _q(request)},
                      status_code=exc.http_status)  # fmt: skip
    return render(request, "insights.html", locale, context)
