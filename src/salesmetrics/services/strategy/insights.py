"""Insights: a ranked list of plain-language findings, in uk or en, each with the numbers
behind it, a link to its chart and to how it is computed, and a suggested action.

Rule families (services/strategy/findings/, one module each; docs/insights.md):
- `bottleneck`: stages where deals wait longer or move on less (services/pipeline/bottlenecks);
- `channel_cac`: the channel with the lowest cost per new customer (the metric engine's cac);
- `product_problem`: a product customers rate far below the rest, with its detractors' theme;
- `kpi_unusual`: a main KPI outside its usual range in the month (analytics/strategy/anomaly);
- `target_pace`: targets projected to fall well short (services/targets);
- `stale_deals`: open deals gone quiet (services/pipeline/care);
- `trend`: products and categories gaining or losing share of revenue (analytics/strategy/trends).

Each finding's score (0-100) is a base for how much its family matters plus a part that grows
with the strength of its evidence (each rule says which number); the list is sorted by score.
Every reading is in the asker's view: a rep's findings come from their own records only, and
views narrowed to some reps get no channel finding (they cannot see marketing spend).
The whole list is computed once per workspace, data version, view, month, day and language.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import InputError
from salesmetrics.domain.periods import DateRange, add_months, parse_period
from salesmetrics.services.live import data_version
from salesmetrics.services.strategy.findings import channels, feedback, kpis, pipeline, products
from salesmetrics.services.strategy.findings import targets as pace
from salesmetrics.services.strategy.findings.model import Finding, Reading
from salesmetrics.services.strategy.findings.texts import lang_of
from salesmetrics.services.team import VersionedCache
from salesmetrics.services.workspace import Workspace

DEFAULT_PERIOD = "last_month"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


@dataclass(frozen=True)
class Insights:
    """The ranked findings of one reading."""

    as_of: date
    month: DateRange
    lang: str
    findings: list[Finding]
    total: int  # findings before the limit
    seconds: dict[str, float] = field(default_factory=dict)  # per rule family
    data_version: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(),
                "month": {"start": self.month.start.isoformat(),
                          "end": self.month.end.isoformat()},
                "lang": self.lang, "count": len(self.findings), "total": self.total,
                "data": [dict(f.as_dict(), rank=i + 1) for i, f in enumerate(self.findings)],
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
                "data_version": self.data_version}  # fmt: skip


Rule = Callable[[Reading], list[Finding]]


def _pipeline_rules(r: Reading) -> list[Finding]:
    a = pipeline.asked(r)
    return [] if a is None else pipeline.bottlenecks(r, a) + pipeline.stale(r, a)


RULES: dict[str, Rule] = {
    "pipeline": _pipeline_rules,
    "channels": channels.best_channel,
    "feedback": feedback.problems,
    "kpis": kpis.unusual,
    "targets": pace.off_pace,
    "trends": products.moving_items,
}


def month_of(ws: Workspace, period: str, as_of: date) -> DateRange:
    """The calendar month holding the end of `period` (seen from `as_of`)."""
    rng = parse_period(period, as_of, ws.settings.fiscal_year_start_month)
    start = rng.end.replace(day=1)
    return DateRange(start, add_months(start, 1) - timedelta(days=1))


def _compute(ws: Workspace, who: Principal, month: DateRange, as_of: date, lang: str,
             version: int) -> Insights:  # fmt: skip
    r = Reading(ws, who, lang, month, as_of, ws.settings.base_currency)
    found: list[Finding] = []
    seconds: dict[str, float] = {}
    for name, rule in RULES.items():
        began = time.perf_counter()
        found += rule(r)
        seconds[name] = time.perf_counter() - began
    found.sort(key=lambda f: (-f.score, f.kind, f.key))
    return Insights(as_of, month, lang, found, len(found), seconds, version)


_CACHE: VersionedCache[tuple[Any, ...], Insights] = VersionedCache(size=32)


def insights(ws: Workspace, who: Principal, *, period: str = DEFAULT_PERIOD,
             as_of: date | None = None, lang: str = "en", limit: int = DEFAULT_LIMIT,
             kinds: tuple[str, ...] = ()) -> Insights:  # fmt: skip
    """The findings in `who`'s view, best first: KPIs tested in the month holding the end of
    `period`, the pipeline, targets and feedback as of `as_of` (today); at most `limit`, of
    the `kinds` asked for (all by default)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit {limit}: use 1 to {MAX_LIMIT}")
    day = as_of or ws.metrics.today()
    month = month_of(ws, period, day)
    if month.start > day:
        raise InputError(f"period '{period}' starts after {day}: nothing to look at yet")
    lang = lang_of(lang)
    version = data_version(ws)
    key = (ws.store.url, version, who.scope.key(), who.rep_id, month.start, day, lang)
    whole = _CACHE.get(key, lambda: _compute(ws, who, month, day, lang, version))
    chosen = [f for f in whole.findings if not kinds or f.kind in kinds]
    return Insights(whole.as_of, whole.month, lang, chosen[:limit], len(chosen), whole.seconds,
                    version)  # fmt: skip
