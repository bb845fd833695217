"""The Targets page: every target the person sees with a pacing bar (achieved, where it should
be by today, the projected range), the run-rate needed, coverage and what it takes; roll-up
mismatches on top; for owners, a form to set a target and a button to remove one."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from html import escape
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import Permission, Principal
from salesmetrics.domain.enums import TargetScope, TargetSplit
from salesmetrics.domain.errors import InputError, SalesmetricsError
from salesmetrics.services.live import data_version
from salesmetrics.services.records import list_records
from salesmetrics.services.targets import plan, rollup, status
from salesmetrics.services.targets.status import TargetStatus
from salesmetrics.services.workspace import Workspace
from salesmetrics.web import csrf, i18n
from salesmetrics.web.render import locale_of, render

router = APIRouter(include_in_schema=False)
LEVELS = (TargetScope.COMPANY, TargetScope.TEAM, TargetScope.REP)


def _value(value: float | None, unit: str, currency: str, locale: str) -> str:
    if value is None:
        return "—"
    return i18n.metric_value(value, unit, currency, locale)


def _bar(s: TargetStatus) -> dict[str, float] | None:
    """Widths in percent of the bar (the bar is 120 % of the target, so an overshoot shows)."""
    p = s.pace
    if not p.additive or not p.target:
        return None
    scale = 1.2 * p.target

    def at(v: float | None) -> float:
        return 0.0 if v is None else max(0.0, min(100.0, 100 * v / scale))

    return {"achieved": at(p.achieved), "expected": at(p.expected_to_date),
            "target": at(p.target), "low": at(p.projected_low), "high": at(p.projected_high),
            "projected": at(p.projected)}  # fmt: skip


def _takes(s: TargetStatus, currency: str, locale: str) -> str:
    _ = i18n.translator(locale).gettext
    ngettext = i18n.translator(locale).ngettext
    k, p = s.takes, s.pace
    if k is None:
        return ""
    if k.gap <= 0:
        return _("Target reached.")
    if k.per_day is None:
        return _("The period ended short of the target.")
    per_day = _value(k.per_day, s.unit, currency, locale)
    text = ngettext("{per} a working day for the {n} working day left.",
              "{per} a working day for the {n} working days left.", p.remaining_days,
              per=per_day)  # fmt: skip
    if k.deals is not None:
        if s.target.metric == "deals_won":
            text += " " + ngettext("{n} more won deal.", "{n} more won deals.", k.deals)
        else:
            text += " " + ngettext("{n} more deal at your average deal size",
                             "{n} more deals at your average deal size", k.deals,
                             ) + (f" ({_value(k.average_deal, 'money', currency, locale)})."
                                  if k.average_deal else ".")  # fmt: skip
        if k.opportunities is not None and k.win_rate:
            rate = i18n.metric_value(k.win_rate, "percent", currency, locale)
            text += " " + ngettext(
                "At your {rate} win rate that is about {n} qualified opportunity.",
                "At your {rate} win rate that is about {n} qualified opportunities.",
                k.opportunities,
                rate=rate,
            )
    return text


def _row(ws: Workspace, s: TargetStatus, locale: str) -> dict[str, Any]:
    currency, p = ws.settings.base_currency, s.pace

    def show(value: float | None, unit: str = s.unit) -> str:
        return _value(None if value is None or math.isnan(value) else value, unit, currency, locale)

    low, high = p.projected_low, p.projected_high
    spread = None if low is None or high is None or low == high else (show(low), show(high))
    return {
        "id": s.target.id, "plan": s.target.parent_id, "has_months": s.target.has_months,
        "for": s.target.scope_name, "level": s.target.scope, "period": s.period,
        "metric": _label(ws, s.target.metric, locale), "ahead": p.ahead,
        "target": show(p.target), "achieved": show(p.achieved),
        "attainment": None if p.attainment is None else show(p.attainment, "percent"),
        "expected": show(p.expected_to_date), "need": show(p.required_run_rate),
        "projected": show(p.projected), "range": spread,
        "coverage": None if p.coverage is None else i18n.number(round(p.coverage, 1), locale),
        "days": (p.elapsed_days, p.working_days, p.remaining_days), "additive": p.additive,
        "bar": _bar(s), "takes": _takes(s, currency, locale), "notes": s.notes,
        "rank_by": p.projected_attainment if p.additive else p.attainment,
    }  # fmt: skip


def _period(request: Request) -> str:
    return request.query_params.get("period", "").strip()


def _context(request: Request, ws: Workspace, who: Principal, locale: str) -> dict[str, Any]:
    """What the page and its live part show; raises what the period or a metric gets wrong."""
    day = ws.metrics.today()
    period = _period(request)
    lang = request.query_params.get("lang")
    asked = {k: v for k, v in (("period", period), ("lang", lang)) if v}
    live = "/targets/live?" + urlencode(asked)
    context: dict[str, Any] = {"period": period, "today": day, "levels": {}, "flags": [],
                               "period_hint": "2027-01, 2027-Q1, 2027", "live_url": live,
                               "live_version": data_version(ws),
                               "done": request.query_params.get("done")}  # fmt: skip
    start, end = (day, day) if not period else _span(period)
    found = status.status(ws, who, day, start=start, end=end)
    flags = rollup.mismatches(ws, who, start, end)
    currency = ws.settings.base_currency
    for level in LEVELS:
        rows = [_row(ws, s, locale) for s in found if s.target.scope == level]
        rows.sort(key=lambda r: -(r["rank_by"] if r["rank_by"] is not None else -1))
        if rows:
            context["levels"][level.value] = rows
    context["flags"] = [{"level": m.level, "name": m.name, "metric": _label(ws, m.metric, locale),
                         "period": status.period_name(m.start, m.end), "count": m.count,
                         "of": m.of, "target": _value(m.target, _unit(ws, m.metric), currency,
                                                      locale),
                         "parts": _value(m.parts, _unit(ws, m.metric), currency, locale)}
                        for m in flags]  # fmt: skip
    context["currency"] = currency
    if who.can(Permission.WRITE):
        context["form"] = _form(ws, who)
    return context


def _page(request: Request, ws: Workspace, who: Principal, *, error: str | None = None,
          status_code: int = 200) -> HTMLResponse:  # fmt: skip
    locale = locale_of(request, ws.settings.locale)
    try:
        context = _context(request, ws, who, locale)
    except SalesmetricsError as exc:
        context = {"period": _period(request), "today": ws.metrics.today(), "levels": {},
                   "flags": [], "period_hint": "", "live_url": "", "done": None}  # fmt: skip
        error, status_code = exc.message, exc.http_status
    context["error"] = error
    return render(request, "targets.html", locale, context, status_code=status_code)


@router.get("/targets/live", response_class=HTMLResponse)
def targets_live(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """The targets part of the page, for live updates after a data change."""
    locale = locale_of(request, ws.settings.locale)
    try:
        context = _context(request, ws, who, locale)
    except SalesmetricsError as exc:
        return HTMLResponse(f"<p class=notice>{escape(exc.message)}</p>", exc.http_status)
    return render(request, "_targets_levels.html", locale, context)


def _label(ws: Workspace, metric: str, locale: str) -> str:
    entry = ws.metrics.catalog.entries.get(metric)
    if entry is None:  # a metric since removed from the workspace's catalog
        return metric
    return str(getattr(entry.metric.label, locale, entry.metric.label.en))


def _unit(ws: Workspace, metric: str) -> str:
    return ws.metrics.catalog.get(metric).unit.value


def _span(period: str) -> tuple[date, date]:
    p = plan.parse_target_period(period)
    return p.start, p.end


def _form(ws: Workspace, who: Principal) -> dict[str, Any]:
    reps = list_records(ws, "reps", who.scope, sort="name", limit=500).rows
    teams = plan.teams(ws)
    return {"metrics": ws.metrics.catalog.names(), "reps": reps, "teams": teams,
            "splits": [s.value for s in TargetSplit]}  # fmt: skip


@router.get("/targets", response_class=HTMLResponse)
def targets_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """Every target the person sees, paced to today."""
    return _page(request, ws, who)


def _submit(request: Request, ws: Workspace, who: Principal, token: str,
            work: Callable[[], object], done: str) -> Response:  # fmt: skip
    """A form's change after its CSRF check: back to the page saying `done`, or the page again
    with what was refused and why."""
    try:
        csrf.check(request, token)
        work()
    except SalesmetricsError as exc:
        return _page(request, ws, who, error=exc.message, status_code=exc.http_status)
    return _back(request, done)


def _back(request: Request, done: str) -> Response:
    lang = request.query_params.get("lang", "")
    return RedirectResponse(f"/targets?done={done}" + (f"&lang={lang}" if lang else ""), 303)


@router.post("/targets", response_model=None)
def set_target(
    request: Request, ws: WorkspaceDep, who: PrincipalDep,
    metric: Annotated[str, Form()] = "", period: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "", owner: Annotated[str, Form()] = "company",
    split: Annotated[str, Form()] = "even", weights: Annotated[str, Form()] = "",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:  # fmt: skip
    """Set a target from the form (owners)."""

    def work() -> None:
        kind, _, ident = owner.partition(":")
        whom = plan.find_owner(ws, ident if kind == "rep" else None,
                               ident if kind == "team" else None)  # fmt: skip
        try:
            parts = [float(w) for w in weights.replace(";", ",").split(",") if w.strip()]
        except ValueError:
            raise InputError("weights must be numbers, e.g. 1,1,2") from None
        plan.set_target(ws, who, metric, period, value, owner=whom,
                        split=TargetSplit(split) if split in set(TargetSplit) else TargetSplit.EVEN,
                        weights=parts or None)  # fmt: skip

    return _submit(request, ws, who, token, work, "set")


@router.post("/targets/{target_id}/remove", response_model=None)
def remove_target(
    request: Request, ws: WorkspaceDep, who: PrincipalDep, target_id: int,
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:  # fmt: skip
    """Remove a target (owners)."""
    return _submit(request, ws, who, token, lambda: plan.remove_target(ws, who, target_id),
                   "removed")  # fmt: skip


def goals(ws: Workspace, who: Principal, day: date, version: int,
          locale: str) -> dict[str, dict[str, Any]]:  # fmt: skip
    """The Overview cards' target lines, by metric: target, attainment, projected attainment
    (none for a view of one customer segment: targets are not set per segment)."""
    if who.scope.segment is not None:
        return {}
    currency = ws.settings.base_currency
    out = {}
    for metric, s in status.headline(ws, who, day, version).items():
        p = s.pace

        def pct(v: float | None) -> str:
            return "—" if v is None else i18n.metric_value(v, "percent", currency, locale)

        out[metric] = {"target": _value(p.target, s.unit, currency, locale),
                       "attainment": pct(p.attainment), "ahead": p.ahead,
                       "projected": pct(p.projected_attainment),
                       "expected": pct(p.expected_share if p.additive else None)}  # fmt: skip
    return out
