"""KPIs outside their usual range in the month looked at (analytics/strategy/anomaly.py), with
the team that moved most the same way.

Volumes (revenue, orders, new customers) are judged by their change from the same month a
year before (seasonal); rates and averages against the months before. A rate whose own 95 %
interval for the month still holds the expected value is within its noise and not reported.
Lead conversion is dated by the conversion (the `date=converted` variant): the leads of the
last weeks have not had time to convert, so by creation every recent month would look low.
Volumes are tested only on a month that is over.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from salesmetrics.analytics.strategy.anomaly import Unusual, check
from salesmetrics.domain.errors import QueryError
from salesmetrics.domain.periods import add_months
from salesmetrics.services.strategy.findings import texts as t
from salesmetrics.services.strategy.findings.model import (
    Finding,
    Reading,
    Spark,
    explain,
    explorer,
    score,
)

HISTORY_MONTHS = 24
SPARK_MONTHS = 13
PEER_MONTHS = 6  # a team's usual value: the median of its months before


@dataclass(frozen=True, slots=True)
class Kpi:
    name: str
    seasonal: bool
    variants: tuple[tuple[str, str], ...] = ()


KPIS = (
    Kpi("revenue", True), Kpi("orders", True), Kpi("new_customers", True), Kpi("aov", False),
    Kpi("win_rate", False), Kpi("avg_deal_size", False), Kpi("sales_cycle_days", False),
    Kpi("lead_conversion_rate", False, (("date", "converted"),)), Kpi("nps", False),
    Kpi("csat", False),
)  # fmt: skip


def _series(r: Reading, k: Kpi) -> tuple[list[Any], list[float | None], dict[str, Any]] | None:
    first = add_months(r.month.start, -HISTORY_MONTHS)
    try:
        res = r.ws.metrics.query([k.name], period=f"{first}..{r.month.end}", grain="month",
                                 variants=dict(k.variants), scope=r.who.scope,
                                 as_of=r.as_of)  # fmt: skip
    except QueryError:
        return None
    rows = sorted(res.rows(), key=lambda x: x["period"])
    if not rows or rows[-1]["period"] != r.month.start:
        return None
    values = [None if x[k.name] is None else float(x[k.name]) for x in rows]
    while values and not values[0]:  # months before the data began
        rows, values = rows[1:], values[1:]
    return [x["period"] for x in rows], values, rows[-1] if rows else {}


def _within_noise(u: Unusual, last: dict[str, Any], name: str) -> bool:
    low, high = last.get(f"{name}__low"), last.get(f"{name}__high")
    return low is not None and high is not None and low <= u.expected <= high


def unusual(r: Reading) -> list[Finding]:
    """One finding per KPI outside its usual range in the month."""
    names = set(r.ws.metrics.readable([k.name for k in KPIS], r.who.scope))
    out = []
    for k in KPIS:
        if k.name not in names or (k.seasonal and not r.complete):
            continue
        got = _series(r, k)
        if got is None:
            continue
        months, values, last = got
        u = check(values, season=12 if k.seasonal else None)
        if u is None or not u.outside or _within_noise(u, last, k.name):
            continue
        out.append(_finding(r, k, months, values, u))
    return out


def _finding(r: Reading, k: Kpi, months: list[Any], values: list[float | None],
             u: Unusual) -> Finding:  # fmt: skip
    m = r.ws.metrics.catalog.get(k.name)
    unit, label = m.unit.value, str(getattr(m.label, t.lang_of(r.lang), m.label.en))
    bad = (u.z < 0) == (m.direction.value == "higher")
    show = {"value": t.value(u.value, unit, r.currency, r.lang),
            "expected": t.value(u.expected, unit, r.currency, r.lang),
            "low": t.value(u.low, unit, r.currency, r.lang),
            "high": t.value(u.high, unit, r.currency, r.lang)}  # fmt: skip
    month = t.month(r.month.start, r.lang)
    how = t.say(r.lang, "kpi_how_seasonal") if u.method == "seasonal" else t.say(
        r.lang, "kpi_how_level", n=u.history)  # fmt: skip
    way = t.say(r.lang, "fell" if u.z < 0 else "rose")
    text = t.say(r.lang, "kpi_text", metric=label, way=way, month=month, z=t.num(u.z, r.lang),
                 how=how, **show) + _largest(r, k, unit, u.z < 0)  # fmt: skip
    act = t.say(r.lang, f"act_{k.name}" if bad else "act_good", month=month)
    period = f"{add_months(r.month.start, -(SPARK_MONTHS - 1))}..{r.month.end}"
    n = SPARK_MONTHS
    return Finding(
        "kpi_unusual", f"{k.name}:{r.month.start}",
        score(55 if bad else 35, 30, (abs(u.z) - u.limit) / u.limit),
        t.say(r.lang, "kpi_title", metric=label, way=way, value=show["value"], month=month),
        text, act,
        {"metric": k.name, "month": r.month.start.isoformat(), "value": u.value,
         "expected": u.expected, "low": u.low, "high": u.high, "z": round(u.z, 2),
         "method": u.method, "history": u.history, "unit": unit, "good_news": not bad},
        explorer(r, k.name, period=period, by="team"), explain(r, k.name, period=period), k.name,
        spark=Spark(tuple(d.isoformat() for d in months[-n:]), tuple(values[-n:]),
                    _clean(u.band_low[-n:]), _clean(u.band_high[-n:]), unit),
    )  # fmt: skip


def _clean(xs: tuple[float, ...]) -> tuple[float | None, ...]:
    return tuple(None if math.isnan(x) else x for x in xs)


def _largest(r: Reading, k: Kpi, unit: str, down: bool) -> str:
    """' Largest drop: Team B (42 % → 31 %).' — the team furthest from its own usual value."""
    first = add_months(r.month.start, -PEER_MONTHS)
    try:
        rows = r.ws.metrics.query([k.name], period=f"{first}..{r.month.end}", grain="month",
                                  by=["team"], variants=dict(k.variants), scope=r.who.scope,
                                  as_of=r.as_of).rows()  # fmt: skip
    except QueryError:
        return ""
    by: dict[str, dict[Any, float]] = {}
    for x in rows:
        if x["team"] is not None and x[k.name] is not None:
            by.setdefault(x["team"], {})[x["period"]] = float(x[k.name])
    moves = []
    for team, vals in by.items():
        now = vals.get(r.month.start)
        before = [v for p, v in vals.items() if p != r.month.start]
        if now is None or len(before) < 3 or len(by) < 2:
            continue
        usual = statistics.median(before)
        moves.append((now - usual if not down else usual - now, team, usual, now))
    if not moves:
        return ""
    gap, team, usual, now = max(moves)
    if gap <= 0:
        return ""
    return t.say(r.lang, "kpi_most", move=t.say(r.lang, "move_drop" if down else "move_rise"),
                 who=team, before=t.value(usual, unit, r.currency, r.lang),
                 after=t.value(now, unit, r.currency, r.lang))  # fmt: skip
