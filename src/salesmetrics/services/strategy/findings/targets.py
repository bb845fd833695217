"""Targets far off pace (services/targets): once FROM of a target's working days have passed,
a target whose projection falls short by more than SHORT, even at the top of its 80 % range.
The reps' targets of one metric and period make one finding; a team's or the company's its own.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from salesmetrics.domain.enums import TargetScope
from salesmetrics.services.strategy.findings import texts as t
from salesmetrics.services.strategy.findings.model import Finding, Reading, explain, score
from salesmetrics.services.targets import status as targets
from salesmetrics.services.targets.status import TargetStatus

SHORT = 0.15  # projected at under 85 % of target
FROM = 0.3  # of the period's working days gone


def _far_off(s: TargetStatus) -> bool:
    p = s.pace
    if not p.additive or p.projected_attainment is None or not p.working_days:
        return False
    if p.elapsed_days / p.working_days < FROM or p.remaining_days == 0:
        return False
    top = p.projected_high if p.projected_high is not None else p.projected
    return p.projected_attainment < 1 - SHORT and top is not None and top < p.target


def off_pace(r: Reading) -> list[Finding]:
    groups: dict[tuple[Any, ...], list[TargetStatus]] = defaultdict(list)
    for s in targets.status(r.ws, r.who, r.as_of):
        if _far_off(s):
            tg = s.target
            who = tg.scope_id if tg.scope != TargetScope.REP else None
            groups[(tg.metric, tg.start, tg.end, tg.scope, who)].append(s)
    return [_finding(r, rows) for rows in groups.values()]


def _finding(r: Reading, rows: list[TargetStatus]) -> Finding:
    rows.sort(key=lambda s: s.pace.projected_attainment or 0.0)
    first = rows[0].target
    m = r.ws.metrics.catalog.get(first.metric)
    label = str(getattr(m.label, t.lang_of(r.lang), m.label.en))
    names = [s.target.scope_name or t.say(r.lang, "company") for s in rows]
    items = "; ".join(
        t.say(r.lang, "pace_item", who=n, projected=t.pct(s.pace.projected_attainment, r.lang))
        for n, s in zip(names, rows, strict=True)
    )
    gap = min(1 - (s.pace.projected_high or s.pace.projected or 0) / s.pace.target for s in rows)
    worst = 1 - (rows[0].pace.projected_attainment or 0)
    period = targets.period_name(first.start, first.end)
    title = (t.say(r.lang, "pace_title_reps", n=len(rows), metric=label,
                   reps=t.rep_word(len(rows), r.lang)) if len(rows) > 1
             else t.say(r.lang, "pace_title_one", who=names[0], metric=label))  # fmt: skip
    rep = first.scope_id if first.scope == TargetScope.REP and len(rows) == 1 else None
    return Finding(
        "target_pace", f"pace:{first.metric}:{first.start}:{first.scope}:{len(rows)}",
        score(40, 40, worst / 0.4), title,
        t.say(r.lang, "pace_text", period=period, list=items, gap=t.pct(gap, r.lang)),
        t.say(r.lang, "pace_act", who=", ".join(names[:3]), end=first.end.isoformat()),
        {"metric": first.metric, "period": period,
         "targets": [{"target_id": s.target.id, "scope": str(s.target.scope),
                      "who": n, "target": s.pace.target, "achieved": s.pace.achieved,
                      "projected": s.pace.projected, "projected_high": s.pace.projected_high,
                      "projected_attainment": s.pace.projected_attainment}
                     for n, s in zip(names, rows, strict=True)]},
        f"/targets?lang={r.lang}",
        explain(r, first.metric, period=f"{first.start}..{first.end}", grain=""), first.metric,
        rep_id=rep,
    )  # fmt: skip
