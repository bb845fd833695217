"""The alert rules: each looks at the workspace on a day and names the conditions it finds, each
with a key that says which occurrence it is, so the same condition never alerts twice.

- `target_pace`: a target (company, team or rep) whose projected attainment is under
  SALESMETRICS_ALERT_PACE_BELOW (default 0.9) once SALESMETRICS_ALERT_PACE_AFTER (default 0.5)
  of its period's working days have passed. Once per target and period.
- `rep_inactive`: an active rep with no activity logged for SALESMETRICS_ALERT_INACTIVE_DAYS
  (default 5) days. Once per rep and last activity (a new activity starts the count again).
- `kpi_unusual`: a KPI (SALESMETRICS_ALERT_KPIS, default revenue, orders, deals_won) whose last
  whole week lies outside its usual range: more than 3.5 robust z-scores (0.6745 x the distance
  from the median over the median absolute deviation, Iglewicz and Hoaglin) from the 8 weeks
  before it. Once per KPI and week.
- `stale_deals`: a rep with open deals past their stage's rotting days or without activity for
  SALESMETRICS_ALERT_STALE_DAYS (default 14) days (docs/pipeline.md). Once per rep and week.
- `detractor`: a detractor response's follow-up, opened for the rep who owns the response
  (docs/feedback.md); the rep and their manager see it. Once per follow-up.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from salesmetrics.domain.access import LOCAL
from salesmetrics.domain.enums import TargetScope
from salesmetrics.domain.errors import ConfigError, QueryError
from salesmetrics.services.alerts.texts import deal_word, say
from salesmetrics.services.feedback import followups
from salesmetrics.services.pipeline import care
from salesmetrics.services.pipeline import common as pipeline
from salesmetrics.services.targets import status as targets
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import alerts as repo
from salesmetrics.storage.repositories import deal_flow
from salesmetrics.storage.repositories.alerts import NewAlert

RULES = ("target_pace", "rep_inactive", "kpi_unusual", "stale_deals", "detractor")
HISTORY_WEEKS = 8
Z_LIMIT = 3.5
DEFAULT_KPIS = ("revenue", "orders", "deals_won")


@dataclass(frozen=True, slots=True)
class Settings:
    pace_below: float = 0.9
    pace_after: float = 0.5
    inactive_days: int = 5
    kpis: tuple[str, ...] = DEFAULT_KPIS
    stale_days: int = care.QUIET_DAYS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def number(name: str, default: float, low: float, high: float) -> float:
            text = env.get(name, "").strip()
            if not text:
                return default
            try:
                value = float(text)
            except ValueError:
                raise ConfigError(f"{name}='{text}' is not a number") from None
            if not low <= value <= high:
                raise ConfigError(f"{name}={text} is out of range: use {low} to {high}")
            return value

        kpis = tuple(k.strip() for k in env.get("SALESMETRICS_ALERT_KPIS", "").split(",") if k)
        return cls(
            pace_below=number("SALESMETRICS_ALERT_PACE_BELOW", 0.9, 0.0, 10.0),
            pace_after=number("SALESMETRICS_ALERT_PACE_AFTER", 0.5, 0.0, 1.0),
            inactive_days=int(number("SALESMETRICS_ALERT_INACTIVE_DAYS", 5, 1, 365)),
            kpis=kpis or DEFAULT_KPIS,
            stale_days=int(number("SALESMETRICS_ALERT_STALE_DAYS", care.QUIET_DAYS, 1, 365)),
        )


def _takes(locale: str, st: targets.TargetStatus) -> str:
    k = st.takes
    if k is None or not k.deals or not k.opportunities or not k.win_rate:
        return ""
    return " " + say(locale, "takes", deals=k.deals, deal_word=deal_word(locale, k.deals),
                     rate=f"{k.win_rate:.0%}", opps=k.opportunities)  # fmt: skip


def target_pace(ws: Workspace, day: date, s: Settings) -> list[NewAlert]:
    out = []
    locale = ws.settings.locale
    for st in targets.status(ws, LOCAL, day):
        p, t = st.pace, st.target
        if not p.additive or p.projected_attainment is None or not p.working_days:
            continue
        if p.elapsed_days / p.working_days < s.pace_after or p.remaining_days == 0:
            continue
        if p.projected_attainment >= s.pace_below:
            continue
        who = t.scope_name or say(locale, "company")
        label = _label(ws, t.metric, locale)
        facts = {"who": who, "metric": label, "projected": f"{p.projected_attainment:.0%}",
                 "achieved": f"{p.attainment or 0:.0%}", "left": p.remaining_days,
                 "days": "day" if p.remaining_days == 1 else "days",
                 "period": st.period}  # fmt: skip
        out.append(NewAlert(
            "target_pace", f"{t.id}:{t.start}", "warning", say(locale, "pace_title", **facts),
            say(locale, "pace_body", **facts) + _takes(locale, st),
            rep_id=t.scope_id if t.scope == TargetScope.REP else None,
            team_id=t.scope_id if t.scope == TargetScope.TEAM else None,
            data={"target_id": t.id, "projected_attainment": p.projected_attainment,
                  "attainment": p.attainment, "remaining_working_days": p.remaining_days},
        ))  # fmt: skip
    return out


def _label(ws: Workspace, metric: str, locale: str) -> str:
    label = ws.metrics.catalog.get(metric).label
    return str(getattr(label, locale, label.en))


def rep_inactive(ws: Workspace, day: date, s: Settings) -> list[NewAlert]:
    tz = ZoneInfo(ws.settings.time_zone)
    locale = ws.settings.locale
    out = []
    for rep_id, name, last, hired in repo.last_activity(ws.store):
        last_day = last.astimezone(tz).date() if isinstance(last, datetime) else last
        since = last_day or hired
        if since is None or (day - since).days < s.inactive_days:
            continue
        what = say(locale, "since", day=last_day) if last_day else say(locale, "ever")
        out.append(NewAlert(
            "rep_inactive", f"{rep_id}:{last_day or 'never'}", "info",
            say(locale, "idle_title", name=name, n=(day - since).days),
            say(locale, "idle_body", name=name, since=what),
            rep_id=rep_id, data={"last_activity": last_day, "days": (day - since).days},
        ))  # fmt: skip
    return out


def robust_z(value: float, history: list[float]) -> float | None:
    """0.6745 (x - median) / MAD; None when the history does not vary."""
    median = statistics.median(history)
    mad = statistics.median(abs(h - median) for h in history)
    return None if mad == 0 else 0.6745 * (value - median) / mad


def kpi_unusual(ws: Workspace, day: date, s: Settings) -> list[NewAlert]:
    week = day - timedelta(days=day.weekday())  # this week's Monday: the last whole week is before
    start = week - timedelta(weeks=HISTORY_WEEKS + 1)
    end = week - timedelta(days=1)
    out = []
    for metric in s.kpis:
        try:
            rows = ws.metrics.query([metric], period=f"{start}..{end}", grain="week",
                                    as_of=day).rows()  # fmt: skip
        except QueryError:
            continue
        values = {r["period"]: float(r.get(metric) or 0.0) for r in rows}
        weeks = [start + timedelta(weeks=i) for i in range(HISTORY_WEEKS + 1)]
        series = [values.get(w, 0.0) for w in weeks]
        z = robust_z(series[-1], series[:-1])
        if z is None or abs(z) <= Z_LIMIT:
            continue
        label, locale = _label(ws, metric, ws.settings.locale), ws.settings.locale
        facts = {"metric": label, "week": weeks[-1], "value": f"{series[-1]:,.0f}",
                 "median": f"{statistics.median(series[:-1]):,.0f}", "weeks": HISTORY_WEEKS,
                 "z": f"{z:.1f}", "way": say(locale, "high" if z > 0 else "low")}  # fmt: skip
        out.append(NewAlert(
            "kpi_unusual", f"{metric}:{weeks[-1]}", "warning", say(locale, "kpi_title", **facts),
            say(locale, "kpi_body", **facts),
            data={"metric": metric, "week": weeks[-1], "value": series[-1], "z": z},
        ))  # fmt: skip
    return out


def stale_deals(ws: Workspace, day: date, s: Settings) -> list[NewAlert]:
    """Per rep and pipeline: the open deals gone stale, the largest named."""
    week = day - timedelta(days=day.weekday())
    locale = ws.settings.locale
    out = []
    for p in deal_flow.pipelines(ws.store):
        found = care.stale(pipeline.ask(ws, LOCAL, pipeline=str(p.id), as_of=day),
                           s.stale_days, limit=1000)  # fmt: skip
        for r in found["by_rep"]:
            if r["rep_id"] is None:
                continue
            top = next((d for d in found["list"] if d["rep_id"] == r["rep_id"]), None)
            facts = {"name": r["rep"], "n": r["deals"], "deal_word": deal_word(locale, r["deals"]),
                     "amount": f"{r['amount_minor'] / 100:,.0f}".replace(",", " "),
                     "currency": ws.settings.base_currency, "days": s.stale_days,
                     "top": top["title"] if top else "",
                     "stage": top["stage"] if top else ""}  # fmt: skip
            out.append(NewAlert(
                "stale_deals", f"{r['rep_id']}:{p.id}:{week}", "warning",
                say(locale, "stale_title", **facts), say(locale, "stale_body", **facts),
                rep_id=r["rep_id"],
                data={"pipeline_id": p.id, "deals": r["deals"], "amount_minor": r["amount_minor"],
                      "largest_deal_id": top["id"] if top else None},
            ))  # fmt: skip
    return out


def detractor(ws: Workspace, day: date, s: Settings) -> list[NewAlert]:
    """Each open follow-up of a detractor response (opening the missing ones first), for the
    rep who owns it and so their manager (docs/feedback.md)."""
    followups.open_new(ws)
    locale, zone = ws.settings.locale, ZoneInfo(ws.settings.time_zone)
    out = []
    for f in followups.queue(ws, LOCAL, "open", limit=1000):
        text = (f.comment or "").strip()
        facts = {"customer": f.customer or f"#{f.customer_id or f.feedback_id}",
                 "kind": f.kind.upper(), "score": f"{f.score:g}" if f.score is not None else "—",
                 "product": f" ({f.product})" if f.product else "",
                 "comment": f": “{text[:200]}”" if text else "",
                 "rep": f.rep or say(locale, "no_rep"),
                 "due": f.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")}  # fmt: skip
        out.append(NewAlert(
            "detractor", str(f.id), "warning", say(locale, "detractor_title", **facts),
            say(locale, "detractor_body", **facts), rep_id=f.rep_id,
            data={"followup_id": f.id, "feedback_id": f.feedback_id, "score": f.score},
        ))  # fmt: skip
    return out


CHECKS: dict[str, Callable[[Workspace, date, Settings], list[NewAlert]]] = {
    "target_pace": target_pace, "rep_inactive": rep_inactive, "kpi_unusual": kpi_unusual,
    "stale_deals": stale_deals, "detractor": detractor,
}  # fmt: skip
