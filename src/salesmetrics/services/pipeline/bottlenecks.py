"""Bottlenecks: stages where deals wait longer or convert worse than they should, with the
evidence for each.

Three references, over the last RECENT + BASE days (docs/pipeline.md):
- the other open stages of the pipeline (time only): where deals queue;
- the stage's own history: the last RECENT days against the BASE days before;
- the other reps, and the other teams, in view: each against the rest.

Time is compared as the ratio of typical times (geometric means of 1 + days, Welch interval on
the log scale); conversion as the difference of the share of deals that left the stage forward
(Newcombe's interval). Intervals are at 95 % with a Bonferroni correction for the number of
comparisons made. A finding needs MIN_DEALS on each side and must be at least MIN_EFFECT worse
at the near end of its interval; findings are ranked by that near end, "at least x % worse".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from salesmetrics.metrics.stats import log_mean_ratio, rate_difference, z_for
from salesmetrics.services.pipeline.common import Ask
from salesmetrics.services.pipeline.funnel import Tally, tally
from salesmetrics.storage.repositories import deal_flow as flow
from salesmetrics.storage.repositories import team as team_repo

RECENT_DAYS = 90
BASE_DAYS = 365
MIN_DEALS = 20
MIN_EFFECT = 0.10
Sums = tuple[int, float, float]  # n, sum y, sum y^2 of y = ln(1 + days)


def _add(a: Sums, b: Sums) -> Sums:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def _typical(s: Sums) -> float:
    return math.exp(s[1] / s[0]) - 1 if s[0] else math.nan


@dataclass
class Test:
    """One comparison waiting for its interval."""

    kind: str  # time or conversion
    against: str  # stages, history, rep, team
    stage: flow.StageRow
    who: str | None
    group: Any  # Sums or (moved, left)
    ref: Any


def _time_tests(a: Ask, rows: list[flow.LogTimes], team_of: dict[int, int | None],
                names: dict[str, dict[Any, str]]) -> list[Test]:  # fmt: skip
    zero: Sums = (0, 0.0, 0.0)
    by_stage: dict[int, Sums] = defaultdict(lambda: zero)
    by_window: dict[tuple[int, bool], Sums] = defaultdict(lambda: zero)
    by_rep: dict[tuple[int, int | None], Sums] = defaultdict(lambda: zero)
    for r in rows:
        s = (r.n, r.s1, r.s2)
        by_stage[r.stage_id] = _add(by_stage[r.stage_id], s)
        by_window[r.stage_id, r.recent] = _add(by_window[r.stage_id, r.recent], s)
        by_rep[r.stage_id, r.rep_id] = _add(by_rep[r.stage_id, r.rep_id], s)
    tests = []
    for st in a.open_stages:
        others = zero
        for o in a.open_stages:
            if o.id != st.id:
                others = _add(others, by_stage[o.id])
        tests.append(Test("time", "stages", st, None, by_stage[st.id], others))
        tests.append(Test("time", "history", st, None, by_window[st.id, True],
                          by_window[st.id, False]))  # fmt: skip
        tests += _peer_tests("time", st, {k[1]: v for k, v in by_rep.items() if k[0] == st.id},
                             team_of, names, zero, _add)  # fmt: skip
    return tests


def _peer_tests(kind: str, st: flow.StageRow, per_rep: dict[int | None, Any],
                team_of: dict[int, int | None], names: dict[str, dict[Any, str]], zero: Any,
                add: Callable[[Any, Any], Any]) -> list[Test]:  # fmt: skip
    tests = []
    for level in ("rep", "team"):
        groups: dict[Any, Any] = defaultdict(lambda: zero)
        for rep, v in per_rep.items():
            if rep is None:
                continue
            k = rep if level == "rep" else team_of.get(rep)
            if k is not None:
                groups[k] = add(groups[k], v)
        if len(groups) < 2:
            continue
        total = zero
        for v in groups.values():
            total = add(total, v)
        for k, v in groups.items():
            rest = tuple(t - x for t, x in zip(total, v, strict=True))
            tests.append(Test(kind, level, st, names[level].get(k, str(k)), v, rest))
    return tests


def _conversion_tests(a: Ask, rows: list[flow.ReachRow], team_of: dict[int, int | None],
                      names: dict[str, dict[Any, str]]) -> list[Test]:  # fmt: skip
    def moved_left(t: Tally, i: int) -> tuple[int, int]:
        moved = t.reached[i + 1] if i + 1 < t.stages else t.won
        return moved, t.reached[i] - t.still[i]

    opened = a.open_stages
    whole = tally(rows, opened, key=lambda r: None)
    windows = tally(rows, opened, key=lambda r: r.recent)
    reps = tally(rows, opened, key=lambda r: r.key)
    tests = []
    for i, st in enumerate(opened):
        if None not in whole:
            break
        if True in windows and False in windows:
            tests.append(Test("conversion", "history", st, None, moved_left(windows[True], i),
                              moved_left(windows[False], i)))  # fmt: skip
        per_rep = {k: moved_left(t, i) for k, t in reps.items()}
        tests += _peer_tests("conversion", st, per_rep, team_of, names, (0, 0),
                             lambda x, y: (x[0] + y[0], x[1] + y[1]))  # fmt: skip
    return tests


def _judge(t: Test, z: float) -> dict[str, Any] | None:
    if t.kind == "time":
        if min(t.group[0], t.ref[0]) < MIN_DEALS:
            return None
        r = log_mean_ratio(t.group, t.ref, z)
        if r is None or r[1] - 1 < MIN_EFFECT:
            return None
        value, ref = _typical(t.group), _typical(t.ref)
        return {"effect": r[0], "low": r[1], "high": r[2], "severity": r[1] - 1,
                "value": value, "reference": ref, "deals": t.group[0],
                "reference_deals": t.ref[0]}  # fmt: skip
    (m1, n1), (m2, n2) = t.group, t.ref
    if min(n1, n2) < MIN_DEALS:
        return None
    d = rate_difference(m1, n1, m2, n2, z)
    if d is None or m2 == 0:
        return None
    severity = -d[2] / (m2 / n2)
    if severity < MIN_EFFECT:
        return None
    return {"effect": d[0], "low": d[1], "high": d[2], "severity": severity,
            "value": m1 / n1, "reference": m2 / n2, "deals": n1,
            "reference_deals": n2}  # fmt: skip


_AGAINST = {"stages": "the other stages", "history": "the {base} days before",
            "rep": "the other reps", "team": "the other teams"}  # fmt: skip


def _summary(t: Test, e: dict[str, Any]) -> str:
    who = f"{t.who}: " if t.who else ""
    ref = _AGAINST[t.against].format(base=BASE_DAYS)
    when = f"in the last {RECENT_DAYS} days " if t.against == "history" else ""
    if t.kind == "time":
        return (f"{who}deals wait {e['value']:.1f} days at {t.stage.name} {when}against "
                f"{e['reference']:.1f} at {ref}: {e['effect']:.1f}x "
                f"(at least {e['low']:.1f}x), {e['deals']} deals")  # fmt: skip
    return (f"{who}{e['value']:.0%} of deals move on from {t.stage.name} {when}against "
            f"{e['reference']:.0%} at {ref} ({e['effect'] * 100:+.0f} points, "
            f"{e['low'] * 100:+.0f} to {e['high'] * 100:+.0f}), {e['deals']} deals")  # fmt: skip


def _names(a: Ask) -> tuple[dict[int, int | None], dict[str, dict[Any, str]]]:
    reps = team_repo.reps(a.ws.store)
    team_of = {r.id: r.team_id for r in reps}
    teams = {r.team_id: r.team or "" for r in reps if r.team_id is not None}
    return team_of, {"rep": {r.id: r.name for r in reps}, "team": teams}


def bottlenecks(a: Ask, limit: int = 10) -> dict[str, Any]:
    """Ranked findings with their evidence."""
    end = a.now
    split = end - timedelta(days=RECENT_DAYS)
    start = split - timedelta(days=BASE_DAYS)
    team_of, names = _names(a)
    times = flow.stage_log_times(a.ws.store, a.deals, start, split, end)
    reached = flow.reach(a.ws.store, a.deals, by_time="closed_at", start=start, end=end,
                         group="rep", split=split)  # fmt: skip
    tests = _time_tests(a, times, team_of, names) + _conversion_tests(a, reached, team_of, names)
    z = z_for(0.95, len(tests))
    found = []
    for t in tests:
        e = _judge(t, z)
        if e is not None:
            found.append({"kind": t.kind, "against": t.against, "stage_id": t.stage.id,
                          "stage": t.stage.name, "who": t.who, **e,
                          "summary": _summary(t, e)})  # fmt: skip
    found.sort(key=lambda f: -f["severity"])
    return {**a.about(), "window": {"start": start, "split": split, "end": end},
            "comparisons": len(tests), "confidence": 0.95, "z": z,
            "findings": found[:limit], "more": max(0, len(found) - limit)}  # fmt: skip
