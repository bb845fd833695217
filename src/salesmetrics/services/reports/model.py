"""What a report is, whatever it is written as: sections, each with a title, a short text, typed
tables and at most one chart. The writers (xlsx.py, pdf.py) only lay these out; every number in
them is one a service computed, in its stored unit (money in minor units, rates as fractions)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from salesmetrics.domain.periods import DateRange


class Kind(enum.StrEnum):
    """A column's type: how a cell is stored, formatted and written."""

    MONEY = "money"  # int, minor units of the report's currency
    PERCENT = "percent"  # float fraction: 0.25 is 25 %
    COUNT = "count"  # int
    NUMBER = "number"  # float shown with one decimal (days, scores, ratios)
    DATE = "date"  # datetime.date
    MONTH = "month"  # datetime.date, the first of the month
    TEXT = "text"
    VALUE = "value"  # numeric, in the kind the row names (Table.row_kinds)


Cell = int | float | str | date | None

NUMERIC = frozenset({Kind.MONEY, Kind.PERCENT, Kind.COUNT, Kind.NUMBER, Kind.VALUE})


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    kind: Kind
    printed: bool = True  # False: in the spreadsheet only (e.g. a metric's id)


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of cells under typed columns; a VALUE column takes each row's kind."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    row_kinds: tuple[Kind, ...] = ()

    def kind(self, row: int, col: int) -> Kind:
        """The kind of one cell (a VALUE column's cell has its row's kind)."""
        k = self.columns[col].kind
        if k is Kind.VALUE:
            return self.row_kinds[row] if row < len(self.row_kinds) else Kind.NUMBER
        return k

    def column(self, key: str) -> list[Cell]:
        """One column's cells, by key (tests and the digest read figures this way)."""
        i = next(n for n, c in enumerate(self.columns) if c.key == key)
        return [r[i] for r in self.rows]


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A line or bar chart: x labels, one or more series of numbers in one kind."""

    kind: str  # "line" or "bar"
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    unit: Kind = Kind.NUMBER


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    text: str
    tables: tuple[Table, ...] = ()
    chart: Chart | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    workspace: str
    period: DateRange
    comparison: DateRange | None
    scope: str  # company, team:<name> or rep:<name>
    scope_label: str  # in the report's language
    scope_slug: str  # company, team-3, rep-12 (for file names)
    viewer: str  # whose view it is (an e-mail, or the workspace's owner)
    lang: str
    currency: str
    generated_at: datetime
    sections: tuple[Section, ...] = field(default_factory=tuple)
    skipped: tuple[str, ...] = ()  # sections that could not be built, with why

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def as_dict(self) -> dict[str, Any]:
        """The report's outline (for --format json previews and logs)."""
        return {
            "title": self.title, "period": str(self.period),
            "comparison_period": str(self.comparison) if self.comparison else None,
            "scope": self.scope, "lang": self.lang, "currency": self.currency,
            "generated_at": self.generated_at.isoformat(),
            "sections": [{"key": s.key, "title": s.title, "tables": len(s.tables),
                          "chart": s.chart is not None} for s in self.sections],
            "skipped": list(self.skipped),
        }  # fmt: skip
