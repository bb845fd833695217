"""The Team page: a leaderboard of reps grouped by team, and a page per rep.

Every number comes from the metric engine (`ws.metrics.query`); the rep and team lists come
from a small repository read. A leaderboard is computed once per data version, period and day
however many pages ask for it at the same moment (see `VersionedCache`)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, Generic, TypeVar

from salesmetrics.domain.access import Scope
from salesmetrics.domain.errors import NotFoundError, QueryError
from salesmetrics.domain.periods import (
    Compare,
    DateRange,
    add_months,
    comparison_range,
    parse_period,
)
from salesmetrics.metrics.compile import DimFilter
from salesmetrics.metrics.result import MetricInfo, MetricResult
from salesmetrics.services.live import data_version as data_version
from salesmetrics.services.overview import Card
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import team as team_repo
from salesmetrics.storage.repositories.team import RepRow, WonDeal

PERIODS = ("this_month", "last_month", "this_quarter", "last_30_days")
METRICS = ("revenue", "deals_won", "win_rate", "avg_deal_size", "activities", "new_customers")
TARGET, ATTAINMENT = "target_value", "target_attainment"
SORTS = ("rank", "name", *METRICS, "change", "attainment")
REP_CARDS = (*METRICS, "open_deals", "pipeline_value")
TREND_MONTHS = 12
RECENT_WON = 10

_POOL = ThreadPoolExecutor(max_workers=3, thread_name_prefix="team")

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class VersionedCache(Generic[K, V]):
    """A small LRU whose keys carry the data version: many callers asking for the same key at
    once wait for one computation instead of each running their own."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[K, threading.Lock] = {}
        self.computed = 0  # how many times a value was actually computed (for tests, bench)

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._flights.pop(key, None)
            with self._lock:
                self.computed += 1
                self._values[key] = value
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
            return value


@dataclass(frozen=True)
class Figure:
    """One metric's value on one row, with the previous period's and the change."""

    value: float | None
    previous: float | None = None
    delta: float | None = None
    delta_pct: float | None = None
    low: float | None = None
    high: float | None = None
    significant: bool | None = None

    @classmethod
    def of(cls, row: dict[str, Any] | None, name: str) -> Figure:
        if row is None:
            return cls(None)
        return cls(
            row.get(name), row.get(f"{name}__previous"), row.get(f"{name}__delta"),
            row.get(f"{name}__delta_pct"), row.get(f"{name}__low"), row.get(f"{name}__high"),
            row.get(f"{name}__significant"),
        )  # fmt: skip

    @classmethod
    def ratio(cls, num: Figure, den: Figure) -> Figure:
        """num / den for now and before (attainment against a summed target)."""
        now = _div(num.value, den.value)
        then = _div(num.previous, den.previous)
        delta = None if now is None or then is None else now - then
        return cls(now, then, delta, None if delta is None or not then else delta / then)


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _sum(figures: Sequence[Figure]) -> Figure:
    values = [f.value for f in figures if f.value is not None]
    before = [f.previous for f in figures if f.previous is not None]
    now, then = (sum(values) if values else None), (sum(before) if before else None)
    delta = None if now is None or then is None else now - then
    return Figure(now, then, delta, None if delta is None or not then else delta / then)


@dataclass(frozen=True)
class Line:
    """A leaderboard row: a rep, a team's subtotal, the revenue with no rep, or the company."""

    rep_id: int | None
    name: str | None
    team_id: int | None
    team: str | None
    active: bool
    figures: dict[str, Figure]
    target: Figure | None = None  # revenue target, minor units of the base currency
    rank: int | None = None

    def value(self, key: str) -> float | str | None:
        if key == "name":
            return self.name or ""
        if key == "rank":
            return self.rank
        if key == "change":
            return self.figures["revenue"].delta_pct
        if key == "attainment":
            return self.figures[ATTAINMENT].value if ATTAINMENT in self.figures else None
        return self.figures[key].value if key in self.figures else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rep_id": self.rep_id, "rep": self.name, "team_id": self.team_id, "team": self.team,
            "active": self.active, "rank": self.rank,
            "target": self.target.__dict__ if self.target else None,
            "metrics": {k: f.__dict__ for k, f in self.figures.items()},
        }  # fmt: skip


@dataclass(frozen=True)
class TeamGroup:
    team_id: int | None
    name: str | None
    total: Line
    reps: list[Line]


