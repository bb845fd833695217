"""The Pipeline page: the funnel (chart and stage table with time in stage and observed against
configured probabilities), the bottlenecks with their evidence, stale deals, hygiene per rep,
the forecast against the target, and how past forecasts came true. Every reading is the
person's own view (services/pipeline)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.services.pipeline import bottlenecks, care, common, forecast, funnel
from salesmetrics.services.pipeline.bottlenecks import BASE_DAYS, RECENT_DAYS
from salesmetrics.services.workspace import Workspace
from salesmetrics.web import i18n
from salesmetrics.web.render import locale_of, render, script_json
from salesmetrics.web.segment import narrowed

router = APIRouter(include_in_schema=False)
FIELDS = ("pipeline", "period", "rep", "team", "channel")
LIMIT = 10


class Say:
    """Numbers and sentences in the page's language."""

    def __init__(self, ws: Workspace, locale: str) -> None:
        self.currency, self.locale = ws.settings.base_currency, locale
        self._ = i18n.translator(locale).gettext

    def money(self, v: float | None) -> str:
        return i18n.metric_value(v, "money", self.currency, self.locale)

    def pct(self, v: float | None) -> str:
        return i18n.metric_value(v, "percent", self.currency, self.locale)

    def days(self, v: float | None) -> str:
        return i18n.metric_value(v, "days", self.currency, self.locale)

    def decimal(self, v: float, signed: bool = False) -> str:
        """One decimal in the language's notation: '3,8' in uk (an effect, a trend, coverage)."""
        pattern = "+#,##0.0;-#,##0.0" if signed else "#,##0.0"
        return format_decimal(v, format=pattern, locale="uk_UA" if self.locale == "uk" else "en_US")

    def major(self, minor: float) -> float:
        return i18n.major(minor, self.currency)

    def rate(self, r: dict[str, Any] | None) -> str:
        if not r or r.get("value") is None:
            return "—"
        return f"{self.pct(r['value'])} ({self.pct(r['low'])}–{self.pct(r['high'])})"

    def against(self, f: dict[str, Any]) -> str:
        _ = self._
        return {"stages": _("the other stages"),
                "history": _("the {days} days before", days=BASE_DAYS),
                "rep": _("the other reps"), "team": _("the other teams")}[f["against"]]  # fmt: skip

    def finding(self, f: dict[str, Any]) -> str:
        _ = self._
        who = f"{f['who']}: " if f["who"] else ""
        when = _("in the last {days} days", days=RECENT_DAYS) + " " if f["against"] == "history" \
            else ""  # fmt: skip
        if f["kind"] == "time":
            return who + _(
                "deals wait {value} at {stage} {when}against {reference} at {against}: "
                "{effect}× ({low}× to {high}×), {deals} deals against {reference_deals}.",
                value=self.days(f["value"]), stage=f["stage"], when=when,
                reference=self.days(f["reference"]), against=self.against(f),
                effect=self.decimal(f["effect"]), low=self.decimal(f["low"]),
                high=self.decimal(f["high"]), deals=f["deals"],
                reference_deals=f["reference_deals"],
            )  # fmt: skip
        return who + _(
            "{value} of deals move on from {stage} {when}against {reference} at {against} "
            "({effect} points, {low} to {high}), {deals} deals against {reference_deals}.",
            value=self.pct(f["value"]), stage=f["stage"], when=when,
            reference=self.pct(f["reference"]), against=self.against(f),
            effect=f"{f['effect'] * 100:+.0f}", low=f"{f['low'] * 100:+.0f}",
            high=f"{f['high'] * 100:+.0f}", deals=f["deals"],
            reference_deals=f["reference_deals"],
        )  # fmt: skip


def _stages(report: dict[str, Any], say: Say) -> list[dict[str, Any]]:
    times = {s["stage_id"]: s for s in report["time_in_stage"]["stages"]}
    probs = {s["stage_id"]: s for s in report["probabilities"]}
    rows = []
    for s in report["steps"]:
        t, p = times.get(s["stage_id"], {}), probs.get(s["stage_id"])
        rows.append({
            "stage": s["stage"], "won": s["stage_id"] is None, "reached": s["reached"],
            "value": say.money(s["value_minor"]), "still": s["still_there"],
            "step": say.rate(s["step"]), "cumulative": say.rate(s["cumulative"]),
            "dropped": s["dropped"], "dropped_value": say.money(s["dropped_value_minor"]),
            "median": say.days(t.get("median")), "mean": say.days(t.get("mean")),
            "p90": say.days(t.get("p90")), "rotting": t.get("rotting_days"),
            "configured": say.pct(p["configured"]) if p else "",
            "observed": say.rate(p["observed"]) if p else say.rate(s.get("win_rate")),
            "suggested": say.pct(p["suggested"]) if p and p["suggested"] is not None else "",
        })  # fmt: skip
    return rows


