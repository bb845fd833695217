"""The Team pages: a live leaderboard grouped by team, with a chart, and a page per rep."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import Scope
from salesmetrics.domain.errors import NotFoundError, SalesmetricsError
from salesmetrics.services import team
from salesmetrics.services.team import Figure, Leaderboard, VersionedCache
from salesmetrics.web import i18n
from salesmetrics.web.i18n import N_
from salesmetrics.web.render import locale_of, render, script_json
from salesmetrics.web.segment import narrowed

router = APIRouter(include_in_schema=False)
RepId = Annotated[int, Path(ge=1, le=2**63 - 1)]

PERIOD_NAMES = {
    "this_month": N_("This month to date"), "last_month": N_("Last month"),
    "this_quarter": N_("This quarter to date"), "last_30_days": N_("Last 30 days"),
}  # fmt: skip
ACTIVITY_KINDS = {"call": N_("Calls"), "email": N_("Emails"), "meeting": N_("Meetings"),
                  "task": N_("Tasks")}  # fmt: skip
COLUMNS = (("revenue", "money"), ("change", "percent"), ("deals_won", "count"),
           ("win_rate", "percent"), ("avg_deal_size", "money"), ("activities", "count"),
           ("new_customers", "count"), ("attainment", "percent"))  # fmt: skip
_FRAGMENTS: VersionedCache[tuple[Any, ...], bytes] = VersionedCache(256)


def period_label(period: str, locale: str) -> str:
    name = PERIOD_NAMES.get(period)
    return i18n.translator(locale).gettext(name) if name else period


def _options(request: Request) -> tuple[str, str, bool]:
    q = request.query_params
    sort, descending = team.parse_sort(q.get("sort"), q.get("dir"))
    return q.get("period") or "this_month", sort, descending


def _url(path: str, **params: object) -> str:
    return f"{path}?{urlencode({k: v for k, v in params.items() if v not in (None, '')})}"


def _board_context(board: Leaderboard, locale: str, sort: str, descending: bool) -> dict[str, Any]:
    currency, tr = board.currency, i18n.translator(locale)
    labels = {m.name: m.label[locale] for m in board.metrics}
    heads = {"change": tr.gettext("Change"), "attainment": labels.get("target_attainment", "")}
    columns = [(k, heads.get(k) or labels.get(k, k), unit) for k, unit in COLUMNS
               if (k != "attainment" or board.targets)
               and (k in labels or k in heads)]  # fmt: skip

    def sort_url(key: str) -> str:
        down = (not descending) if key == sort else team.default_descending(key)
        return _url("/team", period=board.period_name, sort=key,
                    dir="desc" if down else "asc", lang=locale)  # fmt: skip

    def cell(line: Any, key: str, unit: str) -> str:
        if key == "change":
            f = line.figures["revenue"]
            return i18n.change(f.delta, f.delta_pct, "money", locale)
        f = line.figures.get("target_attainment" if key == "attainment" else key)
        if unit == "money":
            return whole_money(f.value if f else None, currency, locale)
        return i18n.metric_value(f.value if f else None, unit, currency, locale)

    reps = sorted(board.reps(), key=lambda x: x.rank or 0)
    chart = {
        "names": [x.name for x in reps], "teams": [x.team or "" for x in reps],
        "values": [i18n.major(x.figures["revenue"].value or 0, currency) for x in reps],
        "text": [cell(x, "revenue", "money") for x in reps], "currency": currency,
    }  # fmt: skip
    return {
        "board": board, "columns": columns, "sort": sort, "descending": descending,
        "sort_url": sort_url, "cell": cell, "chart_json": script_json(chart),
        "money": lambda v: whole_money(v, currency, locale),
        "pct": lambda v: i18n.metric_value(v, "percent", currency, locale),
        "rep_url": lambda rid: _url(f"/team/rep/{rid}", period=board.period_name, lang=locale),
        "tone": _tone,
    }  # fmt: skip


def whole_money(minor: float | None, currency: str, locale: str) -> str:
    """Money without the minor units, for a table that must fit a screen: '1 201 081 ₴'."""
    if minor is None:
        return "—"
    where = "uk_UA" if locale == "uk" else "en_US"
    amount = i18n.major(minor, currency)
    return format_currency(amount, currency, format="#,##0\u00a0¤", locale=where,
                           currency_digits=False)  # fmt: skip


def _tone(f: Figure | None) -> str:
    if f is None or not f.delta:
        return ""
    return "good" if f.delta > 0 else "bad"


def _fragment(request: Request, ws: Any, scope: Scope, locale: str, period: str, sort: str,
              descending: bool) -> bytes:  # fmt: skip
    """The leaderboard table's HTML, rendered once per data version, period, language, sort
    and day, however many open pages refetch it after a change."""
    day = ws.metrics.today()
    key = (ws.store.url, team.data_version(ws), scope.key(), period, locale, sort, descending,
           day)  # fmt: skip

    def build() -> bytes:
        board = team.live_leaderboard(ws, scope, period, day).sorted(sort, descending)
        page = render(request, "_team_leaderboard.html", locale,
                      _board_context(board, locale, sort, descending))  # fmt: skip
        return bytes(page.body)

    return _FRAGMENTS.get(key, build)


@router.get("/team/leaderboard", response_class=HTMLResponse)
def leaderboard_fragment(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """The leaderboard's inner HTML, for live refresh (`data-live`)."""
    locale = locale_of(request, ws.settings.locale)
    period, sort, descending = _options(request)
    who = narrowed(request, who)
    body = _fragment(request, ws, who.scope, locale, period, sort, descending)
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """Reps ranked by revenue, grouped by team; a period selector and a chart."""
    settings = ws.settings
    locale = locale_of(request, settings.locale)
    who = narrowed(request, who)
    q = request.query_params
    context: dict[str, Any] = {
        "name": settings.name, "periods": [(p, period_label(p, locale)) for p in team.PERIODS],
        "period": q.get("period") or "this_month", "error": None,
    }  # fmt: skip
    try:
        period, sort, descending = _options(request)
        fragment = _fragment(request, ws, who.scope, locale, period, sort, descending)
        board = team.live_leaderboard(ws, who.scope, period)
    except SalesmetricsError as exc:
        context["error"] = exc.message
        return render(request, "team.html", locale, context, status_code=exc.http_status)
    context.update(
        board=board, fragment=fragment.decode(), sort=sort, descending=descending,
        period_label=period_label(period, locale),
        live_url=_url("/team/leaderboard", period=period, sort=sort,
                      dir="desc" if descending else "asc", lang=locale),
    )  # fmt: skip
    return render(request, "team.html", locale, context)


