"""The Leads page: the work queue (open leads in the person's view by expected value, each with
its score, strongest reasons and a next step), the model card (for people who see every rep's
leads: how the scores did on held-out leads, calibration, what moves them, what the leakage
screen left out) and one lead's full explanation (services/leads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import ForbiddenError, Principal
from salesmetrics.domain.errors import NotFoundError, SalesmetricsError
from salesmetrics.services.leads import scoring, training
from salesmetrics.services.leads.scoring import ScoredLead
from salesmetrics.services.workspace import Workspace
from salesmetrics.web import i18n
from salesmetrics.web.i18n import N_
from salesmetrics.web.render import locale_of, render, script_json

router = APIRouter(include_in_schema=False)
FIELDS = ("rep", "team")
LIMIT = 50
SCORES = {"served": N_("Scores served"), "model": N_("Model alone"),
          "naive_bayes": N_("Naive Bayes (baseline)"), "rules": N_("Points table")}  # fmt: skip
KINDS = {"model": N_("learnt model"), "rules": N_("points table only")}


class Say:
    """Numbers in the page's language."""

    def __init__(self, ws: Workspace, locale: str, currency: str | None = None) -> None:
        self.currency, self.locale = currency or ws.settings.base_currency, locale
        self.zone = ZoneInfo(ws.settings.time_zone)
        self.where = "uk_UA" if locale == "uk" else "en_US"
        self._, self.ngettext = i18n.translator(locale).gettext, i18n.translator(locale).ngettext

    def money(self, v: float | None) -> str:
        return i18n.metric_value(v, "money", self.currency, self.locale)

    def pct(self, v: float | None) -> str:
        return "—" if v is None else format_percent(v, format="#,##0%", locale=self.where)

    def decimal(self, v: float | None, digits: int = 2) -> str:
        pattern = "#,##0." + "0" * digits
        return "—" if v is None else format_decimal(v, format=pattern, locale=self.where)

    def moment(self, at: datetime | str) -> str:
        when = datetime.fromisoformat(at) if isinstance(at, str) else at
        local = when.astimezone(self.zone)
        return f"{i18n.day(local.date(), self.locale)} {local:%H:%M}"

    def fact(self, v: Any) -> str:
        if v is None:
            return "—"
        if isinstance(v, bool):
            return self._("yes") if v else self._("no")
        if isinstance(v, int):
            return i18n.number(v, self.locale)
        if isinstance(v, float):
            return format_decimal(v, format="#,##0.#", locale=self.where)
        return str(v)


def _lead(x: ScoredLead, say: Say) -> dict[str, Any]:
    return {"id": x.id, "code": x.external_id or str(x.id), "who": x.company or x.name or "",
            "name": x.name, "company": x.company, "rep": x.rep or "—", "channel": x.channel,
            "score": say.pct(x.probability), "value": say.money(x.value_minor),
            "expected": say.money(x.expected_minor), "action": x.action_text,
            "reasons": [{"text": r.text, "up": r.points > 0} for r in x.reasons]}  # fmt: skip


def _card(d: dict[str, Any], say: Say) -> dict[str, Any]:
    _, ngettext = say._, say.ngettext
    ev = d["evaluation"]
    split = ev.get("split")
    scores = [{"name": _(label), "auc": say.decimal(s["auc"], 3),
               "lift10": say.decimal(s["lift_top10"]), "lift20": say.decimal(s["lift_top20"])}
              for key, label in SCORES.items() if (s := ev.get("scores", {}).get(key))]  # fmt: skip
    bands = [{**b, "band": f"{say.pct(b['low'])}–{say.pct(b['high'])}",
              "shown": [say.pct(b["predicted"]), say.pct(b["actual"]),
                        f"{say.pct(b['interval'][0])}–{say.pct(b['interval'][1])}"]}
             for b in ev.get("calibration") or []]  # fmt: skip
    chart = {"predicted": [b["predicted"] for b in bands], "actual": [b["actual"] for b in bands],
             "low": [b["actual"] - b["interval"][0] for b in bands],
             "high": [b["interval"][1] - b["actual"] for b in bands],
             "text": [ngettext("{band}: {n} lead", "{band}: {n} leads", b["leads"], band=b["band"])
                      for b in bands],
             "top": min(1.0, max([0.1, *(max(b["interval"][1], b["predicted"]) * 1.1
                                        for b in bands)])),
             "labels": {"x": _("Predicted"), "y": _("Actual"), "bands": _("Held-out leads"),
                        "diagonal": _("Perfectly calibrated")}}  # fmt: skip
    drivers = [{"label": x.get("label", x["column"]), "level": x["level"], "up": x["effect"] == "+",
                "spread": say.decimal(x["spread"])} for x in d["drivers"]]  # fmt: skip
    return {
        "id": d["id"], "kind": _(KINDS.get(d["kind"], d["kind"])),
        "trained_at": say.moment(d["trained_at"]), "decided": d["decided"],
        "share": say.pct(d["model_share"]), "split": split, "why": ev.get("why", ""),
        "unjudged": ", ".join(ev.get("rules_not_judged") or []),
        "test_from": say.moment(split["test_from"]) if split else "",
        "base_rate": say.pct(ev.get("base_rate")), "scores": scores, "bands": bands,
        "drivers": drivers, "excluded": d["excluded"],
        "chart_json": script_json(chart) if bands else None,
    }  # fmt: skip


def _context(request: Request, ws: Workspace, who: Principal, locale: str) -> dict[str, Any]:
    q = {k: (request.query_params.get(k) or "").strip()[:200] for k in FIELDS}
    found = scoring.queue(ws, who, rep=q["rep"] or None, team=q["team"] or None, limit=LIMIT,
                          lang=locale)  # fmt: skip
    say = Say(ws, locale, found.currency)
    card, note = None, None
    try:
        card = _card(training.card(ws, who, locale).as_dict(), say)
    except ForbiddenError:
        note = "narrowed"
    except NotFoundError:
        note = "untrained"
    m = found.model
    return {"q": q, "leads": [_lead(x, say) for x in found.leads], "total": found.total,
            "scored_by": None if m is None else {"id": m.id, "at": say.moment(m.trained_at),
                                                 "share": say.pct(found.share)},
            "card": card, "note": note}  # fmt: skip


@router.get("/leads", response_class=HTMLResponse)
def leads_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """Which open leads to call first and why, and what the scores are worth."""
    locale = locale_of(request, ws.settings.locale)
    try:
        context = _context(request, ws, who, locale)
    except SalesmetricsError as exc:
        q = {k: (request.query_params.get(k) or "")[:200] for k in FIELDS}
        return render(request, "leads.html", locale, {"q": q, "error": exc.message},
                      status_code=exc.http_status)  # fmt: skip
    return render(request, "leads.html", locale, context)


@router.get("/leads/{record_id}", response_class=HTMLResponse)
def lead_page(
    request: Request, record_id: str, ws: WorkspaceDep, who: PrincipalDep
) -> HTMLResponse:
    """One open lead's score with every factor behind it, the facts and the next step."""
    locale = locale_of(request, ws.settings.locale)
    try:
        x = scoring.explain(ws, who, record_id[:200], lang=locale)
    except SalesmetricsError as exc:
        return render(request, "leads_lead.html", locale, {"error": exc.message},
                      status_code=exc.http_status)  # fmt: skip
    say = Say(ws, locale)
    facts = [(label, say.fact(v)) for label, v in x.facts.items()]
    return render(request, "leads_lead.html", locale, {"lead": _lead(x, say), "facts": facts})
