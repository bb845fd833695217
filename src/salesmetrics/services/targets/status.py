"""Where each target stands: achieved, attainment, expected to date, ahead or behind, the
run-rate needed per working day left, the projection with its 80 % interval, pipeline coverage
of the gap, and what it takes in deals and opportunities (analytics.pacing has the arithmetic).

A person sees the targets of what they see (domain.access): a rep their own, a manager those of
the reps in view and of the teams they manage, owners and viewers every one (company targets
only them). Actuals are counted over the target's own rep or team, or every record.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from salesmetrics.analytics.pacing import MonthShare, Pace, Window, pace_level, pace_sum
from salesmetrics.domain.access import Principal, Role
from salesmetrics.domain.enums import TargetScope
from salesmetrics.metrics.spec import Direction, MetricDef, Unit
from salesmetrics.services.targets.actuals import Measured, Reader
from salesmetrics.services.targets.plan import adds_up, month_after
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import targets as repo
from salesmetrics.storage.repositories.targets import TargetRow


@dataclass(frozen=True, slots=True)
class WhatItTakes:
    """The gap in the units a salesperson acts on."""

    gap: float
    per_day: float | None  # per remaining working day
    deals: int | None = None  # more won deals at the average deal size
    average_deal: float | None = None  # minor units
    win_rate: float | None = None
    opportunities: int | None = None  # deals / win rate


@dataclass(frozen=True, slots=True)
class TargetStatus:
    target: TargetRow
    label: str  # the metric's label in English (pages translate by the metric's name)
    unit: str
    pace: Pace
    takes: WhatItTakes | None
    notes: tuple[str, ...] = ()

    @property
    def period(self) -> str:
        """2026-11, 2026-Q4, 2026 or 2026-01..2026-05 (a target runs over whole months)."""
        return period_name(self.target.start, self.target.end)

    def as_json(self) -> dict[str, Any]:
        t, p = self.target, self.pace
        return {
            "id": t.id, "metric": t.metric, "label": self.label, "unit": self.unit,
            "scope": t.scope, "scope_id": t.scope_id, "for": t.scope_name,
            "period": self.period, "period_start": t.start.isoformat(),
            "period_end": t.end.isoformat(),
            "split": t.split, "plan_id": t.parent_id, "has_months": t.has_months,
            "target": p.target, "achieved": _num(p.achieved), "attainment": _num(p.attainment),
            "expected_to_date": p.expected_to_date, "expected_share": p.expected_share,
            "ahead": p.ahead, "ahead_by": p.ahead_by, "gap": p.gap,
            "working_days": p.working_days, "elapsed_working_days": p.elapsed_days,
            "remaining_working_days": p.remaining_days, "run_rate": p.run_rate,
            "required_run_rate": p.required_run_rate,
            "projected": {"value": _num(p.projected), "low": p.projected_low,
                          "high": p.projected_high, "attainment": _num(p.projected_attainment)},
            "pipeline": p.pipeline, "coverage": p.coverage,
            "what_it_takes": None if self.takes is None else asdict(self.takes),
            "what_it_takes_text": what_it_takes_text(self),
            "notes": list(self.notes),
        }  # fmt: skip


def target_json(t: TargetRow) -> dict[str, Any]:
    """A target as the API and `targets list --format json` show it (dates ISO, money minor)."""
    return {"id": t.id, "metric": t.metric, "scope": t.scope, "scope_id": t.scope_id,
            "for": t.scope_name, "period_start": t.start.isoformat(),
            "period_end": t.end.isoformat(), "value": t.value, "split": t.split,
            "weights": t.weights, "plan_id": t.parent_id, "has_months": t.has_months}  # fmt: skip


def period_name(start: date, end: date) -> str:
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if start.day != 1 or month_after(end) - timedelta(days=1) != end:
        return f"{start}..{end}"
    if months == 1:
        return f"{start:%Y-%m}"
    if months == 3 and start.month % 3 == 1:
        return f"{start.year}-Q{start.month // 3 + 1}"
    if months == 12 and start.month == 1:
        return str(start.year)
    return f"{start:%Y-%m}..{end:%Y-%m}"


def _num(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


# ---------------------------------------------------------------- who sees which targets


def managed_teams(ws: Workspace, who: Principal) -> frozenset[int]:
    """The teams whose targets and alerts a person sees as their manager (managers only: a
    rep user whose rep happens to manage a team still sees only their own records)."""
    if who.role is not Role.MANAGER or who.rep_id is None:
        return frozenset()
    return repo.managed_teams(ws.store, who.rep_id)


def visible(ws: Workspace, who: Principal, rows: Sequence[TargetRow]) -> list[TargetRow]:
    """The targets of what `who` sees."""
    if who.scope.everything:
        return list(rows)
    managed = managed_teams(ws, who)
    reps = who.scope.reps or frozenset()
    out = []
    for t in rows:
        mine = reps if t.scope == TargetScope.REP else managed
        if t.scope != TargetScope.COMPANY and t.scope_id in mine:
            out.append(t)
    return out


def list_targets(ws: Workspace, who: Principal, start: date, end: date,
                 metric: str | None = None) -> list[TargetRow]:  # fmt: skip
    """The targets `who` sees whose periods overlap start..end."""
    return visible(ws, who, repo.overlapping(ws.store, start, end, metric))


# ---------------------------------------------------------------- status


def _shares(t: TargetRow, months: list[TargetRow]) -> list[MonthShare]:
    if months and t.value:
        return [MonthShare(m.start, m.value / t.value) for m in months]
    each = _months(t)
    if t.weights and len(t.weights) == len(each):
        return [MonthShare(m, w) for m, w in zip(each, t.weights, strict=True)]
    return [MonthShare(m, 1 / len(each)) for m in each]


def _months(t: TargetRow) -> list[date]:
    out, day = [], t.start.replace(day=1)
    while day <= t.end:
        out.append(day)
        day = month_after(day)
    return out


def status_of(ws: Workspace, t: TargetRow, as_of: date, got: Measured) -> TargetStatus:
    """One target's standing at the end of `as_of`, from its actuals."""
    window = Window(t.start, t.end, as_of, ws.settings.calendar())
    if got.error is not None:
        return TargetStatus(t, t.metric, "count", pace_level(t.value, None, window), None,
                            (f"cannot be measured: {got.error}",))  # fmt: skip
    mdef = ws.metrics.catalog.get(t.metric)
    notes: list[str] = []
    if as_of < t.start:
        notes.append("the period has not started")
    elif as_of >= t.end:
        notes.append("the period is over")
    if not adds_up(mdef):
        pace = pace_level(t.value, got.achieved, window,
                          lower_is_better=mdef.direction is Direction.LOWER)  # fmt: skip
        return TargetStatus(t, mdef.label.en, mdef.unit.value, pace, None, tuple(notes))
    months = repo.children(ws.store, t.id) if t.has_months else []
    pace = pace_sum(t.value, got.achieved or 0.0, window, _shares(t, months), got.daily,
                    pipeline=got.pipeline, open_pipeline=got.open_pipeline)  # fmt: skip
    takes = _takes(mdef, pace, got)
    return TargetStatus(t, mdef.label.en, mdef.unit.value, pace, takes, tuple(notes))


