"""What-if planning: next quarter's revenue from the funnel model, with levers, against target
(analytics/strategy/funnel_model.py; docs/plan.md).

Revenue is the `revenue` metric (KPIS.md: order lines of paid orders). In a business with a
sales team part of it comes from deals (a won deal's order) and part from orders outside deals
(a shop, repeat orders): the deals part is the funnel model's, the rest is the revenue forecast
(services/strategy/forecast.py) times the share of revenue outside won deals over the last 12
months. The funnel is read from the 12 complete months before today (leads per channel from the
last 6), in the asker's view: leads and deals per channel, stage-to-stage conversions of the
deals decided (services/pipeline/funnel.py), average won deal, the won cycle (median and mean),
reps working and the most leads per rep the team has worked in a month.

"Next quarter" is the three months after the current one (`start` moves it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from salesmetrics.analytics.strategy import forecast as ts
from salesmetrics.analytics.strategy import funnel_model as fm
from salesmetrics.domain.access import Principal
from salesmetrics.domain.enums import TargetScope
from salesmetrics.domain.errors import InputError, NotFoundError
from salesmetrics.domain.periods import add_months, supported
from salesmetrics.services.live import data_version
from salesmetrics.services.pipeline import common, funnel
from salesmetrics.services.strategy import forecast as fc
from salesmetrics.services.targets.status import list_targets
from salesmetrics.services.team import VersionedCache
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import deal_flow as flow
from salesmetrics.storage.repositories import plan_inputs
from salesmetrics.storage.repositories import team as team_repo
from salesmetrics.storage.repositories.targets import TargetRow

WINDOW_MONTHS = 12
LEAD_MONTHS = 6
QUARTER = 3
MAX_REPS = 50
Levers = fm.Levers  # the adapters' name for the levers


# ------------------------------------------------------------------ levers


def _number(text: str, what: str, unit: str = "") -> float:
    t = text.strip().replace(",", ".").replace("−", "-")
    if unit and t.lower().endswith(unit):
        t = t[: -len(unit)]
    try:
        value = float(t)
    except ValueError:
        raise InputError(f"{what} '{text}' is not a number (e.g. +10{unit or ''})") from None
    if not math.isfinite(value):
        raise InputError(f"{what} '{text}' is not a number")
    return value


def _pair(text: str, what: str, example: str) -> tuple[str, str]:
    name, sep, value = text.rpartition("=")
    if not sep or not name.strip() or not value.strip():
        raise InputError(f"{what} '{text}': write NAME=CHANGE, e.g. {example}")
    return name.strip(), value.strip()


def _share(text: str, what: str) -> float:
    """'+20%' or '-15 %' -> 0.2 / -0.15; no % sign: still percent."""
    value = _number(text.replace(" ", "").rstrip("%"), what) / 100.0
    if value < -1.0 or value > 10.0:
        raise InputError(f"{what} '{text}': use -100% to +1000%")
    return value


def parse_levers(
    *, reps: str | None = None, leads: Sequence[str] = (), stages: Sequence[str] = (),
    deal_size: str | None = None, cycle: str | None = None, ramp_months: int = 3,
) -> fm.Levers:  # fmt: skip
    """Levers from their text forms: reps '+1', leads 'Instagram=+20%', stage
    'Пропозиція=+5pp', deal size '+10%', cycle '-5d'."""
    n = 0
    if reps:
        r = _number(reps, "reps")
        if r != int(r) or abs(r) > MAX_REPS:
            raise InputError(f"reps '{reps}': a whole number of reps to add or remove, e.g. +1")
        n = int(r)
    if not 1 <= ramp_months <= 24:
        raise InputError(f"ramp months {ramp_months}: use 1 to 24")
    channel_changes = {}
    for text in leads:
        name, value = _pair(text, "leads", "Instagram=+20%")
        channel_changes[name] = _share(value, f"leads of {name}")
    stage_changes = {}
    for text in stages:
        name, value = _pair(text, "stage", "Пропозиція=+5pp")
        if not re.fullmatch(r"[+-]?\d+([.,]\d+)?\s*(pp)?", value.lower()):
            raise InputError(f"stage change '{value}': percentage points, e.g. +5pp or -3pp")
        points = _number(value.lower().replace(" ", ""), f"stage {name}", "pp") / 100.0
        if abs(points) > 1.0:
            raise InputError(f"stage change '{value}': use -100pp to +100pp")
        stage_changes[name] = points
    size = _share(deal_size, "deal size") if deal_size else 0.0
    days = 0.0
    if cycle:
        days = _number(cycle.lower().replace(" ", ""), "cycle", "d")
        if abs(days) > 365:
            raise InputError(f"cycle '{cycle}': use -365d to +365d")
    return fm.Levers(n, ramp_months, channel_changes, stage_changes, size, days)


def _resolve(names: Sequence[str], wanted: dict[str, float], kind: str) -> dict[str, float]:
    """Match lever names to the funnel's, case-insensitively."""
    known = {n.casefold(): n for n in names}
    out = {}
    for name, v in wanted.items():
        if name.casefold() not in known:
            raise NotFoundError(f"no {kind} '{name}'; there are: {', '.join(names)}")
        out[known[name.casefold()]] = v
    return out


# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: date
    baseline_minor: int
    scenario_minor: int
    baseline_deals_minor: int
    scenario_deals_minor: int
    other_minor: int  # revenue outside deals (the same in both)
    baseline_wins: float
    scenario_wins: float
    target_minor: int | None
    gap_minor: int | None  # scenario - target (negative: short)


@dataclass(frozen=True)
class WhatIf:
    as_of: date
    currency: str
    months: list[MonthRow]
    levers: dict[str, Any]
    inputs: dict[str, Any]
    deal_share: float
    notes: list[str] = field(default_factory=list)

    def total(self, key: str) -> int | None:
        values = [getattr(m, key) for m in self.months]
        return None if any(v is None for v in values) else int(sum(values))

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["totals"] = {k: self.total(k) for k in ("baseline_minor", "scenario_minor",
                                                    "target_minor", "gap_minor")}  # fmt: skip
        return out


@dataclass(frozen=True)
class BaselineCheck:
    """The baseline projected from an earlier day against what happened."""

    origin: date
    months: list[dict[str, Any]]
    quarter_projected_minor: int
    quarter_actual_minor: int
    quarter_error: float | None  # (projected - actual) / actual; None: nothing came
    mape: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Reading:
    funnel: fm.Funnel
    deal_share: float
    other: list[float]
    months: list[date]
    gap: list[date]


def _window(today: date) -> tuple[date, date]:
    first_of = today.replace(day=1)
    return add_months(first_of, -WINDOW_MONTHS), first_of - timedelta(days=1)


def _by_channel(ws: Workspace, who: Principal, start: date, end: date,
                today: date) -> dict[str, dict[str, float]]:  # fmt: skip
    res = ws.metrics.query(["leads_created", "deals_created"], period=f"{start}..{end}",
                           by=["channel"], as_of=today, scope=who.scope)  # fmt: skip
    return {r["channel"]: {"leads": float(r["leads_created"] or 0),
                           "deals": float(r["deals_created"] or 0)}
            for r in res.rows() if r["channel"] is not None}  # fmt: skip


def _steps(
    ws: Workspace, who: Principal, start: date, today: date
) -> tuple[list[str], list[float]]:
    """Stage-to-stage conversions of the deals decided in the window (no stage left open)."""
    a = common.ask(ws, who, as_of=today)
    stages = a.open_stages
    rows = flow.reach(ws.store, a.deals, by_time="closed_at", start=a.instant(start),
                      end=a.instant(today.replace(day=1)))  # fmt: skip
    t = funnel.tally(rows, stages, key=lambda r: None).get(None)
    if t is None or not t.reached or t.reached[0] == 0:
        raise InputError("no deals were decided in the last 12 months: nothing to model")
    nxt = [*t.reached[1:], t.won]
    steps = [nxt[i] / t.reached[i] if t.reached[i] else 0.0 for i in range(len(stages))]
    return [s.name for s in stages], steps


def _reps(ws: Workspace, who: Principal, day: date) -> float:
    return float(sum(1 for r in team_repo.reps(ws.store)
                     if r.active and who.scope.sees(r.id)
                     and (r.hired_on is None or r.hired_on <= day)))  # fmt: skip


def _capacity(ws: Workspace, who: Principal, today: date) -> float:
    """The most leads per rep the team has worked in one of the last LEAD_MONTHS months."""
    first = add_months(today.replace(day=1), -LEAD_MONTHS)
    last = today.replace(day=1) - timedelta(days=1)
    res = ws.metrics.query(["leads_created"], period=f"{first}..{last}", grain="month",
                           as_of=today, scope=who.scope)  # fmt: skip
    best = 0.0
    for r in res.rows():
        reps = _reps(ws, who, add_months(r["period"], 1) - timedelta(days=1))
        if reps:
            best = max(best, float(r["leads_created"] or 0) / reps)
    return best if best > 0 else math.inf


