"""What every section builder gets: the workspace, whose view (already narrowed to the report's
scope), the period, the language, and small helpers to turn metric results into cells."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from salesmetrics.domain.access import Principal
from salesmetrics.domain.periods import DateRange
from salesmetrics.metrics.result import MetricInfo
from salesmetrics.services.reports.model import Kind
from salesmetrics.services.reports.scope import ReportScope
from salesmetrics.services.reports.texts import say
from salesmetrics.services.workspace import Workspace

UNIT_KINDS = {
    "money": Kind.MONEY, "money_per_day": Kind.MONEY, "count": Kind.COUNT,
    "percent": Kind.PERCENT, "ratio": Kind.NUMBER, "days": Kind.NUMBER, "score": Kind.NUMBER,
}  # fmt: skip


def kind_of(unit: str) -> Kind:
    return UNIT_KINDS.get(unit, Kind.NUMBER)


@dataclass(frozen=True, slots=True)
class Context:
    ws: Workspace
    who: Principal  # the asker narrowed to the scope: every query runs with who.scope
    asker: Principal  # the asker as signed in (which targets they see)
    scope: ReportScope
    period: DateRange
    today: date
    lang: str
    currency: str

    @property
    def span(self) -> str:
        """The period as the metric engine's explicit range."""
        return str(self.period)

    @property
    def end(self) -> date:
        """The last day the report can see: the period's end, or today if sooner."""
        return min(self.period.end, self.today)

    def t(self, key: str, **values: object) -> str:
        return say(self.lang, key, **values)

    def label(self, m: MetricInfo) -> str:
        return m.label.get(self.lang) or m.label.get("en") or m.name
