"""Whether targets add up: a team's target against the sum of its reps' targets, the company's
against the sum of its teams' (or, with no team targets, of every rep's), per metric and
period. A difference of more than half a percent is a mismatch. Levels (rates, scores) do not
add up and are not compared."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from salesmetrics.domain.access import Principal
from salesmetrics.domain.enums import TargetScope
from salesmetrics.services.targets.plan import adds_up
from salesmetrics.services.targets.status import list_targets
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories.targets import TargetRow

TOLERANCE = 0.005


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A target whose parts add up to something else."""

    metric: str
    start: date
    end: date
    level: str  # "team" or "company"
    name: str | None  # the team's name; None for the company
    target: float
    parts: float  # the sum of the parts' targets
    count: int  # how many parts
    of: str  # "reps" or "teams"

    @property
    def difference(self) -> float:
        return self.parts - self.target

    def as_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "period_start": self.start.isoformat(),
                "period_end": self.end.isoformat(), "level": self.level, "for": self.name,
                "target": self.target, "parts": self.parts, "parts_are": self.of,
                "count": self.count, "difference": self.difference}  # fmt: skip


def _off(target: float, parts: float) -> bool:
    return abs(parts - target) > TOLERANCE * max(abs(target), 1e-9)


def compare(rows: Sequence[TargetRow]) -> list[Mismatch]:
    """The mismatches among targets of the same metric and period."""
    groups: dict[tuple[str, date, date], list[TargetRow]] = defaultdict(list)
    for t in rows:
        groups[(t.metric, t.start, t.end)].append(t)
    out = []
    for (metric, start, end), same in groups.items():
        teams = [t for t in same if t.scope == TargetScope.TEAM]
        reps = [t for t in same if t.scope == TargetScope.REP]
        for team in teams:
            mine = [r for r in reps if r.team_id == team.scope_id]
            parts = sum(r.value for r in mine)
            if mine and _off(team.value, parts):
                out.append(Mismatch(metric, start, end, "team", team.scope_name, team.value,
                                    parts, len(mine), "reps"))  # fmt: skip
        for company in (t for t in same if t.scope == TargetScope.COMPANY):
            below, of = (teams, "teams") if teams else (reps, "reps")
            parts = sum(t.value for t in below)
            if below and _off(company.value, parts):
                out.append(Mismatch(metric, start, end, "company", None, company.value, parts,
                                    len(below), of))  # fmt: skip
    return out


def mismatches(ws: Workspace, who: Principal, start: date, end: date,
               metric: str | None = None) -> list[Mismatch]:  # fmt: skip
    """The mismatches among the targets `who` sees in start..end (metrics that add up)."""
    names = set(ws.metrics.catalog.names(include_hidden=True))
    rows = [t for t in list_targets(ws, who, start, end, metric)
            if t.metric in names and adds_up(ws.metrics.catalog.get(t.metric))]  # fmt: skip
    return compare(rows)
