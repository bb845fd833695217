"""The Customers page: the customers in the person's view by RFM segment (the R x FM heat map,
each segment's size, revenue and means, the moves since the end of last month), by behaviour
cluster, and by lifetime value (the CLV distribution, the fitted models, the valuable customers
at risk); and one customer's segment, latest orders and predicted value (services/segments)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import numpy as np
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import InputError, NotFoundError, SalesmetricsError
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments import page
from salesmetrics.services.segments.customer import profile
from salesmetrics.services.segments.playbooks import playbooks
from salesmetrics.services.segments.rfm import RfmReport
from salesmetrics.services.workspace import Workspace
from salesmetrics.web import i18n
from salesmetrics.web.leads import Say
from salesmetrics.web.render import locale_of, render, script_json
from salesmetrics.web.segment import narrowed

router = APIRouter(include_in_schema=False)
MOVES = 10  # the largest moves between segments shown
AT_RISK = 20  # the valuable customers at risk shown


def _as_of(request: Request, ws: Workspace) -> date:
    asked = (request.query_params.get("as_of") or "").strip()[:10]
    if not asked:
        return ws.metrics.today()
    try:
        return date.fromisoformat(asked)
    except ValueError:
        raise InputError(f"as_of '{asked}': use a day as YYYY-MM-DD") from None


def _rfm(r: RfmReport, say: Say) -> dict[str, Any]:
    _, ngettext = say._, say.ngettext
    names = {s.code: s.label for s in r.segments}
    names["none"] = _("Not a customer then")
    rows = [{"code": s.code, "label": s.label, "description": s.description,
             "customers": s.customers, "share": say.pct(s.share),
             "revenue": say.money(s.revenue_minor),
             "recency": say.decimal(s.mean_recency_days, 1),
             "purchases": say.decimal(s.mean_purchases, 1)} for s in r.segments]  # fmt: skip
    scale = range(1, len(r.grid) + 1)
    heat = {"z": r.grid, "x": list(scale), "y": list(scale),
            "text": [[ngettext("{segment}: {count} customer", "{segment}: {count} customers", n,
                               segment=names.get(code, code), count=i18n.number(n, say.locale))
                      for n, code in zip(counts, codes, strict=True)]
                     for counts, codes in zip(r.grid, r.grid_segment, strict=True)],
            "labels": {"x": _("Recency score (R)"),
                       "y": _("Frequency and money score (FM)")}}  # fmt: skip
    moves = sorted(((n, src, dst) for src, to in r.transitions.items()
                    for dst, n in to.items() if src != dst), key=lambda m: -m[0])  # fmt: skip
    return {"customers": r.customers, "segments": rows, "heat": heat,
            "moved_from": i18n.day(r.moved_from, say.locale) if r.moved_from else None,
            "moves": [{"from": names.get(a, a), "to": names.get(b, b), "customers": n}
                      for n, a, b in moves[:MOVES]]}  # fmt: skip


def _playbooks(ws: Workspace, as_of: date, locale: str) -> list[dict[str, Any]]:
    """Each segment's playbook: goal, tactics, the KPIs to watch (each a link to the explorer
    filtered to the segment) and the segment's customers as files for a campaign."""

    def export(code: str, fmt: str) -> str:
        query = urlencode({"segment": code, "format": fmt, "as_of": as_of.isoformat(),
                           "lang": locale})  # fmt: skip
        return f"/api/v1/segments/export?{query}"

    return [{"code": b.segment, "label": b.label, "goal": b.goal, "tactics": b.tactics,
             "kpis": [(k.label, "/explore?" + urlencode({"metric": k.metric, "segment": b.segment,
                                                         "lang": locale})) for k in b.kpis],
             "csv": export(b.segment, "csv"), "xlsx": export(b.segment, "xlsx")}
            for b in playbooks(ws, locale)]  # fmt: skip


def _clusters(ws: Workspace, who: Principal, as_of: date, say: Say) -> dict[str, Any]:
    try:
        r = page.clusters(ws, who, as_of, say.locale)
    except InputError as exc:
        return {"note": exc.message, "rows": []}
    return {"note": None, "rows": [{"n": c.cluster + 1, "words": c.words, "customers": c.customers,
                                    "share": say.pct(c.share)} for c in r.clusters]}  # fmt: skip


def _number(v: float | None, say: Say) -> str:
    return "—" if v is None else format_decimal(v, format="#,##0.####", locale=say.where)


def _clv(ws: Workspace, who: Principal, as_of: date, say: Say,
         only: np.ndarray | None = None) -> dict[str, Any]:  # fmt: skip
    _ = say._
    try:
        r = page.clv(ws, who, value.Settings(as_of, as_of))
    except InputError as exc:
        return {"note": exc.message}
    bands = r.distribution(only=only)

    def whole(v: float) -> str:
        return i18n.number(round(i18n.major(v, say.currency)), say.locale)

    chart = {"x": [f"{whole(b['from_minor'])}–{whole(b['to_minor'])}" for b in bands[:-1]]
                  + [f"{whole(b['from_minor'])}+" for b in bands[-1:]],
             "y": [b["customers"] for b in bands],
             "labels": {"x": _("Lifetime value, {currency}", currency=say.currency),
                        "y": _("Customers")}}  # fmt: skip
    p = r.parameters()
    models = [(_("Purchases (BG/NBD)"), [(k, _number(v, say)) for k, v in p["bgnbd"].items()])]
    if p["gamma_gamma"]:
        models.append((_("Spend (Gamma-Gamma)"),
                       [(k, _number(v, say)) for k, v in p["gamma_gamma"].items()]))  # fmt: skip
    risky = r.at_risk(only)
    return {"note": None, "chart": chart, "models": models,
            "risk_total": len(risky), "risk": [_row(x, say) for x in risky[:AT_RISK]]}  # fmt: skip