@dataclass(frozen=True)
class Leaderboard:
    period_name: str
    period: DateRange
    comparison: DateRange | None
    currency: str
    metrics: list[MetricInfo]
    teams: list[TeamGroup]
    unassigned: Line | None  # revenue and customers with no rep (e.g. web-shop orders)
    total: Line
    targets: bool  # whether any target applies to the period (else no attainment column)
    version: int
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def reps(self) -> list[Line]:
        return [line for g in self.teams for line in g.reps]

    def sorted(self, key: str = "revenue", descending: bool | None = None) -> Leaderboard:
        """The same board with teams and the reps in each ordered by one column; empty values
        go last whichever the direction."""
        down = default_descending(key) if descending is None else descending

        def order(lines: list[Line]) -> list[Line]:
            filled = [x for x in lines if x.value(key) is not None]
            empty = [x for x in lines if x.value(key) is None]
            filled.sort(key=lambda x: (x.value(key), x.name or ""), reverse=down)
            return filled + empty

        groups = {id(g.total): g for g in self.teams}
        teams = [replace(groups[id(t)], reps=order(groups[id(t)].reps))
                 for t in order([g.total for g in self.teams])]  # fmt: skip
        return replace(self, teams=teams)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period_name": self.period_name, "period": str(self.period),
            "comparison_period": str(self.comparison) if self.comparison else None,
            "currency": self.currency, "targets": self.targets, "data_version": self.version,
            "units": {m.name: m.unit for m in self.metrics} | {"target": "money"},
            "labels": {m.name: m.label for m in self.metrics},
            "teams": [{"team_id": g.team_id, "team": g.name, "total": g.total.as_dict(),
                       "reps": [r.as_dict() for r in g.reps]} for g in self.teams],
            "unassigned": self.unassigned.as_dict() if self.unassigned else None,
            "total": self.total.as_dict(), "seconds": round(self.seconds, 4),
            "warnings": self.warnings,
        }  # fmt: skip


def default_descending(key: str) -> bool:
    return key not in ("name", "rank")


def parse_sort(key: str | None, direction: str | None) -> tuple[str, bool]:
    """A sort column and whether it runs high to low (`dir` asc|desc; default by column)."""
    key = key or "revenue"
    if key not in SORTS:
        raise QueryError(f"cannot sort by '{key}': use one of {', '.join(SORTS)}")
    if direction in (None, ""):
        return key, default_descending(key)
    if direction not in ("asc", "desc"):
        raise QueryError(f"sort direction '{direction}' is not asc or desc")
    return key, direction == "desc"


def targets_apply(period: DateRange) -> bool:
    """Targets are set per calendar month: a period counts the targets whose months start in
    it, so attainment is honest only for a period starting on the first of a month."""
    return period.start.day == 1


def check_period(ws: Workspace, period: str, day: date) -> None:
    """Refuse a period the calendar cannot hold (or whose previous period it cannot) with a
    message, before any query: `9999-12` would end in the year 10000."""
    fiscal = ws.settings.fiscal_year_start_month
    try:
        rng = parse_period(period, day, fiscal)
        comparison_range(rng, Compare.PREVIOUS, fiscal)
    except (ValueError, OverflowError):
        raise QueryError(
            f"period '{period}' or the one before it falls outside the calendar (years 1-9999)"
        ) from None


def _query(ws: Workspace, names: Sequence[str], period: str, day: date,
           **options: Any) -> MetricResult:  # fmt: skip
    return ws.metrics.query(list(names), period=period, compare="previous", as_of=day, **options)


def _shown(ws: Workspace, names: Sequence[str], scope: Scope) -> list[str]:
    """The metrics of `names` a view narrowed to one customer segment can be shown (those
    split by customer: not activities or targets); all of them otherwise."""
    if scope.segment is None:
        return list(names)
    return ws.metrics.readable(names, scope)


