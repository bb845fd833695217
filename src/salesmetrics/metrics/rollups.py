"""Aggregate awareness: which leaves a fresh daily rollup can answer, and how rollups are built."""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC as UTC_ZONE
from datetime import date, datetime, time, timedelta

import ibis
import ibis.expr.types as ir

from salesmetrics.metrics import expr as ex
from salesmetrics.metrics.compile import PERIOD_PARAMS, Context, Leaf, local_time
from salesmetrics.metrics.sources import ROLLUPS, SOURCES, Rollup
from salesmetrics.metrics.spec import Agg, Measure

DayRange = tuple[date, date]  # first and last local day, both included
# a source whose default time lives on a parent record (an order line's is its order's)
_TIME_HOME = {"order_lines": "orders"}


def keyed_by(rollup: Rollup) -> tuple[str, str]:
    """The stored table and time column whose local day keys the rollup's rows (its first
    time column for a states rollup): a record's rows move only when that value changes."""
    column = rollup.times[0] if rollup.times else SOURCES[rollup.source].default_time
    return _TIME_HOME.get(rollup.source, rollup.source), column


def build_sql(
    rollup: Rollup, time_zone: str, dialect: str, days: Sequence[DayRange] | None = None
) -> tuple[list[str], str]:
    """The rollup's columns and the SELECT that fills them from the source; with `days`, only
    the rows of those local days (of its key column, see `keyed_by`), read from the records
    whose instant falls within a day of them in UTC (no zone is further from UTC than that)."""
    source = SOURCES[rollup.source]
    times = rollup.times or (source.default_time,)
    fact = source.fact(frozenset({*times, *rollup.groups, *rollup.measures}))
    if days is not None:
        fact = fact.filter(_any(_near(fact[times[0]], lo, hi) for lo, hi in days))
    if rollup.times:  # each time column as its local day (an open deal's close stays null)
        key = days_ = [*rollup.times]
        fact = fact.mutate(**{t: local_time(time_zone, fact[t]).date() for t in days_})
    else:  # a record without that time (an open deal has no close) falls in no period
        key = days_ = ["day"]
        at = fact[source.default_time]
        fact = fact.filter(at.notnull()).mutate(day=local_time(time_zone, at).date())
    if days is not None:
        fact = fact.filter(_any(fact[key[0]].between(_date(lo), _date(hi)) for lo, hi in days))
    sums = {m: fact[m].sum().cast("int64") for m in rollup.measures}
    rel = fact.group_by([*days_, *rollup.groups]).aggregate(**sums, row_count=fact.count())
    columns = [*days_, *rollup.groups, *rollup.measures, "row_count"]
    # stored in day order, so that a query for a few weeks reads only the blocks holding them
    return columns, ibis.to_sql(rel.select(*columns).order_by(days_[0]), dialect=dialect)


@functools.cache
def full_sql(rollup: Rollup, time_zone: str, dialect: str) -> tuple[list[str], str]:
    """`build_sql` of the whole rollup, compiled once per process."""
    return build_sql(rollup, time_zone, dialect)


def day_ranges(days: Iterable[date]) -> list[DayRange]:
    """Days merged into ranges of consecutive ones."""
    ranges: list[DayRange] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


_LO, _HI = date(1001, 2, 3), date(1002, 4, 5)  # stand-ins, replaced in the compiled text


@functools.cache
def days_sql(rollup: Rollup, time_zone: str, dialect: str) -> tuple[list[str], str]:
    """`build_sql` for one range of days, compiled once (compiling takes tens of ms, too long
    inside every write): fill it with `for_days`."""
    columns, sql = build_sql(rollup, time_zone, dialect, [(_LO, _HI)])
    for value in _stand_ins(_LO, _HI):
        if sql.count(value) != 1:
            raise AssertionError(f"{value} not once in the rollup's compiled SQL")
    return columns, sql


def for_days(sql: str, days: DayRange) -> str:
    """The text of `days_sql` for these days (ISO literals in place of the stand-ins)."""
    for stand_in, value in zip(_stand_ins(_LO, _HI), _stand_ins(*days), strict=True):
        sql = sql.replace(stand_in, value)
    return sql


def _stand_ins(lo: date, hi: date) -> list[str]:
    start, end = _window(lo, hi)
    return [f"'{v.isoformat()}'" for v in (start, end, lo, hi)]


