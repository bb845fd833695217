"""The Plan page: the what-if planner. Levers (reps, leads per channel, a stage's conversion,
deal size, cycle) in a form that reloads the page; next quarter's baseline and scenario by month
against the revenue target, the gap, a summary in words, and the funnel the model read
(services/strategy/whatif.py). The person's own view; customer segments do not apply."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.services.strategy import whatif
from salesmetrics.services.strategy.whatif import Levers, WhatIf
from salesmetrics.web import i18n
from salesmetrics.web.render import locale_of, render, script_json

router = APIRouter(include_in_schema=False)
LEADS, STAGE = "leads:", "stage:"
PLAIN = ("reps", "deal_size", "cycle", "ramp_months")


def _form(request: Request) -> dict[str, Any]:
    """The levers as typed: plain fields, and one field per channel and per stage."""
    q = request.query_params
    out: dict[str, Any] = {k: (q.get(k) or "").strip()[:12] for k in PLAIN}
    out["leads"] = {k[len(LEADS):]: v.strip()[:12] for k, v in q.items()
                    if k.startswith(LEADS) and v.strip()}  # fmt: skip
    out["stages"] = {k[len(STAGE):]: v.strip()[:12] for k, v in q.items()
                     if k.startswith(STAGE) and v.strip()}  # fmt: skip
    return out


def _signed(text: str, unit: str) -> str | None:
    t = text.strip()
    if not t or t in ("0", "+0", "-0"):
        return None
    return (t if t[0] in "+-" else "+" + t) + unit


def levers_of(form: dict[str, Any]) -> Levers:
    ramp = form["ramp_months"]
    return whatif.parse_levers(
        reps=_signed(form["reps"], ""),
        leads=[f"{c}={x}" for c, v in form["leads"].items() if (x := _signed(v, "%"))],
        stages=[f"{s}={x}" for s, v in form["stages"].items() if (x := _signed(v, "pp"))],
        deal_size=_signed(form["deal_size"], "%"), cycle=_signed(form["cycle"], "d"),
        ramp_months=int(ramp) if ramp.isdecimal() else 3,
    )  # fmt: skip


def _chart(r: WhatIf, currency: str, locale: str) -> dict[str, Any]:
    x = [m.month.isoformat() for m in r.months]

    def ys(key: str) -> list[float | None]:
        values = [getattr(m, key) for m in r.months]
        return [None if v is None else i18n.major(v, currency) for v in values]

    _ = i18n.translator(locale).gettext
    return {"x": x, "baseline": ys("baseline_minor"), "scenario": ys("scenario_minor"),
            "target": ys("target_minor"),
            "names": {"baseline": _("Baseline"), "scenario": _("Scenario"),
                      "target": _("Target")}}  # fmt: skip


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """What changing the team or the funnel would do to next quarter's revenue."""
    locale = locale_of(request, ws.settings.locale)
    form = _form(request)
    currency = ws.settings.base_currency
    try:
        r = whatif.what_if(ws, who, levers_of(form))
    except SalesmetricsError as exc:
        try:  # show the form again with the baseline, and what was wrong
            r = whatif.what_if(ws, who, whatif.parse_levers())
        except SalesmetricsError:
            return render(request, "plan.html", locale, {"error": exc.message, "form": form},
                          status_code=exc.http_status)  # fmt: skip
        return render(request, "plan.html", locale, _context(r, form, currency, locale)
                      | {"lever_error": exc.message}, status_code=exc.http_status)  # fmt: skip
    return render(request, "plan.html", locale, _context(r, form, currency, locale))


def _context(r: WhatIf, form: dict[str, Any], currency: str, locale: str) -> dict[str, Any]:
    base, scen = r.total("baseline_minor") or 0, r.total("scenario_minor") or 0
    return {
        "r": r, "form": form, "LEADS": LEADS, "STAGE": STAGE,
        "money": lambda v: i18n.metric_value(v, "money", currency, locale),
        "pct": lambda v: i18n.metric_value(v, "percent", currency, locale),
        "days": lambda v: i18n.metric_value(v, "days", currency, locale),
        "base_total": base, "scen_total": scen, "change": scen - base,
        "change_share": (scen - base) / base if base else None,
        "target_total": r.total("target_minor"), "gap_total": r.total("gap_minor"),
        "charts_json": script_json(_chart(r, currency, locale)),
        "reset_url": "/plan?" + urlencode({"lang": locale}),
    }  # fmt: skip
