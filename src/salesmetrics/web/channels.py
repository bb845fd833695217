"""The Channels page: what each acquisition channel cost and brought in (services/strategy/
channels.py), CAC and CLV:CAC by channel, each channel's months of spend against new customers
with its fitted response curve, and the budget allocation panel (services/strategy/
allocation.py: a budget, a goal, the recommended split and the moves with their ranges).

The segment bar does not apply: marketing spend belongs to no customer, so a channel's cost
cannot be narrowed to a segment. The allocation needs a view of every record (spend belongs to
no rep); others see the economics of their own records without spend."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.services.strategy.allocation import GOALS, Allocation, allocate, minor_per_unit
from salesmetrics.services.strategy.channels import DEFAULT_PERIOD, Economics, channel_economics
from salesmetrics.services.workspace import Workspace
from salesmetrics.web import i18n
from salesmetrics.web.render import locale_of, render, script_json

router = APIRouter(include_in_schema=False)
CURVE_POINTS = 40


def _q(request: Request) -> dict[str, str]:
    q = request.query_params
    out = {k: (q.get(k) or "").strip()[:40] for k in ("period", "budget", "goal")}
    out["goal"] = out["goal"] if out["goal"] in GOALS else "customers"
    return out


def _budget_minor(text: str, unit: int) -> int | None:
    """The budget field, in major units with a space, comma or point as people type them
    (`unit` minor units to one major)."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = float(cleaned) if cleaned else None
    except ValueError:
        return None
    return None if value is None or not 0 < value < 1e12 else round(value * unit)


def _curves(a: Allocation) -> list[dict[str, Any]]:
    """Per fitted channel: its months (spend in major units, new customers) and the curve
    drawn over the range it is trusted in."""
    out = []
    unit = minor_per_unit(a.currency)
    for c in a.channels:
        if c.a is None or c.b is None or c.scale_minor is None:
            continue
        xs = np.linspace(0.0, c.high_minor, CURVE_POINTS)
        ys = c.a * (xs / c.scale_minor) ** c.b
        out.append(
            {
                "channel": c.channel,
                "x": [s / unit for s in c.spend_seen],
                "y": c.customers_seen,
                "cx": [float(x) / unit for x in xs],
                "cy": [round(float(y), 2) for y in ys],
                "b": round(c.b, 2),
            }
        )
    return out


def _bars(e: Economics) -> dict[str, Any] | None:
    """CAC (major units) and CLV:CAC per named channel; None for a view without spend."""
    if not e.spend_visible:
        return None
    rows = [x for x in e.channels if x.channel is not None]
    unit = minor_per_unit(e.currency)
    return {
        "channels": [x.channel for x in rows],
        "cac": [None if x.cac_minor is None else x.cac_minor / unit for x in rows],
        "ltv_cac": [x.ltv_cac for x in rows],
    }


def _allocation(
    ws: Workspace, who: Principal, q: dict[str, str], locale: str
) -> tuple[Allocation | None, str | None]:
    if not who.scope.everything:
        return None, None
    try:
        unit = minor_per_unit(ws.settings.base_currency)
        budget = _budget_minor(q["budget"], unit)
        return allocate(ws, who, budget_minor=budget, goal=q["goal"], lang=locale), None
    except SalesmetricsError as exc:
        return None, exc.message


def _context(ws: Workspace, who: Principal, q: dict[str, str], locale: str) -> dict[str, Any]:
    e = channel_economics(ws, who, q["period"] or DEFAULT_PERIOD)
    plan, plan_error = _allocation(ws, who, q, locale)
    currency = ws.settings.base_currency
    charts = {
        "bars": _bars(e),
        "curves": _curves(plan) if plan else [],
        "labels": {
            "cac": i18n.translator(locale).gettext("CAC"),
            "ltv_cac": "CLV:CAC",
            "spend": i18n.translator(locale).gettext("Spend in a month"),
            "customers": i18n.translator(locale).gettext("New customers"),
        },
    }
    return {
        "q": q,
        "e": e,
        "plan": plan,
        "plan_error": plan_error,
        "period": e.period,
        "money": lambda v: i18n.metric_value(v, "money", currency, locale),
        "pct": lambda v: i18n.metric_value(v, "percent", currency, locale),
        "num": lambda v, digits=1: "—" if v is None else i18n.number(round(v, digits), locale),
        "budget_major": ""
        if plan is None
        else str(plan.budget_minor // minor_per_unit(plan.currency)),
        "explore": lambda figure: (
            e.explain[figure] + f"&lang={locale}" if figure in e.explain else None
        ),
        "charts_json": script_json(charts),
        "url": lambda **kw: (
            "/channels?" + urlencode({**{k: v for k, v in q.items() if v}, **kw, "lang": locale})
        ),
    }


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """Channel economics with intervals, the curves, and where to put next month's budget."""
    locale = locale_of(request, ws.settings.locale)
    q = _q(request)
    try:
        context = _context(ws, who, q, locale)
    except SalesmetricsError as exc:
        return render(
            request,
            "channels.html",
            locale,
            {"error": exc.message, "q": q},
            status_code=exc.http_status,
        )
    return render(request, "channels.html", locale, context)