def _window(lo: date, hi: date) -> tuple[datetime, datetime]:
    """Instants within a day of the local days lo..hi, whatever the zone."""
    start = datetime.combine(lo - timedelta(days=1), time(), UTC_ZONE)
    return start, datetime.combine(hi + timedelta(days=2), time(), UTC_ZONE)


def _near(at: ir.Value, lo: date, hi: date) -> ir.BooleanValue:
    start, end = _window(lo, hi)
    return (at >= _instant(start)) & (at < _instant(end))


def _instant(at: datetime) -> ir.Value:
    return ibis.literal(at.isoformat()).cast("timestamp('UTC')")


def _date(day: date) -> ir.Value:
    return ibis.literal(day.isoformat()).cast("date")


def _any(conditions: Iterable[ir.BooleanValue]) -> ir.BooleanValue:
    return functools.reduce(operator.or_, conditions)


def fresh_rollups(data_version: int, built: Mapping[str, int]) -> dict[str, list[Rollup]]:
    """Rollups built from the current data, by source."""
    out: dict[str, list[Rollup]] = {}
    for r in ROLLUPS:
        if built.get(r.table) == data_version:
            out.setdefault(r.source, []).append(r)
    return out


def serve(leaf: Leaf, rollups: list[Rollup], ctx: Context) -> Leaf:
    """The leaf rewritten to read the first rollup that can answer it, else the leaf."""
    for rollup in rollups:
        served = _serve(leaf, rollup, ctx)
        if served is not None:
            return served
    return leaf


def _serve(leaf: Leaf, rollup: Rollup, ctx: Context) -> Leaf | None:
    m = leaf.metric
    if leaf.per or leaf.per_period != bool(rollup.times):
        return None
    if not rollup.times and leaf.time != SOURCES[rollup.source].default_time:
        return None
    if rollup.times and not _states_translate(leaf, rollup):
        return None
    if leaf.agg not in (Agg.SUM, Agg.COUNT) or (leaf.agg is Agg.COUNT and leaf.measure_expr):
        return None
    allowed = set(rollup.groups)
    if any(not ex.names(f) <= allowed for f in leaf.filters):
        return None
    source = SOURCES[rollup.source]
    narrowed = () if ctx.scope.everything else ("rep",)  # the rows in view: by their rep
    for name in [*ctx.by, *(f.dimension for f in ctx.filters), *narrowed]:
        dim = source.dimension(name)
        if dim is None or dim.key not in allowed:
            return None
    if leaf.agg is Agg.COUNT:
        measure = Measure(expr="row_count", agg=Agg.SUM)
    elif leaf.measure_expr in rollup.measures:
        measure = Measure(expr=leaf.measure_expr, agg=Agg.SUM)
    else:
        return None
    time = leaf.time if rollup.times else "day"
    metric = m.model_copy(update={"source": rollup.table, "time": time, "measure": measure})
    return Leaf(leaf.key, metric, leaf.condition)


_BEFORE = (ast.Lt, ast.GtE)  # time < end, time >= end: the same on the instant and its day
_MIRRORED = (ast.Gt, ast.LtE)  # end > time, end <= time


def _states_translate(leaf: Leaf, rollup: Rollup) -> bool:
    """Whether the leaf's period-end condition reads the same on local days: every time column
    only compared with period_start or period_end (local midnights) by < or >=, other names
    group columns. `created_at < period_end` holds exactly when created_at's day is before
    period_end's; `<=` or arithmetic on a time column would not."""
    times, names = set(rollup.times), {*rollup.groups, *PERIOD_PARAMS, *leaf.metric.params}
    if leaf.time not in times:
        return False
    for text in (leaf.metric.at_period_end, leaf.metric.window):
        if not text:
            continue
        tree = ex.parse(text)
        safe: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and len(node.ops) == 1:
                a, b, op = node.left, node.comparators[0], node.ops[0]
                if _is(a, times) and _is(b, PERIOD_PARAMS) and isinstance(op, _BEFORE):
                    safe.add(id(a))
                if _is(b, times) and _is(a, PERIOD_PARAMS) and isinstance(op, _MIRRORED):
                    safe.add(id(b))
        called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Name) or id(node) in called or node.id == "null":
                continue
            if node.id in times and id(node) not in safe:
                return False
            if node.id not in times and node.id not in names:
                return False
    return True


def _is(node: ast.expr, names: set[str] | frozenset[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names
