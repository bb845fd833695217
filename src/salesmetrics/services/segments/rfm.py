"""RFM segments as people read them: every customer in view scored on recency, frequency and
money (quintiles by default), named by the segment table, with each segment's size and revenue,
the R x FM grid for the heat map, and who moved between segments since the end of last month.

Frequency is distinct purchase days (several orders on one day are one visit), money the total
spend in the base currency, recency the days since the last purchase day up to the as-of day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from salesmetrics.analytics.segments.rfm import Assignment, assign, summary, transitions
from salesmetrics.analytics.segments.table import SegmentTable, SegmentTableError
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import ConfigError, InputError
from salesmetrics.services.segments.behaviour import Behaviour, read
from salesmetrics.services.workspace import Workspace

DEFAULT_K = 5


def builtin_table_text() -> str:
    return (resources.files("salesmetrics.services.segments") / "rfm.yaml").read_text("utf-8")


@cache
def builtin_table() -> SegmentTable:
    return table_of(builtin_table_text())


def table_of(text: str) -> SegmentTable:
    """A segment table from its YAML, or a ConfigError that names each fault."""
    try:
        return SegmentTable.from_dict(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise ConfigError(f"RFM segment table: not valid YAML: {exc}") from exc
    except SegmentTableError as exc:
        raise ConfigError(f"RFM segment table: {exc}") from exc


def scored(b: Behaviour, k: int = DEFAULT_K, table: SegmentTable | None = None) -> Assignment:
    """The RFM scores and segment of every customer in `b`."""
    if not 3 <= k <= 10:
        raise InputError(f"RFM scores are on 3 to 10 steps, not {k}")
    return assign(b.recency_days(), b.days, np.rint(b.monetary).astype(np.int64),
                  table or builtin_table(), k)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SegmentRow:
    code: str
    label: str
    description: str
    customers: int
    share: float
    revenue_minor: int
    mean_recency_days: float | None
    mean_purchases: float | None
    mean_spend_minor: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.code, "label": self.label, "description": self.description,
            "customers": self.customers, "share": round(self.share, 4),
            "revenue_minor": self.revenue_minor,
            "mean_recency_days": _r(self.mean_recency_days, 1),
            "mean_purchases": _r(self.mean_purchases, 2),
            "mean_spend_minor": _r(self.mean_spend_minor, 0),
        }  # fmt: skip


def _r(v: float | None, digits: int) -> float | None:
    return None if v is None else round(v, digits)


@dataclass(frozen=True, slots=True)
class RfmReport:
    as_of: date
    k: int
    customers: int
    currency: str
    segments: list[SegmentRow]
    grid: list[list[int]]  # [fm - 1][r - 1]: customers in each cell of the table's grid
    grid_segment: list[list[str]]  # the segment each cell belongs to
    moved_from: date | None  # the snapshot transitions are counted from (end of last month)
    transitions: dict[str, dict[str, int]]  # before -> after -> customers (incl. "none")
    unconverted_orders: int
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    segment_of: np.ndarray = field(default_factory=lambda: np.zeros(0, str), repr=False)

    def members(self, code: str) -> np.ndarray:
        """The ids of the customers in segment `code`."""
        found: np.ndarray = self.ids[self.segment_of == code]
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "k": self.k, "customers": self.customers,
            "currency": self.currency, "segments": [s.as_dict() for s in self.segments],
            "grid": {"rows": "fm 1..5", "columns": "r 1..5", "customers": self.grid,
                     "segment": self.grid_segment},
            "transitions": {"from": self.moved_from.isoformat() if self.moved_from else None,
                            "to": self.as_of.isoformat(), "customers": self.transitions},
            "unconverted_orders": self.unconverted_orders,
        }  # fmt: skip


def month_before(as_of: date) -> date:
    """The last day of the month before `as_of`'s month."""
    return as_of.replace(day=1) - timedelta(days=1)


def rfm(ws: Workspace, who: Principal, as_of: date, *, k: int = DEFAULT_K,
        lang: str = "en") -> RfmReport:  # fmt: skip
    """The RFM segments of the customers in `who`'s view as of the end of `as_of`."""
    table = builtin_table()
    now = read(ws, who, as_of, categories=False)
    a = scored(now, k, table)
    before = month_before(as_of)
    then = read(ws, who, before, categories=False)
    moved = None
    if then.n:
        b = scored(then, k, table)
        moved = transitions(dict(zip(then.ids.tolist(), b.segment.tolist(), strict=True)),
                            dict(zip(now.ids.tolist(), a.segment.tolist(), strict=True)),
                            table.names)  # fmt: skip
    rows = []
    for s in summary(a):
        rule = table.rule(s.name)
        rows.append(SegmentRow(
            s.name, say(rule.label, lang, s.name), say(rule.description, lang, ""),
            s.customers, s.share, s.revenue, s.mean_recency, s.mean_frequency, s.mean_monetary,
        ))  # fmt: skip
    scale = table.scale
    grid = np.zeros((scale, scale), np.int64)
    np.add.at(grid, (a.cell_fm - 1, a.cell_r - 1), 1)
    cells = table.lookup(*np.meshgrid(np.arange(1, scale + 1), np.arange(1, scale + 1)))
    names = np.asarray(table.names)[cells]
    return RfmReport(
        as_of, k, now.n, ws.settings.base_currency, rows, grid.tolist(), names.tolist(),
        before if moved is not None else None,
        {} if moved is None else {
            src: {dst: int(moved.counts[i, j]) for j, dst in enumerate(moved.labels)
                  if moved.counts[i, j]}
            for i, src in enumerate(moved.labels)},
        now.unconverted, now.ids, a.segment,
    )  # fmt: skip


def say(texts: Any, lang: str, fallback: str) -> str:
    """A label or description of the segment table in `lang` (else English, else `fallback`)."""
    if not texts:
        return fallback
    return str(texts.get(lang) or texts.get("en") or fallback)
