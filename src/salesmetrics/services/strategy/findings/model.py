"""A finding: what was found, how strongly, in plain words (uk or en), the numbers behind it,
where to see its chart and how it is computed, and what to do about it; and the reading every
rule starts from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from salesmetrics.domain.access import Principal
from salesmetrics.domain.periods import DateRange
from salesmetrics.services.workspace import Workspace

HIGH, MEDIUM = 70.0, 45.0  # score limits of the severities


@dataclass(frozen=True, slots=True)
class Spark:
    """A small series for the card: values by period and the usual range around them."""

    x: tuple[str, ...]
    y: tuple[float | None, ...]
    low: tuple[float | None, ...] = ()
    high: tuple[float | None, ...] = ()
    unit: str = "count"

    def as_dict(self) -> dict[str, Any]:
        return {"x": list(self.x), "y": list(self.y), "low": list(self.low),
                "high": list(self.high), "unit": self.unit}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Finding:
    """One ranked finding."""

    kind: str  # the rule family: bottleneck, channel_cac, product_problem, kpi_unusual ...
    key: str  # which occurrence: the same fact keeps its key from one reading to the next
    score: float  # 0-100: the strength of the evidence times how much it matters; ranks the list
    title: str
    text: str
    action: str
    numbers: dict[str, Any]
    chart_url: str
    explain_url: str
    metric: str | None = None
    rep_id: int | None = None  # the rep it is about, if one
    spark: Spark | None = None

    @property
    def severity(self) -> str:
        return "high" if self.score >= HIGH else "medium" if self.score >= MEDIUM else "low"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "score": round(self.score, 1),
                "severity": self.severity, "title": self.title, "text": self.text,
                "action": self.action, "numbers": self.numbers, "chart_url": self.chart_url,
                "explain_url": self.explain_url, "metric": self.metric, "rep_id": self.rep_id,
                "spark": None if self.spark is None else self.spark.as_dict()}  # fmt: skip


@dataclass(frozen=True)
class Reading:
    """What every rule reads from: the workspace, who asks, in which language, the month looked
    at and the day it is read on."""

    ws: Workspace
    who: Principal
    lang: str
    month: DateRange  # the month whose KPIs are tested and where recent windows end
    as_of: date
    currency: str
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether the month was over on the day read."""
        return self.month.end < self.as_of


def score(base: float, span: float, strength: float) -> float:
    """base + span x strength, the strength clipped to 0..1."""
    return base + span * min(1.0, max(0.0, strength))


def explorer(r: Reading, metric: str, *, period: str, grain: str = "month",
             by: str = "") -> str:  # fmt: skip
    """The KPI explorer's URL for a metric (web/explorer.py reads these parameters)."""
    q = {"metric": metric, "period": period, "grain": grain, "by": by, "lang": r.lang}
    return "/explore?" + urlencode({k: v for k, v in q.items() if v})


def explain(r: Reading, metric: str, *, period: str, grain: str = "month", by: str = "") -> str:
    """Where a metric's definition and SQL are shown: the explorer's "how is this computed"."""
    return explorer(r, metric, period=period, grain=grain, by=by) + "#explain"


def span(rng: DateRange) -> str:
    return f"{rng.start}..{rng.end}"