def _takes(mdef: MetricDef, pace: Pace, got: Measured) -> WhatItTakes:
    gap = max(pace.gap, 0.0)
    if gap <= 0:
        return WhatItTakes(0.0, 0.0)
    if pace.remaining_days == 0:
        return WhatItTakes(gap, None)
    per_day = pace.required_run_rate
    if mdef.unit is not Unit.MONEY and mdef.name != "deals_won":
        return WhatItTakes(gap, per_day)
    average, rate = got.average_deal, got.win_rate
    if mdef.name == "deals_won":
        deals: int | None = math.ceil(gap - 1e-9)
    else:
        deals = math.ceil(gap / average - 1e-9) if average else None
    opportunities = math.ceil(deals / rate - 1e-9) if deals and rate else None
    return WhatItTakes(gap, per_day, deals, average, rate, opportunities)


def what_it_takes_text(s: TargetStatus) -> str:
    """'3 more deals at your average deal size; at your 24% win rate that is about 12
    qualified opportunities' (English; pages say it in the page's language)."""
    p, k = s.pace, s.takes
    if k is None:
        ahead = "on or above" if p.ahead else "below"
        return f"{ahead} target so far"
    if k.gap <= 0:
        return "target reached"
    if k.per_day is None:
        return "the period is over short of the target"
    parts = []
    if k.deals is not None and s.target.metric != "deals_won":
        parts.append(f"{k.deals} more deal{'s' * (k.deals != 1)} at your average deal size")
    elif k.deals is not None:
        parts.append(f"{k.deals} more won deal{'s' * (k.deals != 1)}")
    if k.opportunities is not None and k.win_rate:
        parts.append(f"at your {k.win_rate:.0%} win rate that is about {k.opportunities} "
                     "qualified opportunities")  # fmt: skip
    if not parts:
        return f"{k.per_day:,.1f} a working day for {p.remaining_days} working days"
    return "; ".join(parts)