def leaderboard(
    ws: Workspace, scope: Scope, period: str = "this_month", as_of: date | None = None
) -> Leaderboard:
    """The reps in view ranked by revenue, grouped by team with subtotals (of the records in
    view), against the previous period; a view of one customer segment leaves out what is not
    split by customer."""
    started = time.perf_counter()
    day = as_of or ws.metrics.today()
    check_period(ws, period, day)
    version = data_version(ws)
    metrics = _shown(ws, METRICS, scope)
    wanted = _shown(ws, (*metrics, TARGET, ATTAINMENT), scope)
    # three small queries at once: after a change, a live board waits for the slowest only
    asked = [(wanted, {"by": ["rep"]}), (_shown(ws, (*metrics, TARGET), scope), {"by": ["team"]}),
             (wanted, {})]  # fmt: skip
    by_rep, by_team, company = _POOL.map(
        lambda a: _query(ws, a[0], period, day, scope=scope, **a[1]), asked
    )
    rng, cmp = by_rep.request.range, by_rep.request.comparison
    with_targets = targets_apply(rng)
    rows = {r["rep"]: r for r in by_rep.rows()}
    people = [p for p in team_repo.reps(ws.store) if scope.sees(p.id)]
    lines = _rep_lines(people, rows, with_targets)
    team_rows = {r["team"]: r for r in by_team.rows()}
    groups: list[TeamGroup] = []
    for team_id in dict.fromkeys(x.team_id for x in lines):
        members = [x for x in lines if x.team_id == team_id]
        name = members[0].team
        if team_id is None:  # the engine's no-team row also holds the revenue with no rep
            names = tuple(x.name for x in members if x.name)
            row = _query(
                ws, metrics, period, day, filters=[DimFilter("rep", names)], scope=scope
            ).rows()
            total_row = row[0] if row else None
        else:
            total_row = team_rows.get(name)
        total = _total_line(team_id, name, total_row, members, with_targets)
        groups.append(TeamGroup(team_id, name, total, members))
    none_row = rows.get(None)
    unassigned = None
    if none_row and any(none_row.get(m) for m in METRICS):
        figures = {m: Figure.of(none_row, m) for m in METRICS}
        unassigned = Line(None, None, None, None, False, figures)
    company_row = company.rows()[0] if company.rows() else None
    total = _total_line(None, None, company_row, lines, with_targets, company=True)
    shown = with_targets and any((x.target and x.target.value) for x in [*lines, total])
    if not shown:
        total = _without_targets(total)
        groups = [replace(g, total=_without_targets(g.total),
                          reps=[_without_targets(x) for x in g.reps]) for g in groups]  # fmt: skip
    infos = [m for m in by_rep.metrics if m.name in (*METRICS, ATTAINMENT)]
    return Leaderboard(
        period, rng, cmp, ws.settings.base_currency, infos, groups, unassigned, total, shown,
        version, time.perf_counter() - started,
        sorted({*by_rep.warnings, *by_team.warnings, *company.warnings}),
    )  # fmt: skip


def _rep_lines(people: list[RepRow], rows: dict[Any, dict[str, Any]],
               with_targets: bool) -> list[Line]:  # fmt: skip
    """A line per rep with numbers in the period, or active; ranked by revenue."""
    by_name: dict[str, RepRow] = {}
    for p in people:
        by_name.setdefault(p.name, p)  # two reps of one name share one line (the metric key)
    lines: list[Line] = []
    for name, p in by_name.items():
        row = rows.get(name)
        if row is None and not p.active:
            continue
        figures = {m: Figure.of(row, m) for m in METRICS}
        target = Figure.of(row, TARGET) if with_targets else None
        if target and target.value:
            figures[ATTAINMENT] = Figure.of(row, ATTAINMENT)
        lines.append(Line(p.id, p.name, p.team_id, p.team, p.active, figures, target))
    ranked = sorted(lines, key=lambda x: (-(x.figures["revenue"].value or 0), x.name or ""))
    rank = {id(x): i + 1 for i, x in enumerate(ranked)}
    return [replace(x, rank=rank[id(x)]) for x in sorted(lines, key=lambda x: rank[id(x)])]


def _total_line(
    team_id: int | None, name: str | None, row: dict[str, Any] | None, members: list[Line],
    with_targets: bool, company: bool = False,
) -> Line:  # fmt: skip
    """A subtotal: rates recomputed by the engine for the whole group, not averaged; the
    target is the group's own (team or company) target, else the sum of its reps' targets."""
    figures = {m: Figure.of(row, m) for m in METRICS}
    target = None
    if with_targets:
        own = Figure.of(row, TARGET)
        target = own if own.value else _sum([x.target for x in members if x.target])
        if target.value:
            attained = Figure.of(row, ATTAINMENT) if company and own.value else None
            figures[ATTAINMENT] = attained or Figure.ratio(figures["revenue"], target)
    return Line(None, name, team_id, name, True, figures, target)


def _without_targets(line: Line) -> Line:
    figures = {k: v for k, v in line.figures.items() if k != ATTAINMENT}
    return replace(line, figures=figures, target=None)


_BOARDS: VersionedCache[tuple[Any, ...], Leaderboard] = VersionedCache()


def live_leaderboard(
    ws: Workspace, scope: Scope, period: str = "this_month", as_of: date | None = None
) -> Leaderboard:
    """The leaderboard, computed once per (workspace, data version, view, period, day)."""
    day = as_of or ws.metrics.today()
    key = (ws.store.url, data_version(ws), scope.key(), period, day)
    return _BOARDS.get(key, lambda: leaderboard(ws, scope, period, day))


