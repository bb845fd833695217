"""Aggregate awareness: which leaves a fresh daily rollup can answer, and how rollups are built."""

from __future__ import annotations

import ast
from collections.abc import Mapping

import ibis

from salesmetrics.metrics import expr as ex
from salesmetrics.metrics.compile import PERIOD_PARAMS, Context, Leaf, local_time
from salesmetrics.metrics.sources import ROLLUPS, SOURCES, Rollup
from salesmetrics.metrics.spec import Agg, Measure


def build_sql(rollup: Rollup, time_zone: str, dialect: str) -> tuple[list[str], str]:
    """The rollup's columns and the SELECT that fills them from the source."""
    source = SOURCES[rollup.source]
    times = rollup.times or (source.default_time,)
    fact = source.fact(frozenset({*times, *rollup.groups, *rollup.measures}))
    if rollup.times:  # each time column as its local day (an open deal's close stays null)
        days = [*rollup.times]
        fact = fact.mutate(**{t: local_time(time_zone, fact[t]).date() for t in days})
    else:  # a record without that time (an open deal has no close) falls in no period
        days = ["day"]
        time = fact[source.default_time]
        fact = fact.filter(time.notnull()).mutate(day=local_time(time_zone, time).date())
    sums = {m: fact[m].sum().cast("int64") for m in rollup.measures}
    rel = fact.group_by([*days, *rollup.groups]).aggregate(**sums, row_count=fact.count())
    columns = [*days, *rollup.groups, *rollup.measures, "row_count"]
    # stored in day order, so that a query for a few weeks reads only the blocks holding them
    return columns, ibis.to_sql(rel.select(*columns).order_by(days[0]), dialect=dialect)


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
    for name in [*ctx.by, *(f.dimension for f in ctx.filters)]:
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