def _forecast(fc: dict[str, Any], say: Say) -> dict[str, Any]:
    target = fc["target"]["value_minor"] if fc["target"] else None
    _ = say._
    labels = {"won": _("Won so far"), "commit": _("Commit"), "expected": _("Expected"),
              "expected_observed": _("Expected at observed rates"),
              "best_case": _("Best case")}  # fmt: skip
    figures = [(label, say.money(fc[f"{key}_minor"])) for key, label in labels.items()]
    rows = [{"name": r["name"], "won": say.money(r["won_minor"]), "deals": int(r["deals"]),
             "open": say.money(r["amount_minor"]), "weighted": say.money(r["weighted_minor"]),
             "observed": say.money(r["observed_minor"]), "commit": say.money(r["commit_minor"]),
             "best": say.money(r["best_case_minor"])} for r in fc["by_rep"]]  # fmt: skip
    stages = [{"name": r["name"], "deals": int(r["deals"]), "open": say.money(r["amount_minor"]),
               "weighted": say.money(r["weighted_minor"]),
               "observed": say.money(r["observed_minor"]), "commit": say.money(r["commit_minor"]),
               "best": say.money(r["best_case_minor"])} for r in fc["by_stage"]]  # fmt: skip
    velocity, coverage = fc.get("pipeline_velocity"), fc.get("pipeline_coverage")
    return {"period": fc["period"], "figures": figures, "by_rep": rows, "by_stage": stages,
            "target": say.money(target) if target is not None else None,
            "velocity": None if velocity is None else i18n.metric_value(
                velocity, "money_per_day", say.currency, say.locale),
            "coverage": None if coverage is None else f"{say.decimal(coverage)}×"}  # fmt: skip


def _accuracy(acc: dict[str, Any], zone: ZoneInfo, say: Say) -> list[dict[str, Any]]:
    def local_day(at: datetime) -> Any:  # stored in UTC: a Monday 00:00 in Kyiv is Sunday there
        return at.astimezone(zone).date()

    out = []
    for p in acc["periods"]:
        for i, s in enumerate(p["snapshots"]):
            out.append({"month": p["period"]["start"], "taken": local_day(s["taken_at"]),
                        "how": s["how"],
                        "first": i == 0,
                        "expected": say.money(s["expected_minor"]),
                        "observed": say.money(s["expected_observed_minor"]),
                        "actual": say.money(s["actual_minor"]),
                        "error": "—" if s["error"] is None else f"{s['error'] * 100:+.0f}%",
                        "error_observed": "—" if s["error_observed"] is None
                        else f"{s['error_observed'] * 100:+.0f}%"})  # fmt: skip
    return out


def _chart(report: dict[str, Any], fc: dict[str, Any], say: Say) -> dict[str, Any]:
    steps = report["steps"]
    _ = say._
    return {
        "funnel": {"stages": [s["stage"] if s["stage_id"] else _("Won") for s in steps],
                   "deals": [s["reached"] for s in steps]},
        "forecast": {"labels": [_("Won"), _("Commit"), _("Expected"), _("Best case")],
                     "values": [say.major(fc[k]) for k in ("won_minor", "commit_minor",
                                                           "expected_minor", "best_case_minor")],
                     "target": say.major(fc["target"]["value_minor"]) if fc["target"] else None,
                     "target_label": _("Target")},
    }  # fmt: skip


def _context(request: Request, ws: Workspace, who: Principal, say: Say) -> dict[str, Any]:
    q = {k: (request.query_params.get(k) or "").strip()[:200] for k in (*FIELDS, "by")}
    a = common.ask(ws, who, pipeline=q["pipeline"] or None, period=q["period"] or None,
                   rep=q["rep"] or None, team=q["team"] or None,
                   channel=q["channel"] or None)  # fmt: skip
    by = q["by"] if q["by"] in funnel.GROUPS else None
    report = funnel.report(a, by)
    found = bottlenecks.bottlenecks(a, limit=8)
    stale = care.stale(a, limit=LIMIT)
    hygiene = care.hygiene(a, limit=LIMIT)
    fc = forecast.forecast(a, forecast.period_of(a, None))
    acc = forecast.accuracy(a)
    for f in found["findings"]:
        f["text"] = say.finding(f)
    trend = report["time_in_stage"]["cycle_trend_days_per_month"]
    return {
        "q": q, "by": by, "pipelines": common.pipelines(ws), "ask": a,
        "today": a.today, "period": report["period"], "deals": report["deals"],
        "stages": _stages(report, say), "groups": report.get("groups", []),
        "trend": None if trend is None else say._("{value} d", value=say.decimal(trend, True)),
        "findings": found["findings"], "comparisons": found["comparisons"],
        "stale": stale, "stale_money": say.money(stale["amount_minor"]),
        "hygiene": hygiene, "forecast": _forecast(fc, say), "accuracy": _accuracy(acc, a.zone, say),
        "mae": acc["mean_absolute_error"], "charts_json": script_json(_chart(report, fc, say)),
        "money": say.money, "days": say.days, "pct": say.pct, "rate": say.rate,
    }  # fmt: skip


@router.get("/pipeline", response_class=HTMLResponse)
def pipeline_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """How deals move, where they stick, which need care and what the month will bring."""
    locale = locale_of(request, ws.settings.locale)
    say = Say(ws, locale)
    who = narrowed(request, who)
    try:
        context = _context(request, ws, who, say)
    except SalesmetricsError as exc:
        q = {k: (request.query_params.get(k) or "")[:200] for k in (*FIELDS, "by")}
        context = {"q": q, "error": exc.message, "pipelines": [], "today": None}
        return render(request, "pipeline.html", locale, context, status_code=exc.http_status)
    return render(request, "pipeline.html", locale, context)