def _row(x: dict[str, Any], say: Say) -> dict[str, Any]:
    return {"id": x["id"], "code": x["external_id"] or str(x["id"]), "name": x["name"] or "",
            "rep": x["rep"] or "—", "spent": say.money(x["spent_minor"]),
            "alive": say.pct(x["p_alive"]), "clv": say.money(x["clv_minor"]),
            "expected": say.decimal(x["expected_purchases"]), "why": _why(x, say)}  # fmt: skip


def _why(x: dict[str, Any], say: Say) -> list[str]:
    """Why a customer is at risk, in words: the model's chance, what they told us."""
    out = []
    if "p_alive" in x.get("reasons", ()):
        out.append(say._("chance they still buy: {p}", p=say.pct(x["p_alive"])))
    told = x.get("feedback")
    if told and "detractor" in x.get("reasons", ()):
        day = i18n.day(datetime.fromisoformat(told["received_at"]).date(), say.locale)
        said = say._("unhappy: {kind} {score} on {day}", kind=told["kind"].upper(),
                     score=f"{told['score']:g}", day=day)  # fmt: skip
        out.append(said + (f" — “{told['comment']}”" if told["comment"] else ""))
    return out


@router.get("/customers", response_class=HTMLResponse)
def customers_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """The customers in view by segment, behaviour cluster and lifetime value."""
    locale = locale_of(request, ws.settings.locale)
    say = Say(ws, locale)
    # a chosen segment picks customers out of the view's scores (scoring only its customers
    # would rescore them against each other): its row stands out, value and risk are its own
    focus = narrowed(request, who, how="highlight").scope.segment
    try:
        as_of = _as_of(request, ws)
        report = page.rfm(ws, who, as_of, locale)
        only = None if focus is None else report.members(focus)
        context: dict[str, Any] = {"as_of": i18n.day(as_of, locale), "rfm": _rfm(report, say),
                                   "clusters": _clusters(ws, who, as_of, say),
                                   "clv": _clv(ws, who, as_of, say, only),
                                   "playbooks": _playbooks(ws, as_of, locale),
                                   "focus": focus}  # fmt: skip
    except SalesmetricsError as exc:
        return render(request, "customers.html", locale, {"error": exc.message},
                      status_code=exc.http_status)  # fmt: skip
    heat = context["rfm"]["heat"]
    heat["focus"] = [[r + 1, fm + 1] for fm, row in enumerate(report.grid_segment)
                     for r, code in enumerate(row) if code == focus]  # fmt: skip
    charts = {"heat": heat, "clv": context["clv"].get("chart")}
    context["charts_json"] = script_json(charts)
    return render(request, "customers.html", locale, context)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request, customer_id: str, ws: WorkspaceDep, who: PrincipalDep
) -> HTMLResponse:
    """One customer: their segment and scores, latest paid orders and predicted value."""
    locale = locale_of(request, ws.settings.locale)
    say = Say(ws, locale)
    try:
        if not customer_id.isdigit() or len(customer_id) > 18:
            raise NotFoundError(f"no customer '{customer_id[:200]}' in your view")
        p = profile(ws, who, int(customer_id), _as_of(request, ws), lang=locale)
    except SalesmetricsError as exc:
        return render(request, "customers_customer.html", locale, {"error": exc.message},
                      status_code=exc.http_status)  # fmt: skip
    s, v = p.standing, p.value
    return render(request, "customers_customer.html", locale, {
        "c": {"code": p.external_id or str(p.id), "name": p.name or p.company or "",
              "rep": p.rep or "—"},
        "standing": None if s is None else {
            "label": s.label, "description": s.description, "r": s.r, "f": s.f, "m": s.m,
            "recency": i18n.number(s.recency_days, locale),
            "purchases": i18n.number(s.purchases, locale), "spent": say.money(s.spent_minor)},
        "orders": [{"code": o.external_id or str(o.id), "day": i18n.day(o.day, locale),
                    "amount": say.money(o.amount_minor)} for o in p.orders],
        "value": None if v is None else {
            "alive": say.pct(v["p_alive"]), "expected": say.decimal(v["expected_purchases"]),
            "clv": say.money(v["clv_minor"])},
        "value_note": p.value_note,
        "said": None if p.said is None else {
            "kind": p.said.kind.upper(), "score": f"{p.said.score:g}",
            "day": i18n.day(p.said.received_at.date(), locale), "comment": p.said.comment,
            "detractor": p.said.detractor},
    })  # fmt: skip