def _one(ws: Workspace, who: Principal, names: list[str], start: date, end: date,
         today: date) -> dict[str, float]:  # fmt: skip
    readable = ws.metrics.readable(names, who.scope)
    rows = ws.metrics.query(readable, period=f"{start}..{end}", as_of=today,
                            scope=who.scope).rows() if readable else []  # fmt: skip
    row = rows[0] if rows else {}
    return {n: float(row.get(n) or 0.0) for n in names}


_READINGS: VersionedCache[tuple[Any, ...], Reading] = VersionedCache(size=32)


def read_funnel(ws: Workspace, who: Principal, today: date, start: date | None) -> Reading:
    """The funnel and the revenue outside deals, from the data before `today`'s month; read
    once per (workspace, data version, view, day, first month): the levers only change the
    arithmetic on it, so moving a slider does not read the data nor refit the model again."""
    first = supported(start or add_months(today.replace(day=1), 1), "the quarter's first month")
    if first < today.replace(day=1):
        raise InputError(f"the quarter must start this month or later, not {first:%Y-%m}")
    key = (ws.store.url, data_version(ws), who.scope.key(), who.rep_id, today, first)
    return _READINGS.get(key, lambda: _read_funnel(ws, who, today, first))


def _read_funnel(ws: Workspace, who: Principal, today: date, first: date) -> Reading:
    w0, w1 = _window(today)
    months = [add_months(first, k) for k in range(QUARTER)]
    gap = []
    m = today.replace(day=1)
    while m < first:
        gap.append(m)
        m = add_months(m, 1)
    whole = _by_channel(ws, who, w0, w1, today)
    recent = _by_channel(ws, who, add_months(w1.replace(day=1), -(LEAD_MONTHS - 1)), w1, today)
    kinds = plan_inputs.channel_kinds(ws.store)
    names, steps = _steps(ws, who, w0, today)
    k = _one(ws, who, ["avg_deal_size", "sales_cycle_days", "sales_cycle_mean_days",
                       "won_amount", "revenue"], w0, w1, today)  # fmt: skip
    past = ws.metrics.query(["deals_created"], period=f"{w0}..{w1}", grain="month",
                            as_of=today, scope=who.scope).rows()  # fmt: skip
    f = fm.Funnel(
        leads={c: v["leads"] / LEAD_MONTHS for c, v in recent.items()},
        deal_rate={c: min(1.0, v["deals"] / v["leads"]) if v["leads"] else 0.0
                   for c, v in whole.items() if c in recent},
        outbound=frozenset(c for c in recent if kinds.get(c) == "outbound"),
        stages=names, steps=steps, deal_size_minor=k["avg_deal_size"],
        cycle_median_days=k["sales_cycle_days"] or 30.0,
        cycle_mean_days=k["sales_cycle_mean_days"] or k["sales_cycle_days"] or 30.0,
        reps=_reps(ws, who, today), capacity_per_rep=_capacity(ws, who, today),
        past_deals={r["period"]: float(r["deals_created"] or 0) for r in past},
    )  # fmt: skip
    if gap:  # the months between the data and the quarter: their deals at the baseline
        base = sum(n * f.deal_rate.get(c, 0.0) for c, n in fm.leads_in(f, fm.Levers(), 0).items())
        f = replace(f, past_deals={**f.past_deals, **dict.fromkeys(gap, base)})
    share = min(1.0, k["won_amount"] / k["revenue"]) if k["revenue"] else 0.0
    return Reading(f, share, _other(ws, who, today, [*gap, *months], share)[len(gap):],
                   months, gap)  # fmt: skip


def _other(ws: Workspace, who: Principal, today: date, months: list[date],
           share: float) -> list[float]:  # fmt: skip
    """Revenue outside deals in `months`: the revenue model's forecast x (1 - deal share)."""
    s = fc.setup_of("month")
    hist = fc.history(ws, who, s, today)
    if len(hist) < ts.MIN_FIT or any(v <= 0 for _, v in hist):
        return [0.0] * len(months)
    y = np.array([v for _, v in hist], np.float64)
    seasons = np.array([p.month - 1 for p, _ in hist], np.int64)
    fit = ts.SeasonalEts(12).fit(y, seasons)
    ahead = [today.replace(day=1)]
    while ahead[-1] < months[-1]:
        ahead.append(add_months(ahead[-1], 1))
    pred = fit.predict(np.array([p.month - 1 for p in ahead], np.int64))
    by = dict(zip(ahead, pred, strict=True))
    return [float(by[m]) * (1.0 - share) for m in months]


# ------------------------------------------------------------------ answers


