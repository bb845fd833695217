"""Rising and falling products and categories: each one's share of revenue by month, its
Theil-Sen trend over the last months net of the same months a year before
(analytics/strategy/trends.py). Only months that are over count."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from salesmetrics.analytics.strategy.trends import SEASON, WINDOW, Trend, moving
from salesmetrics.domain.errors import QueryError
from salesmetrics.domain.periods import add_months
from salesmetrics.services.strategy.findings import texts as t
from salesmetrics.services.strategy.findings.model import Finding, Reading, explain, explorer, score

DIMENSIONS = ("category", "product")
MAX_EACH = 2


def _shares(r: Reading, dim: str, first: date, months: list[date]) -> dict[str, list[float]]:
    rows = r.ws.metrics.query(["revenue"], period=f"{first}..{r.month.end}", grain="month",
                              by=[dim], scope=r.who.scope, as_of=r.as_of).rows()  # fmt: skip
    total: dict[date, float] = defaultdict(float)
    each: dict[str, dict[date, float]] = defaultdict(dict)
    for x in rows:
        v = float(x["revenue"] or 0)
        total[x["period"]] += v
        if x[dim] is not None:
            each[x[dim]][x["period"]] = v
    return {name: [v.get(m, 0.0) / total[m] if total[m] > 0 else float("nan") for m in months]
            for name, v in each.items()}  # fmt: skip


def moving_items(r: Reading) -> list[Finding]:
    if not r.complete or "revenue" not in r.ws.metrics.readable(["revenue"], r.who.scope):
        return []
    first = add_months(r.month.start, -(WINDOW + SEASON - 1))
    months = [add_months(first, i) for i in range(WINDOW + SEASON)]
    out = []
    for dim in DIMENSIONS:
        try:
            shares = _shares(r, dim, first, months)
        except QueryError:
            continue
        for tr in moving(shares)[:MAX_EACH]:
            out.append(_finding(r, dim, tr, months))
    return out


def _finding(r: Reading, dim: str, tr: Trend, months: list[date]) -> Finding:
    way = tr.direction or "rising"
    start, end = months[-WINDOW], months[-1]

    def pts(v: float) -> str:
        return t.num(v * 100, r.lang, 2)

    text = t.say(r.lang, "trend_text", kind=t.say(r.lang, f"trend_{dim}"), name=tr.name,
                 first=t.pct(tr.first, r.lang, 1), last=t.pct(tr.last, r.lang, 1),
                 start=t.month(start, r.lang), end=t.month(end, r.lang), slope=pts(tr.slope),
                 low=pts(tr.low), high=pts(tr.high),
                 season="" if tr.seasonal is None else t.say(r.lang, "trend_season"))  # fmt: skip
    period = f"{months[0]}..{r.month.end}"
    return Finding(
        "trend", f"{way}:{dim}:{tr.name}", score(30 if way == "falling" else 25, 25,
                                                 abs(tr.change)),
        t.say(r.lang, f"trend_title_{way}", name=tr.name), text,
        t.say(r.lang, f"trend_act_{way}", name=tr.name),
        {"dimension": dim, "name": tr.name, "direction": way, "slope": tr.slope,
         "low": tr.low, "high": tr.high, "share_first": tr.first, "share_last": tr.last,
         "mean_share": tr.level, "change": tr.change, "seasonal_slope": tr.seasonal,
         "months": WINDOW},
        explorer(r, "revenue", period=period, by=dim), explain(r, "revenue", period=period),
        "revenue",
    )  # fmt: skip
