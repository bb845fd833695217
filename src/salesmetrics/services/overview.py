"""The Overview: headline KPI cards against the previous period with a 12-month sparkline each,
a revenue trend, top reps and the channel mix.

Live pages ask for parts of it after every data change, often hundreds of clients at once, so
each part is computed once per data version (and once per thread group: whoever asks first
computes, the others wait and share the answer). What the current month shows (cards, reps,
channels, the newest bar of the trend) is always computed from the current data. Earlier months
(the trend's other bars, the sparklines) cost the most and change the least: they are kept until
the daily rollups are rebuilt (every import, revert and demo rebuilds them) or for at most
HISTORY_MAX_AGE seconds, so an event that changes an old order shows in old months within ten
minutes, and at once in this month's figures."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from salesmetrics.domain.access import Scope
from salesmetrics.domain.periods import DateRange, add_months
from salesmetrics.metrics.result import MetricResult
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import rollups as rollups_repo

HEADLINE = (
    "revenue", "orders", "aov", "new_customers", "win_rate", "avg_deal_size",
    "lead_conversion_rate", "sales_cycle_days", "pipeline_value", "cac", "nps", "csat",
)  # fmt: skip
CHANNEL_METRICS = ("revenue", "new_customers")
TREND_MONTHS = 24
SPARK_MONTHS = 12
HISTORY_MAX_AGE = 600.0

T = TypeVar("T")
log = logging.getLogger(__name__)


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
    spark: tuple[float | None, ...] = ()  # the last SPARK_MONTHS months, this one to date last

    @property
    def better(self) -> bool | None:
        """Whether the change is good news (higher for 'higher is better' metrics)."""
        if self.delta is None or self.delta == 0:
            return None
        return (self.delta > 0) == (self.direction == "higher")


@dataclass(frozen=True)
class ChannelRow:
    channel: str | None
    revenue: float | None
    new_customers: float | None
    share: float | None = None  # of this month's revenue


@dataclass(frozen=True)
class Head:
    """The current period's part: cards without sparklines, reps, channels."""

    period: DateRange
    comparison: DateRange | None
    cards: list[Card]
    seconds: float
    warnings: list[str]


@dataclass(frozen=True)
class History:
    """Whole months before the current one: revenue for the trend, every headline metric for
    the sparklines."""

    trend: list[tuple[date, float | None]]
    sparks: dict[str, list[float | None]]
    seconds: float
    warnings: list[str]
    version: int  # the rollups' build version it was computed at


@dataclass(frozen=True)
class Overview:
    period: DateRange
    comparison: DateRange | None
    currency: str
    cards: list[Card]
    trend: list[tuple[date, float | None]]
    by_rep: list[tuple[str | None, float | None]]
    channels: list[ChannelRow] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    version: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": str(self.period),
            "comparison_period": str(self.comparison) if self.comparison else None,
            "currency": self.currency,
            "cards": [
                {**c.__dict__, "spark": list(c.spark), "better": c.better} for c in self.cards
            ],
            "trend": [{"period": p.isoformat(), "revenue": v} for p, v in self.trend],
            "revenue_by_rep": [{"rep": r, "revenue": v} for r, v in self.by_rep],
            "channels": [c.__dict__ for c in self.channels],
            "seconds": round(self.seconds, 4),
            "warnings": self.warnings,
            "data_version": self.version,
        }


