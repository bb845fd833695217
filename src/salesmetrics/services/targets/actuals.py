"""What targets are measured against, in few queries: the targets of one metric, period and
level (the company, teams, reps) share each query, broken down by team or by rep.

For each target: the metric so far (and by day, for metrics that add up), the open pipeline
due in its period (at full amounts, and weighted by stage probability for deal metrics), and,
for money and won deals, the average deal size and win rate of the last 365 days.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from salesmetrics.domain.access import EVERYTHING, Scope
from salesmetrics.domain.enums import TargetScope
from salesmetrics.domain.errors import QueryError, SalesmetricsError
from salesmetrics.metrics.spec import Agg, MetricDef, Unit
from salesmetrics.services.targets.plan import adds_up
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories.targets import TargetRow

HISTORY_DAYS = 365
Row = dict[str, Any]
_DIM = {TargetScope.COMPANY: None, TargetScope.TEAM: "team", TargetScope.REP: "rep"}


@dataclass
class Measured:
    """One target's actuals (money in minor units)."""

    achieved: float | None = None
    daily: dict[date, float] = field(default_factory=dict)
    pipeline: float | None = None  # weighted, due in the period (deal metrics)
    open_pipeline: float | None = None  # full amounts, due in the period (money metrics)
    average_deal: float | None = None
    win_rate: float | None = None
    error: str | None = None  # why the actuals could not be read (the others still are)


@dataclass(frozen=True, slots=True)
class _Group:
    metric: MetricDef
    start: date
    end: date
    last: date  # the last elapsed day
    level: TargetScope
    targets: tuple[TargetRow, ...]


class Reader:
    """Reads actuals for targets as of the end of one day."""

    def __init__(self, ws: Workspace, as_of: date, team_reps: dict[int, list[int]]) -> None:
        self.ws, self.as_of, self.team_reps = ws, as_of, team_reps
        self._history: dict[Any, dict[str, dict[str, Any]]] = {}

    def measure(self, targets: Sequence[TargetRow]) -> dict[int, Measured]:
        """Each target's actuals; a target whose metric cannot be read (a metric since removed
        from the catalog, company-wide data for a rep) carries the reason instead."""
        out: dict[int, Measured] = {}
        readable = []
        for t in targets:
            try:
                self.ws.metrics.catalog.get(t.metric)
                readable.append(t)
            except SalesmetricsError as exc:
                out[t.id] = Measured(error=exc.message)
        for group in self._groups(readable):
            try:
                out.update(self._measure(group))
            except SalesmetricsError as exc:
                out.update({t.id: Measured(error=exc.message) for t in group.targets})
        return out

    # -------------------------------------------------------------- grouping

    def _groups(self, targets: Sequence[TargetRow]) -> list[_Group]:
        buckets: dict[Any, list[TargetRow]] = defaultdict(list)
        for t in targets:
            buckets[(t.metric, t.start, t.end, t.scope)].append(t)
        out = []
        for (metric, start, end, scope), rows in buckets.items():
            mdef = self.ws.metrics.catalog.get(metric)
            last = min(self.as_of, end)
            level = TargetScope(scope)
            names = Counter(_label(t) for t in rows)
            if level is not TargetScope.COMPANY and any(n > 1 for n in names.values()):
                out += [_Group(mdef, start, end, last, level, (t,)) for t in rows]  # same names
            else:
                out.append(_Group(mdef, start, end, last, level, tuple(rows)))
        return out

    def _view(self, group: _Group) -> Scope:
        if group.level is TargetScope.COMPANY:
            return EVERYTHING
        ids = {t.scope_id for t in group.targets if t.scope_id is not None}
        if group.level is TargetScope.REP:
            return Scope(frozenset(ids), unassigned=False)
        reps = {r for team in ids for r in self.team_reps.get(team, ())}
        return Scope(frozenset(reps), unassigned=False)

    def _dims(self, group: _Group) -> list[str]:
        dim = _DIM[group.level]
        return [dim] if dim and len(group.targets) > 1 else []

    # -------------------------------------------------------------- reading

    def _rows(self, group: _Group, metrics: list[str], start: date, end: date,
              **options: Any) -> list[dict[str, Any]]:  # fmt: skip
        result = self.ws.metrics.query(
            metrics, period=f"{start}..{end}", by=self._dims(group), scope=self._view(group),
            as_of=self.as_of, **options,
        )  # fmt: skip
        return result.rows()

    def _by_target(self, group: _Group, rows: list[Row]) -> dict[int, list[Row]]:
        dims = self._dims(group)
        if not dims:
            return {group.targets[0].id: rows}
        ids = {_label(t): t.id for t in group.targets}
        out: dict[int, list[Row]] = defaultdict(list)
        for row in rows:
            found = ids.get(str(row.get(dims[0])))
            if found is not None:
                out[found].append(row)
        return out

    def _one(self, group: _Group, metric: str, start: date, end: date,
             **options: Any) -> dict[int, float | None]:  # fmt: skip
        rows = self._by_target(group, self._rows(group, [metric], start, end, **options))
        return {t.id: _first(rows.get(t.id), metric) for t in group.targets}

    def _measure(self, group: _Group) -> dict[int, Measured]:
        m, started = group.metric, self.as_of >= group.start
        out = {t.id: Measured() for t in group.targets}
        if started and adds_up(m):
            daily = self._by_target(group, self._rows(group, [m.name], group.start, group.last,
                                                      grain="day"))  # fmt: skip
            for t in group.targets:
                got = {r["period"]: float(r.get(m.name) or 0.0) for r in daily.get(t.id, [])}
                out[t.id].daily, out[t.id].achieved = got, sum(got.values())
            if m.measure is not None and m.measure.agg is Agg.COUNT_DISTINCT:  # days overlap
                for tid, value in self._one(group, m.name, group.start, group.last).items():
                    out[tid].achieved = value or 0.0
        elif started:
            for tid, value in self._one(group, m.name, group.start, group.last).items():
                out[tid].achieved = value
        elif adds_up(m):
            for tid in out:
                out[tid].achieved = 0.0
        if adds_up(m) and m.unit is Unit.MONEY:
            for tid, value in self._one(group, "pipeline_due", group.start, group.end).items():
                out[tid].open_pipeline = value or 0.0
            if m.source == "deals":
                weighted = self._one(group, "pipeline_due", group.start, group.end,
                                     variants={"weighting": "weighted"})  # fmt: skip
                for tid, value in weighted.items():
                    out[tid].pipeline = value or 0.0
        if adds_up(m) and (m.unit is Unit.MONEY or m.name == "deals_won"):
            self._with_history(group, out)
        return out

    def _with_history(self, group: _Group, out: dict[int, Measured]) -> None:
        dims = self._dims(group)
        key = (group.level, self._view(group).key(), tuple(dims))
        if key not in self._history:
            start = self.as_of - timedelta(days=HISTORY_DAYS - 1)
            try:
                rows = self._rows(group, ["avg_deal_size", "win_rate"], start, self.as_of)
            except QueryError:  # a workspace without deals
                rows = []
            self._history[key] = {str(r.get(dims[0])) if dims else "": r for r in rows}
        found = self._history[key]
        for t in group.targets:
            row = found.get(_label(t) if dims else "", {})
            out[t.id].average_deal = row.get("avg_deal_size")
            out[t.id].win_rate = row.get("win_rate")


def _label(t: TargetRow) -> str:
    return t.scope_name or ""


def _first(rows: list[dict[str, Any]] | None, metric: str) -> float | None:
    if not rows:
        return None
    value = rows[0].get(metric)
    return None if value is None else float(value)