def _rep_context(ws: Any, scope: Scope, rep_id: int, period: str, locale: str) -> dict[str, Any]:
    """What rep.html and its live cards show; raises NotFoundError for an unknown rep (or
    one outside the view)."""
    version = team.data_version(ws)  # read first: a change meanwhile makes live.js refetch
    data = team.live_rep_page(ws, scope, rep_id, period)
    tr = i18n.translator(locale)
    currency, zone = data.currency, ZoneInfo(ws.settings.time_zone)
    trend = {
        "x": [p.isoformat() for p, _ in data.trend],
        "y": [None if v is None else i18n.major(v, currency) for _, v in data.trend],
        "name": tr.gettext("Revenue"),
    }
    return {
        "p": data, "version": version, "period_label": period_label(period, locale),
        "trend_json": script_json(trend),
        "value": lambda v, unit: i18n.metric_value(v, unit, currency, locale),
        "change": lambda c: i18n.change(c.delta, c.delta_pct, c.unit, locale),
        "money": lambda v, cur=currency: whole_money(v, cur, locale),
        "kind": lambda k: tr.gettext(ACTIVITY_KINDS[k]) if k in ACTIVITY_KINDS else k,
        "local_day": lambda t: i18n.day(t.astimezone(zone).date(), locale),
        "team_url": _url("/team", period=period, lang=locale),
        "cards_url": _url(f"/team/rep/{rep_id}/cards", period=period, lang=locale),
    }  # fmt: skip


@router.get("/team/rep/{rep_id}", response_class=HTMLResponse)
def rep_page(request: Request, rep_id: RepId, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """One rep: KPI cards against the previous period (live), revenue by month, activities by
    kind, open pipeline and recent wins."""
    settings = ws.settings
    locale = locale_of(request, settings.locale)
    period = request.query_params.get("period") or "this_month"
    who = narrowed(request, who)
    context: dict[str, Any] = {
        "name": settings.name, "rep_id": rep_id, "missing": False, "error": None,
        "period": period, "periods": [(p, period_label(p, locale)) for p in team.PERIODS],
    }  # fmt: skip
    try:
        context.update(_rep_context(ws, who.scope, rep_id, period, locale))
    except NotFoundError:
        context["missing"] = True
        return render(request, "rep.html", locale, context, status_code=404)
    except SalesmetricsError as exc:
        context["error"] = exc.message
        return render(request, "rep.html", locale, context, status_code=exc.http_status)
    return render(request, "rep.html", locale, context)


@router.get("/team/rep/{rep_id}/cards", response_class=HTMLResponse)
def rep_cards(request: Request, rep_id: RepId, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """A rep's KPI cards alone, for live refresh; an unknown rep is a 404 problem."""
    locale = locale_of(request, ws.settings.locale)
    period = request.query_params.get("period") or "this_month"
    context = _rep_context(ws, narrowed(request, who).scope, rep_id, period, locale)
    page = render(request, "_rep_cards.html", locale, context)
    page.headers["Cache-Control"] = "no-store"
    return page