class _Memo(Generic[T]):
    """The value for the latest key, computed once however many threads ask at the same time.

    A value may also carry a `version`: when only the version (or the age) is out of date, the
    value is still served while one background thread computes its successor, so nobody waits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Hashable = None
        self._version: Hashable = None
        self._value: T | None = None
        self._at = 0.0
        self._renewing = False

    def get(
        self, key: Hashable, compute: Callable[[], T], *, version: Hashable = None,
        max_age: float | None = None,
    ) -> T:  # fmt: skip
        with self._lock:
            if self._value is not None and self._key == key:
                old = max_age is not None and time.monotonic() - self._at > max_age
                if self._version != version or old:
                    self._renew_later(key, version, compute)
                return self._value
            self._value, self._at = compute(), time.monotonic()
            self._key, self._version = key, version
            return self._value

    def _renew_later(self, key: Hashable, version: Hashable, compute: Callable[[], T]) -> None:
        if not self._renewing:
            self._renewing = True
            threading.Thread(target=self._renew, args=(key, version, compute), daemon=True).start()

    def _renew(self, key: Hashable, version: Hashable, compute: Callable[[], T]) -> None:
        try:
            value: T | None = compute()
        except Exception:  # e.g. the workspace closed meanwhile; the next request tries again
            log.warning("overview: cannot recompute earlier months", exc_info=True)
            value = None
        with self._lock:
            if value is not None and self._key == key:
                self._value, self._version, self._at = value, version, time.monotonic()
            self._renewing = False


@dataclass
class _Memos:
    head: _Memo[Head] = field(default_factory=_Memo)
    reps: _Memo[list[tuple[str | None, float | None]]] = field(default_factory=_Memo)
    channels: _Memo[list[ChannelRow]] = field(default_factory=_Memo)
    history: _Memo[History] = field(default_factory=_Memo)


_MEMOS: weakref.WeakKeyDictionary[Workspace, dict[Hashable, _Memos]] = weakref.WeakKeyDictionary()
_MEMOS_LOCK = threading.Lock()
MAX_VIEWS = 256  # views (everything, each rep's, each manager's) remembered per workspace


def _memos(ws: Workspace, scope: Scope) -> _Memos:
    """The memos of one view: every view computes and keeps its own figures."""
    with _MEMOS_LOCK:
        views = _MEMOS.setdefault(ws, {})
        found = views.get(scope.key())
        if found is None:
            if len(views) >= MAX_VIEWS:
                views.clear()
            found = views[scope.key()] = _Memos()
        return found


@dataclass(frozen=True)
class Keys:
    """Which data a request sees: the data version now, the version the rollups were built
    from, and the day (periods move at midnight in the workspace's time zone)."""

    version: int
    history: int
    day: date
    scope: Scope  # whose records: the asker's view (domain.access)


def keys(ws: Workspace, scope: Scope, as_of: date | None = None) -> Keys:
    """One tiny read: the data version and the rollups' build versions."""
    version, built = rollups_repo.state(ws.store)
    day = as_of or ws.metrics.today()
    return Keys(version, min(built.values()) if built else version, day, scope)


def head(ws: Workspace, k: Keys) -> Head:
    """The cards of the current period against the previous one (no sparklines)."""
    return _memos(ws, k.scope).head.get((k.version, k.day), lambda: _head(ws, k))


def reps(ws: Workspace, k: Keys) -> list[tuple[str | None, float | None]]:
    """Revenue by rep this month, highest first."""
    return _memos(ws, k.scope).reps.get((k.version, k.day), lambda: _reps(ws, k))


def channels(ws: Workspace, k: Keys) -> list[ChannelRow]:
    """Revenue and new customers by channel this month, highest revenue first."""
    return _memos(ws, k.scope).channels.get((k.version, k.day), lambda: _channels(ws, k))


def history(ws: Workspace, k: Keys) -> History:
    """The months before this one (see the module docstring for when they are recomputed)."""
    return _memos(ws, k.scope).history.get(
        k.day.replace(day=1), lambda: _history(ws, k), version=k.history,
        max_age=HISTORY_MAX_AGE,
    )  # fmt: skip


def cards(ws: Workspace, k: Keys) -> list[Card]:
    """The headline cards, each with its sparkline (earlier months, then this one to date)."""
    past = history(ws, k).sparks
    return [replace(c, spark=(*past.get(c.name, ()), c.value)) for c in head(ws, k).cards]


def trend(ws: Workspace, k: Keys) -> list[tuple[date, float | None]]:
    """Revenue by month for the last TREND_MONTHS months, the current one to date."""
    now = next((c.value for c in head(ws, k).cards if c.name == "revenue"), None)
    return [*history(ws, k).trend, (k.day.replace(day=1), now)]


def overview(ws: Workspace, k: Keys) -> Overview:
    """This month to date against the same days of last month, and the months before, over
    the records of the view of `k` (from `keys`)."""
    h, past = head(ws, k), history(ws, k)
    return Overview(
        period=h.period, comparison=h.comparison, currency=ws.settings.base_currency,
        cards=cards(ws, k), trend=trend(ws, k), by_rep=reps(ws, k), channels=channels(ws, k),
        seconds=h.seconds + past.seconds, warnings=h.warnings + past.warnings, version=k.version,
    )  # fmt: skip


def _head(ws: Workspace, k: Keys) -> Head:
    names = ws.metrics.readable(HEADLINE, k.scope)
    result = ws.metrics.query(names, period="this_month", compare="previous", as_of=k.day,
                              scope=k.scope)  # fmt: skip
    row = result.rows()[0]
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
        for m in result.metrics
    ]
    r = result.request
    return Head(r.range, r.comparison, cards, result.seconds, result.warnings)


def _reps(ws: Workspace, k: Keys) -> list[tuple[str | None, float | None]]:
    result = ws.metrics.query(["revenue"], period="this_month", by=["rep"], as_of=k.day,
                              scope=k.scope)  # fmt: skip
    ranked = sorted(result.rows(), key=lambda r: -(r["revenue"] or 0))
    return [(x["rep"], x["revenue"]) for x in ranked]


def _channels(ws: Workspace, k: Keys) -> list[ChannelRow]:
    result = ws.metrics.query(list(CHANNEL_METRICS), period="this_month", by=["channel"],
                              as_of=k.day, scope=k.scope)  # fmt: skip
    total = sum(x["revenue"] or 0 for x in result.rows())
    rows = [
        ChannelRow(x["channel"], x["revenue"], x["new_customers"],
                   x["revenue"] / total if total and x["revenue"] is not None else None)
        for x in result.rows()
    ]  # fmt: skip
    return sorted(rows, key=lambda c: (-(c.revenue or 0), -(c.new_customers or 0)))


def _months(result: MetricResult) -> list[dict[str, Any]]:
    return sorted(result.rows(), key=lambda r: r["period"])


def _history(ws: Workspace, k: Keys) -> History:
    day, version = k.day, k.history
    start = day.replace(day=1)
    last = start - timedelta(days=1)
    first_trend = add_months(start, -(TREND_MONTHS - 1))
    first_spark = add_months(start, -(SPARK_MONTHS - 1))
    metrics = ws.metrics
    names = metrics.readable(HEADLINE, k.scope)
    t = metrics.query(["revenue"], period=f"{first_trend}..{last}", grain="month", as_of=day,
                      scope=k.scope)  # fmt: skip
    s = metrics.query(names, period=f"{first_spark}..{last}", grain="month", as_of=day,
                      scope=k.scope)  # fmt: skip
    spark_rows = _months(s)
    return History(
        trend=[(x["period"], x["revenue"]) for x in _months(t)],
        sparks={name: [x[name] for x in spark_rows] for name in names},
        seconds=t.seconds + s.seconds, warnings=t.warnings + s.warnings, version=version,
    )  # fmt: skip
