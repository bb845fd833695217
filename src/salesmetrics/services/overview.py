"""The Overview: headline KPI cards against the previous period, a revenue trend, top reps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from salesmetrics.domain.periods import DateRange, add_months
from salesmetrics.services.workspace import Workspace

HEADLINE = (
    "revenue", "orders", "aov", "new_customers", "win_rate", "avg_deal_size",
    "lead_conversion_rate", "sales_cycle_days", "pipeline_value", "cac", "nps", "csat",
)  # fmt: skip
TREND_MONTHS = 24


@dataclass(frozen=True)
class Card:
    """One KPI: this period's value, the previous one, the change and whether it is noise."""

    name: str
    label: dict[str, str]
    unit: str
    direction: str
    value: float | None
    previous: float | None
    delta: float | None
    delta_pct: float | None
    low: float | None
    high: float | None
    significant: bool | None

    @property
    def better(self) -> bool | None:
        """Whether the change is good news (higher for 'higher is better' metrics)."""
        if self.delta is None or self.delta == 0:
            return None
        return (self.delta > 0) == (self.direction == "higher")


@dataclass(frozen=True)
class Overview:
    period: DateRange
    comparison: DateRange | None
    currency: str
    cards: list[Card]
    trend: list[tuple[date, float | None]]
    by_rep: list[tuple[str | None, float | None]]
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": str(self.period),
            "comparison_period": str(self.comparison) if self.comparison else None,
            "currency": self.currency,
            "cards": [{**c.__dict__, "better": c.better} for c in self.cards],
            "trend": [{"period": p.isoformat(), "revenue": v} for p, v in self.trend],
            "revenue_by_rep": [{"rep": r, "revenue": v} for r, v in self.by_rep],
            "seconds": round(self.seconds, 4),
            "warnings": self.warnings,
        }


def overview(ws: Workspace, as_of: date | None = None) -> Overview:
    """This month to date against the same days of last month, and the last 24 months."""
    metrics = ws.metrics
    day = as_of or metrics.today()
    head = metrics.query(list(HEADLINE), period="this_month", compare="previous", as_of=day)
    row = head.rows()[0]
    cards = [
        Card(
            m.name,
            m.label,
            m.unit,
            m.direction,
            row[m.name],
            row[f"{m.name}__previous"],
            row[f"{m.name}__delta"],
            row[f"{m.name}__delta_pct"],
            row.get(f"{m.name}__low"),
            row.get(f"{m.name}__high"),
            row[f"{m.name}__significant"],
        )
        for m in head.metrics
    ]
    first = add_months(day.replace(day=1), -(TREND_MONTHS - 1))
    trend = metrics.query(["revenue"], period=f"{first}..{day}", grain="month", as_of=day)
    reps = metrics.query(["revenue"], period="this_month", by=["rep"], as_of=day)
    ranked = sorted(reps.rows(), key=lambda r: -(r["revenue"] or 0))
    r = head.request
    return Overview(
        period=r.range, comparison=r.comparison, currency=ws.settings.base_currency,
        cards=cards, trend=[(x["period"], x["revenue"]) for x in trend.rows()],
        by_rep=[(x["rep"], x["revenue"]) for x in ranked],
        seconds=head.seconds + trend.seconds + reps.seconds,
        warnings=head.warnings + trend.warnings + reps.warnings,
    )  # fmt: skip
