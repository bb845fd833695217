"""The funnel of the deals made in a period, the observed stage-to-won rates beside the
configured probabilities, time in each stage, and the sales cycle by month.

How a deal counts (docs/pipeline.md): once per open stage up to the furthest it reached, so a
skipped stage counts as passed and a re-entered one once; a won deal reached every open stage;
a deal with no stage history reached its current stage (the first, if it is closed). A step's
conversion is over the deals that have left the stage (moved on or lost), not those still in it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from salesmetrics.metrics.stats import wilson
from salesmetrics.services.pipeline.common import Ask
from salesmetrics.storage.repositories import deal_flow as flow
from salesmetrics.storage.repositories import team as team_repo
from salesmetrics.storage.repositories.deal_flow import ReachRow, StageRow

GROUPS = ("rep", "team", "channel", "month")
SHRINK = 10  # pseudo-deals at the configured probability in a suggested recalibration


def rate(k: int, n: int) -> dict[str, Any]:
    """A rate with its 95 % Wilson interval (None without data)."""
    ci = wilson(k, n)
    return {"value": k / n if n else None, "low": ci[0] if ci else None,
            "high": ci[1] if ci else None, "of": n}  # fmt: skip


@dataclass
class Tally:
    """Deals of one group by the index of the furthest open stage they reached."""

    stages: int
    reached: list[int] = field(default_factory=list)
    reached_value: list[int] = field(default_factory=list)
    still: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    lost_value: list[int] = field(default_factory=list)
    won: int = 0
    won_value: int = 0

    def __post_init__(self) -> None:
        for name in ("reached", "reached_value", "still", "lost", "lost_value"):
            setattr(self, name, [0] * self.stages)

    def add(self, furthest: int, status: str, deals: int, amount: int) -> None:
        top = self.stages - 1 if status == "won" else furthest
        for i in range(top + 1):
            self.reached[i] += deals
            self.reached_value[i] += amount
        if status == "won":
            self.won += deals
            self.won_value += amount
        elif status == "lost":
            self.lost[furthest] += deals
            self.lost_value[furthest] += amount
        else:
            self.still[furthest] += deals


def _index(positions: Sequence[int], furthest: int) -> int:
    """The open stage index of a position (-1, no open stage on record: the first)."""
    if furthest < 0:
        return 0
    return max(0, bisect.bisect_right(positions, furthest) - 1)


def tally(rows: Iterable[ReachRow], open_stages: Sequence[StageRow],
          key: Any = lambda r: r.key) -> dict[Any, Tally]:  # fmt: skip
    positions = [s.position for s in open_stages]
    out: dict[Any, Tally] = {}
    for r in rows:
        t = out.setdefault(key(r), Tally(len(positions)))
        t.add(_index(positions, r.furthest), r.status, r.deals, r.amount_minor)
    return out


def funnel_steps(t: Tally, open_stages: Sequence[StageRow]) -> list[dict[str, Any]]:
    """Per open stage, then Won: reached, step and cumulative conversion, drop-off."""
    out = []
    first = t.reached[0] if t.stages else 0
    for i, s in enumerate(open_stages):
        moved = t.reached[i + 1] if i + 1 < t.stages else t.won
        left = t.reached[i] - t.still[i]
        out.append({
            "stage_id": s.id, "stage": s.name, "reached": t.reached[i],
            "value_minor": t.reached_value[i], "still_there": t.still[i],
            "step": rate(moved, left), "cumulative": rate(t.reached[i], first),
            "dropped": t.lost[i], "dropped_value_minor": t.lost_value[i],
        })  # fmt: skip
    decided = t.won + sum(t.lost)
    out.append({"stage_id": None, "stage": "won", "reached": t.won,
                "value_minor": t.won_value, "still_there": 0, "step": None,
                "cumulative": rate(t.won, first), "win_rate": rate(t.won, decided),
                "dropped": 0, "dropped_value_minor": 0})  # fmt: skip
    return out


def observed_rates(t: Tally, open_stages: Sequence[StageRow]) -> list[dict[str, Any]]:
    """Per open stage: of the decided deals that reached it, the share won, beside the
    configured probability, and a suggestion where the configured one is outside the
    interval (the observed rate pulled a little towards the configured, rounded to 5 %)."""
    out = []
    for i, s in enumerate(open_stages):
        n = t.reached[i] - t.still[i] - sum(t.still[i + 1 :])  # decided: won or lost
        r = rate(t.won, n)
        suggest = None
        if r["low"] is not None and not r["low"] <= s.probability <= r["high"]:
            pulled = (t.won + SHRINK * s.probability) / (n + SHRINK)
            suggest = round(round(pulled * 20) / 20, 2)
        out.append({"stage_id": s.id, "stage": s.name, "configured": s.probability,
                    "observed": r, "suggested": suggest})  # fmt: skip
    return out


def _labels(a: Ask, group: str) -> tuple[Any, dict[Any, str]]:
    if group in ("rep", "team"):
        reps = team_repo.reps(a.ws.store)
        if group == "rep":
            return (lambda r: r.key), {r.id: r.name for r in reps}
        team_of = {r.id: r.team_id for r in reps}
        names = {r.team_id: r.team or "" for r in reps if r.team_id is not None}
        return (lambda r: team_of.get(r.key)), names
    if group == "channel":
        return (lambda r: r.key), flow.channel_names(a.ws.store)
    return (lambda r: r.key), {}


def funnel(a: Ask, by: str | None = None) -> dict[str, Any]:
    """The funnel of deals created in the period, overall and by `by`."""
    open_stages = a.open_stages
    db_group = "rep" if by == "team" else by
    rows = flow.reach(a.ws.store, a.deals, by_time="created_at", start=a.start, end=a.end,
                      group=db_group, time_zone=str(a.zone))  # fmt: skip
    total = tally(rows, open_stages, key=lambda r: None).get(None, Tally(len(open_stages)))
    out: dict[str, Any] = {**a.about(), "deals": total.reached[0] if open_stages else 0,
                           "steps": funnel_steps(total, open_stages)}  # fmt: skip
    if by:
        key, names = _labels(a, by)
        groups = tally(rows, open_stages, key=key)
        out["by"] = by
        out["groups"] = [
            {"key": k.isoformat() if isinstance(k, date) else k,
             "label": k.isoformat() if isinstance(k, date) else names.get(k, "—"),
             "deals": g.reached[0], "steps": funnel_steps(g, open_stages)}
            for k, g in sorted(groups.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
        ]  # fmt: skip
    return out


def probabilities(a: Ask, days: int = 365) -> dict[str, Any]:
    """Observed stage-to-won rates of the deals closed in the last `days` days."""
    start = a.instant(a.today - timedelta(days=days - 1))
    rows = flow.reach(a.ws.store, a.deals, by_time="closed_at", start=start, end=a.now)
    t = tally(rows, a.open_stages, key=lambda r: None).get(None, Tally(len(a.open_stages)))
    return {**a.about(), "closed_since": start.date(),
            "stages": observed_rates(t, a.open_stages)}  # fmt: skip


def observed_map(a: Ask, days: int = 365, before: Any = None) -> dict[int, float]:
    """Stage id -> observed stage-to-won rate (stages with decided deals only); `before`: an
    instant, to use only deals decided before it."""
    end = before or a.now
    start = end - timedelta(days=days)
    rows = flow.reach(a.ws.store, a.deals, by_time="closed_at", start=start, end=end)
    t = tally(rows, a.open_stages, key=lambda r: None).get(None, Tally(len(a.open_stages)))
    return {
        r["stage_id"]: r["observed"]["value"]
        for r in observed_rates(t, a.open_stages)
        if r["observed"]["value"] is not None
    }


def _slope(points: Sequence[tuple[float, float]]) -> float | None:
    if len(points) < 3:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else None


def times(a: Ask) -> dict[str, Any]:
    """Days in each stage (deals that left it in the period) and the won cycle by month."""
    found = {t.stage_id: t for t in flow.stage_times(a.ws.store, a.deals, a.start, a.end)}
    stages = []
    for s in a.open_stages:
        t = found.get(s.id)
        stages.append({"stage_id": s.id, "stage": s.name, "rotting_days": s.rotting_days,
                       "deals": t.deals if t else 0, "mean": t.mean if t else None,
                       "median": t.median if t else None, "p90": t.p90 if t else None})  # fmt: skip
    months = flow.won_cycle_by_month(a.ws.store, a.deals, a.start, a.end, str(a.zone))
    trend = _slope([(i, m.median) for i, m in enumerate(months) if m.deals >= 5])
    return {**a.about(), "stages": stages,
            "cycle": [{"month": m.month, "deals": m.deals, "mean": m.mean, "median": m.median}
                      for m in months],
            "cycle_trend_days_per_month": trend}  # fmt: skip


def report(a: Ask, by: str | None = None) -> dict[str, Any]:
    """Funnel, time in stage and observed probabilities together (the CLI's and page's)."""
    out = funnel(a, by)
    out["time_in_stage"] = times(a)
    out["probabilities"] = probabilities(a)["stages"]
    return out
