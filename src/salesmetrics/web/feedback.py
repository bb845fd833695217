"""The Feedback page: NPS by month with its interval, NPS and CSAT by rep and by product, the
themes unhappy customers raise, the comments (searchable, by theme and tone), the detractor
follow-ups with a form to close one (services/feedback), and the responses linked to no customer
(services/feedback_links)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.domain.periods import add_months
from salesmetrics.services import feedback_links
from salesmetrics.services.feedback import followups
from salesmetrics.services.feedback.lexicon import reader
from salesmetrics.services.feedback.summary import Summary, summary
from salesmetrics.services.feedback.themes import DEFAULT_PERIOD, period_of, read_responses
from salesmetrics.services.feedback.themes import Response as Answer
from salesmetrics.services.workspace import Workspace
from salesmetrics.web import csrf, i18n
from salesmetrics.web.render import locale_of, render, script_json
from salesmetrics.web.segment import narrowed

router = APIRouter(include_in_schema=False)
TREND_MONTHS = 12
SHOWN = 50  # comments listed
UNMATCHED_SHOWN = 20  # responses linked to no customer listed
TONES = ("negative", "neutral", "positive")


def _q(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: (q.get(k) or "").strip()[:200] for k in ("period", "q", "theme", "tone")}


def _trend(ws: Workspace, who: Principal) -> dict[str, Any]:
    day = ws.metrics.today()
    first = add_months(day.replace(day=1), -(TREND_MONTHS - 1))
    r = ws.metrics.query(["nps", "nps_responses"], period=f"{first}..{day}", grain="month",
                         scope=who.scope)  # fmt: skip
    rows = sorted(r.rows(), key=lambda x: x["period"])
    return {"x": [x["period"].isoformat() for x in rows], "y": [x["nps"] for x in rows],
            "low": [x.get("nps__low") for x in rows], "high": [x.get("nps__high") for x in rows],
            "n": [int(x["nps_responses"] or 0) for x in rows]}  # fmt: skip


def _comments(rows: list[Answer], q: dict[str, str]) -> list[Answer]:
    said = [x for x in rows if x.comment and x.comment.strip()]
    if q["q"]:
        text = q["q"].casefold()
        said = [
            x
            for x in said
            if text in (x.comment or "").casefold()
            or text in (x.customer or "").casefold()
            or text in (x.product or "").casefold()
        ]
    if q["theme"]:
        said = [x for x in said if q["theme"] in x.reading.themes]
    if q["tone"] in TONES:
        said = [x for x in said if x.reading.tone == q["tone"]]
    return sorted(said, key=lambda x: x.received_at, reverse=True)


def _context(request: Request, ws: Workspace, who: Principal, locale: str) -> dict[str, Any]:
    q = _q(request)
    period = q["period"] or DEFAULT_PERIOD
    s: Summary = summary(ws, who, period, lang=locale)
    rng = period_of(ws, period)
    found = _comments(read_responses(ws, who, rng), q)
    now = datetime.now(UTC)
    currency, zone = ws.settings.base_currency, ZoneInfo(ws.settings.time_zone)
    labels = {t.code: t.label.get(locale, t.code) for t in reader(ws).table.themes}
    return {
        "q": q, "period": period, "s": s, "themes": s.themes.themes, "labels": labels,
        "comments": found[:SHOWN], "found": len(found), "tones": TONES,
        "open": followups.queue(ws, who, "open", limit=100), "now": now,
        "overdue": lambda f: followups.is_overdue(f, now),
        "timing": followups.timing(ws, who, period), "due_hours": followups.DUE_HOURS,
        "unmatched": feedback_links.unmatched(ws, who, UNMATCHED_SHOWN),
        "value": lambda v, unit: i18n.metric_value(v, unit, currency, locale),
        "when": lambda t: i18n.day(t.astimezone(zone).date(), locale),
        "charts_json": script_json({"trend": _trend(ws, who)}),
        "url": lambda **kw: "/feedback?" + urlencode({**{k: v for k, v in q.items() if v},
                                                      **kw, "lang": locale}),
    }  # fmt: skip


@router.get("/feedback", response_class=HTMLResponse)
def feedback_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """What customers say, by rep and product, and the unhappy ones to call back."""
    locale = locale_of(request, ws.settings.locale)
    who = narrowed(request, who)
    try:
        context = _context(request, ws, who, locale)
    except SalesmetricsError as exc:
        return render(request, "feedback.html", locale, {"error": exc.message, "q": _q(request)},
                      status_code=exc.http_status)  # fmt: skip
    done = request.query_params.get("done")
    context["done"] = done if done and done.isdecimal() and len(done) < 19 else None
    return render(request, "feedback.html", locale, context)


@router.post("/feedback/followups/{followup_id}/done", response_model=None)
def followup_done(
    request: Request, followup_id: int, ws: WorkspaceDep, who: PrincipalDep,
    note: Annotated[str, Form()] = "", token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:  # fmt: skip
    """Close a follow-up from the page's queue, then back to the page."""
    locale = locale_of(request, ws.settings.locale)
    try:
        csrf.check(request, token)
        followups.close(ws, who, followup_id, note)
    except SalesmetricsError as exc:
        return render(request, "feedback.html", locale, {"error": exc.message, "q": _q(request)},
                      status_code=exc.http_status)  # fmt: skip
    back = "/feedback?" + urlencode({"done": followup_id, "lang": locale}) + "#followups"
    return RedirectResponse(back, status_code=303)