@dataclass(frozen=True)
class RepPage:
    """One rep: KPI cards against the previous period, a 12-month revenue trend, activities by
    kind, recent wins and their place on the leaderboard."""

    rep: RepRow
    period_name: str
    period: DateRange
    comparison: DateRange | None
    currency: str
    cards: list[Card]
    target: float | None
    rank: int | None
    ranked: int
    trend: list[tuple[date, float | None]]
    activities: list[tuple[str, int]]
    won: list[WonDeal]
    seconds: float

    def card(self, name: str) -> Card | None:
        return next((c for c in self.cards if c.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        r = self.rep
        return {
            "rep": {"id": r.id, "name": r.name, "email": r.email, "active": r.active,
                    "hired_on": r.hired_on.isoformat() if r.hired_on else None,
                    "team_id": r.team_id, "team": r.team},
            "period_name": self.period_name, "period": str(self.period),
            "comparison_period": str(self.comparison) if self.comparison else None,
            "currency": self.currency, "target": self.target, "rank": self.rank,
            "ranked": self.ranked,
            "cards": [{**c.__dict__, "better": c.better} for c in self.cards],
            "trend": [{"period": p.isoformat(), "revenue": v} for p, v in self.trend],
            "activities": dict(self.activities),
            "recent_won": [{**asdict(d), "closed_at": d.closed_at.isoformat()
                            if d.closed_at else None} for d in self.won],
            "seconds": round(self.seconds, 4),
        }  # fmt: skip


def find_rep(ws: Workspace, rep_id: int, scope: Scope) -> RepRow:
    """A rep in view (one outside it is 'not found', as if it were not there)."""
    found = team_repo.rep(ws.store, rep_id) if scope.sees(rep_id) else None
    if found is None:
        raise NotFoundError(f"there is no rep with id {rep_id}: see the team at /team")
    return found


def rep_page(
    ws: Workspace, scope: Scope, rep_id: int, period: str = "this_month",
    as_of: date | None = None,
) -> RepPage:  # fmt: skip
    """Everything the rep's page shows, for one period (a rep in the view of `scope`)."""
    started = time.perf_counter()
    rep = find_rep(ws, rep_id, scope)
    day = as_of or ws.metrics.today()
    check_period(ws, period, day)
    mine = [DimFilter("rep", (rep.name,))]
    asked = _shown(ws, (*REP_CARDS, TARGET, ATTAINMENT), scope)
    head = _query(ws, asked, period, day, filters=mine, scope=scope)
    row = head.rows()[0] if head.rows() else {}
    rng = head.request.range
    target = row.get(TARGET) if targets_apply(rng) else None
    shown = [m for m in head.metrics if m.name in REP_CARDS or (m.name == ATTAINMENT and target)]
    cards = [_card(m, row) for m in shown]
    first = add_months(day.replace(day=1), -(TREND_MONTHS - 1))
    trend = ws.metrics.query(["revenue"], period=f"{first}..{day}", grain="month",
                             filters=mine, as_of=day, scope=scope)  # fmt: skip
    kinds = _activities(ws, period, day, mine, scope)
    board = live_leaderboard(ws, scope, period, day)
    place = next((x.rank for x in board.reps() if x.rep_id == rep.id), None)
    return RepPage(
        rep, period, rng, head.request.comparison, ws.settings.base_currency, cards,
        target or None, place, len(board.reps()),
        [(x["period"], x["revenue"]) for x in trend.rows()],
        kinds,
        team_repo.recent_won_deals(ws.store, rep.id, RECENT_WON),
        time.perf_counter() - started,
    )  # fmt: skip


def _activities(ws: Workspace, period: str, day: date, mine: list[DimFilter],
                scope: Scope) -> list[tuple[str, int]]:  # fmt: skip
    """A rep's activities by kind, most first (none for a view of one customer segment:
    activities are not split by customer)."""
    if scope.segment is not None:
        return []
    kinds = ws.metrics.query(["activities"], period=period, by=["activity_kind"], filters=mine,
                             as_of=day, scope=scope)  # fmt: skip
    return sorted(((str(x["activity_kind"]), int(x["activities"] or 0)) for x in kinds.rows()
                   if x["activity_kind"] is not None), key=lambda kv: -kv[1])  # fmt: skip


_REPS: VersionedCache[tuple[Any, ...], RepPage] = VersionedCache(128)


def live_rep_page(
    ws: Workspace, scope: Scope, rep_id: int, period: str = "this_month",
    as_of: date | None = None,
) -> RepPage:  # fmt: skip
    """A rep's page, computed once per (workspace, data version, view, rep, period, day)."""
    day = as_of or ws.metrics.today()
    key = (ws.store.url, data_version(ws), scope.key(), rep_id, period, day)
    return _REPS.get(key, lambda: rep_page(ws, scope, rep_id, period, day))


def _card(m: MetricInfo, row: dict[str, Any]) -> Card:
    f = Figure.of(row, m.name)
    return Card(m.name, m.label, m.unit, m.direction, f.value, f.previous, f.delta,
                f.delta_pct, f.low, f.high, f.significant)  # fmt: skip
