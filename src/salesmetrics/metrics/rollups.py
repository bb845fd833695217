"""Aggregate awareness: which leaves a fresh daily rollup can answer, and how rollups are built."""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from salesmetrics.metrics import expr as ex
from salesmetrics.metrics.compile import Context, Leaf, local_time
from salesmetrics.metrics.sources import ROLLUPS, SOURCES, Rollup
from salesmetrics.metrics.spec import Agg, Measure


def build_sql(rollup: Rollup, time_zone: str, dialect: str) -> tuple[list[str], str]:
    """The rollup's columns and the SELECT that fills them from the source."""
    source = SOURCES[rollup.source]
    needed = frozenset({source.default_time, *rollup.groups, *rollup.measures})
    fact = source.fact(needed)
    time = fact[source.default_time]
    # a record without that time (an open deal has no close) falls in no period
    fact = fact.filter(time.notnull()).mutate(day=local_time(time_zone, time).date())
    sums = {m: fact[m].sum().cast("int64") for m in rollup.measures}
    rel = fact.group_by(["day", *rollup.groups]).aggregate(**sums, row_count=fact.count())
    columns = ["day", *rollup.groups, *rollup.measures, "row_count"]
    # stored in day order, so that a query for a few weeks reads only the blocks holding them
    return columns, ibis.to_sql(rel.select(*columns).order_by("day"), dialect=dialect)


def fresh_rollups(data_version: int, built: Mapping[str, int]) -> dict[str, Rollup]:
    """Rollups built from the current data, by source."""
    return {r.source: r for r in ROLLUPS if built.get(r.table) == data_version}


def serve(leaf: Leaf, rollup: Rollup, ctx: Context) -> Leaf | None:
    """The leaf rewritten to read the rollup, or None when the rollup cannot answer it."""
    m = leaf.metric
    if leaf.per or leaf.per_period or leaf.time != SOURCES[rollup.source].default_time:
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
    metric = m.model_copy(update={"source": rollup.table, "time": "day", "measure": measure})
    return Leaf(leaf.key, metric, leaf.condition)