def status(ws: Workspace, who: Principal, as_of: date | None = None, *,
           start: date | None = None, end: date | None = None,
           metric: str | None = None) -> list[TargetStatus]:  # fmt: skip
    """Every target `who` sees whose period overlaps start..end (by default: holds `as_of`),
    ordered by period, then company, teams and reps."""
    day = as_of or ws.metrics.today()
    rows = list_targets(ws, who, start or day, end or day, metric)
    order = {TargetScope.COMPANY: 0, TargetScope.TEAM: 1, TargetScope.REP: 2}
    rows.sort(key=lambda t: (t.start, t.end, order[TargetScope(t.scope)], t.scope_name or ""))
    measured = Reader(ws, day, repo.team_reps(ws.store)).measure(rows)
    return [status_of(ws, t, day, measured[t.id]) for t in rows]


# ---------------------------------------------------------------- the Overview's goals

_HEADLINES: OrderedDict[Hashable, dict[str, TargetStatus]] = OrderedDict()
_HEADLINES_LOCK = threading.Lock()
KEEP_HEADLINES = 32


def _headline_rows(ws: Workspace, who: Principal, day: date) -> list[TargetRow]:
    """The month targets at the top of what `who` sees: the company's for a view of everything,
    the person's own rep's, or the one team a manager manages."""
    rows = [t for t in list_targets(ws, who, day, day) if not t.has_months]
    if who.scope.everything:
        return [t for t in rows if t.scope == TargetScope.COMPANY]
    mine = [t for t in rows if t.scope == TargetScope.REP and t.scope_id == who.rep_id]
    teams = [t for t in rows if t.scope == TargetScope.TEAM]
    if len({t.scope_id for t in teams}) == 1:
        return teams
    return mine


def headline(ws: Workspace, who: Principal, day: date, version: int) -> dict[str, TargetStatus]:
    """The Overview cards' targets, by metric, for one data version (computed once)."""
    key = (id(ws), version, day, who.scope.key(), who.rep_id)
    with _HEADLINES_LOCK:
        if key in _HEADLINES:
            return _HEADLINES[key]
    rows = _headline_rows(ws, who, day)
    measured = Reader(ws, day, repo.team_reps(ws.store)).measure(rows)
    found: dict[str, TargetStatus] = {}
    for t in rows:
        found.setdefault(t.metric, status_of(ws, t, day, measured[t.id]))
    with _HEADLINES_LOCK:
        _HEADLINES[key] = found
        while len(_HEADLINES) > KEEP_HEADLINES:
            _HEADLINES.popitem(last=False)
    return found
