"""The Alerts page: the alerts of the last 30 days about what the person sees, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.services.alerts import service
from salesmetrics.web.i18n import N_
from salesmetrics.web.render import locale_of, render

router = APIRouter(include_in_schema=False)
RULE_NAMES = {"target_pace": N_("Target pace"), "rep_inactive": N_("No activity"),
              "kpi_unusual": N_("Unusual KPI"), "stale_deals": N_("Stale deals"),
              "detractor": N_("Unhappy customer"), "digest": N_("Digest")}  # fmt: skip


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """What the alert rules found, for this person."""
    locale = locale_of(request, ws.settings.locale)
    text = request.query_params.get("days", "30")
    days = min(max(int(text), 1), 366) if text.isdecimal() and len(text) < 5 else 30
    found = service.visible(ws, who, days=days)
    return render(request, "alerts.html", locale,
                  {"alerts": found, "rules": RULE_NAMES, "days": days})  # fmt: skip