def _targets(ws: Workspace, who: Principal, months: list[date]) -> list[int | None]:
    """The revenue target of each month at the asker's level (services/targets/status.py
    decides which targets a person sees): the company's for those who see everything; for a
    manager the targets of the teams they manage where a month has any, else (and for a rep)
    the sum of the reps' targets in view. A longer target counts pro rata by days."""
    end = add_months(months[-1], 1) - timedelta(days=1)
    rows = [t for t in list_targets(ws, who, months[0], end, "revenue") if not t.has_months]
    levels = ((TargetScope.COMPANY,) if who.scope.everything
              else (TargetScope.TEAM, TargetScope.REP))  # fmt: skip
    out: list[int | None] = []
    for m in months:
        last = add_months(m, 1) - timedelta(days=1)
        got = None
        for level in levels:  # the first level with a target in the month
            got = _in_month([t for t in rows if t.scope == level], m, last)
            if got is not None:
                break
        out.append(got)
    return out


def _in_month(rows: Sequence[TargetRow], first: date, last: date) -> int | None:
    """The targets' part in first..last (pro rata by days), None when none overlaps it."""
    total, found = 0.0, False
    for t in rows:
        lo, hi = max(t.start, first), min(t.end, last)
        if lo <= hi:
            found = True
            total += t.value * ((hi - lo).days + 1) / ((t.end - t.start).days + 1)
    return round(total) if found else None


def what_if(ws: Workspace, who: Principal, levers: fm.Levers, *, as_of: date | None = None,
            start: date | None = None) -> WhatIf:  # fmt: skip
    """Baseline and scenario revenue of the next quarter by month, against target."""
    today = supported(as_of or ws.metrics.today(), "the as-of date")
    r = read_funnel(ws, who, today, start)
    lv = replace(levers, leads=_resolve(list(r.funnel.leads), dict(levers.leads), "channel"),
                 stages=_resolve(list(r.funnel.stages), dict(levers.stages), "stage"))  # fmt: skip
    try:
        base = fm.project(r.funnel, r.months, r.other)
        scen = fm.project(r.funnel, r.months, r.other, lv)
    except fm.FunnelInputError as exc:
        raise InputError(str(exc)) from None
    targets = _targets(ws, who, r.months)
    rows = [MonthRow(b.month, round(b.revenue_minor), round(s.revenue_minor),
                     round(b.deal_revenue_minor), round(s.deal_revenue_minor),
                     round(b.other_revenue_minor), b.wins, s.wins, t,
                     None if t is None else round(s.revenue_minor) - t)
            for b, s, t in zip(base, scen, targets, strict=True)]  # fmt: skip
    f = r.funnel
    inputs = {"window": {"start": _window(today)[0], "end": _window(today)[1]},
              "leads_per_month": dict(f.leads), "deals_per_lead": dict(f.deal_rate),
              "outbound_channels": sorted(f.outbound), "stages": list(f.stages),
              "stage_conversion": list(f.steps), "win_rate": f.win_rate,
              "deal_size_minor": f.deal_size_minor, "cycle_median_days": f.cycle_median_days,
              "cycle_mean_days": f.cycle_mean_days, "reps": f.reps,
              "capacity_per_rep": None if math.isinf(f.capacity_per_rep) else f.capacity_per_rep,
              "gap_months": r.gap}  # fmt: skip
    notes = (
        [] if any(t is not None for t in targets) else ["no revenue target set for these months"]
    )
    return WhatIf(today, ws.settings.base_currency, rows, asdict(lv), inputs, r.deal_share, notes)


def check_baseline(ws: Workspace, who: Principal, origin: date) -> BaselineCheck:
    """Project the quarter starting at `origin` (a first of month) from the data before it,
    and compare with the revenue that came (the quarter must be over)."""
    if origin.day != 1:
        raise InputError("the origin of a baseline check is the first day of a month")
    supported(origin, "the origin of a baseline check")
    last = add_months(origin, QUARTER) - timedelta(days=1)
    if last >= ws.metrics.today():
        raise InputError(f"the quarter from {origin} is not over yet")
    r = read_funnel(ws, who, origin, origin)
    base = fm.project(r.funnel, r.months, r.other)
    got = ws.metrics.query(["revenue"], period=f"{origin}..{last}", grain="month",
                           as_of=last, scope=who.scope).rows()  # fmt: skip
    actual = {x["period"]: int(x["revenue"] or 0) for x in got}
    projected = [round(b.revenue_minor) for b in base]
    came = [actual.get(b.month, 0) for b in base]
    months: list[dict[str, Any]] = [
        {"month": b.month, "projected_minor": p, "actual_minor": a,
         "error": (p - a) / a if a else None}
        for b, p, a in zip(base, projected, came, strict=True)
    ]  # fmt: skip
    proj, act = sum(projected), sum(came)
    return BaselineCheck(origin, months, proj, act, (proj - act) / act if act else None,
                         ts.mape(came, projected))  # fmt: skip
