"""Compile a group of measures over one source into one ibis query, for any engine.

Dialect differences live in ibis/sqlglot; the one function both engines spell alike that ibis
lacks, `timezone(zone, instant)` (local wall time), is declared here as a builtin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from salesmetrics.domain.access import EVERYTHING, ForbiddenError, Scope
from salesmetrics.domain.periods import DateRange, Grain
from salesmetrics.metrics import expr as ex
from salesmetrics.metrics.sources import PeriodOf, Source, any_source, table
from salesmetrics.metrics.spec import Agg, MetricDef


@ibis.udf.scalar.builtin(name="timezone")  # type: ignore[untyped-decorator]
def local_time(
    zone: str,
    instant: dt.Timestamp(timezone="UTC"),  # type: ignore[valid-type]
) -> dt.Timestamp():  # type: ignore[valid-type]
    """DuckDB (ICU) and PostgreSQL both spell 'wall time of an instant in a zone' this way."""


def to_sql(rel: ir.Table, dialect: str) -> str:
    """The relation as SQL of `dialect`. Two builtins DuckDB and PostgreSQL spell alike are
    spelt otherwise by Spark, and rewritten for it: wall time `timezone(zone, instant)` is
    `from_utc_timestamp(instant, zone)`, epoch seconds `date_part('epoch', instant)` are
    `unix_micros(instant) / 1e6` (fractional seconds kept, as the others keep them); and a
    median over some rows only keeps its fraction constant, as Spark requires."""
    sql = str(ibis.to_sql(rel, dialect=dialect))
    if dialect == "pyspark" and any(f in sql for f in ("TIMEZONE(", "DATE_PART(", "PERCENTILE")):
        sql = _for_spark(sql)
    return sql


def _for_spark(sql: str) -> str:
    import sqlglot
    from sqlglot import exp

    def constant(arg: exp.Expression) -> exp.Expression:
        """IF(filter, 0.5, NULL) -> 0.5: a filtered median's fraction must be a constant."""
        true = arg.args.get("true") if isinstance(arg, exp.If) else None
        return true.copy() if isinstance(true, exp.Literal) else arg

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Quantile) and node.args.get("quantile") is not None:
            node.set("quantile", constant(node.args["quantile"]))
            return node
        if not isinstance(node, exp.Anonymous):
            return node
        name, args = str(node.this).upper(), node.expressions
        if name.startswith("PERCENTILE") and len(args) >= 2:
            return exp.Anonymous(this=name, expressions=[args[0], constant(args[1]), *args[2:]])
        if name == "TIMEZONE":
            return exp.Anonymous(this="FROM_UTC_TIMESTAMP", expressions=[args[1], args[0]])
        if name == "DATE_PART" and isinstance(args[0], exp.Literal) and args[0].this == "epoch":
            micros = exp.Anonymous(this="UNIX_MICROS", expressions=[args[1]])
            return exp.Div(this=micros, expression=exp.Literal.number("1000000.0"))
        return node

    tree = sqlglot.parse_one(sql, read="spark").transform(swap)
    return str(tree.sql(dialect="spark"))


@dataclass(frozen=True)
class DimFilter:
    """A filter on a dimension's value: `rep=Olena`, `channel!=SEO`, `region=Kyiv|Lviv`."""

    dimension: str
    values: tuple[str, ...]
    negate: bool = False

    def __str__(self) -> str:
        return f"{self.dimension}{'!=' if self.negate else '='}{'|'.join(self.values)}"


@dataclass(frozen=True)
class Leaf:
    """One measure to compute: a simple metric (variants applied), or one side of a conversion."""

    key: str
    metric: MetricDef
    condition: str | None = None  # extra filter (the converted side of a conversion)

    @property
    def source(self) -> Source:
        assert self.metric.source is not None
        return any_source(self.metric.source)

    @property
    def time(self) -> str:
        return self.metric.time or self.source.default_time

    @property
    def per_period(self) -> bool:
        """Evaluated once per period with period_start/period_end bound."""
        return bool(self.metric.at_period_end or self.metric.window)

    @property
    def filters(self) -> list[str]:
        return [*self.metric.filters, *([self.condition] if self.condition else [])]

    @property
    def measure_expr(self) -> str | None:
        return self.metric.measure.expr if self.metric.measure else None

    @property
    def agg(self) -> Agg:
        return self.metric.measure.agg if self.metric.measure else Agg.COUNT

    @property
    def per(self) -> str | None:
        return self.metric.measure.per if self.metric.measure else None


@dataclass(frozen=True)
class Context:
    """What a query asks, independent of which measures it computes."""

    time_zone: str
    base_currency: str
    fiscal_start_month: int
    grain: Grain | None
    range: DateRange
    by: tuple[str, ...]
    filters: tuple[DimFilter, ...]
    # a second, earlier range read by the same scan (grain none with a comparison): its rows
    # are labelled with its own start date
    earlier: DateRange | None = None
    # sources holding amounts in other currencies (None: assume any may)
    convert: frozenset[str] | None = None
    # the records the asker sees (domain.access): every row, or those of some reps
    scope: Scope = EVERYTHING

    def instant(self, day: date) -> datetime:
        """Local midnight at the start of `day`, as a naive UTC datetime."""
        local = datetime.combine(day, time(), tzinfo=ZoneInfo(self.time_zone))
        return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _utc(value: datetime) -> ir.Value:
    return ibis.literal(value.isoformat(sep=" "), type="string").cast("timestamp('UTC')")


def day_literal(value: date) -> ir.Value:
    """A date constant as a cast string: the database binds that faster than make_date(y, m, d)
    (a statement's fixed cost is most of a small one's time)."""
    return ibis.literal(value.isoformat(), type="string").cast("date")


def compile_group(leaves: list[Leaf], ctx: Context, bucket: DateRange | None = None) -> ir.Table:
    """One query computing every leaf; `bucket` binds period_start/period_end per period."""
    first = leaves[0]
    source = first.source
    params = _params(first, ctx, bucket)
    early = bucket is None and ctx.grain is not None and first.time == source.early_time
    period_of = (lambda col: _bucket(col, True, ctx)) if early else None
    rel = _fact(leaves, ctx, period_of)
    rel = _time_filter(rel, first, ctx, params, bucket)
    shared = [] if first.per else _shared_filters(leaves)
    rel = _where(rel, leaves, params, shared)
    rel = _convert_money(rel, leaves, ctx, bucket)
    rel = _join_dimensions(rel, source, ctx)
    rel = rel.mutate(period=_period(rel, first, ctx, bucket))
    keys = ["period", *ctx.by]
    if first.per:
        return _per_entity(rel, first, keys, params)
    aggs = {f"v{i}": _aggregate(rel, leaf, params, shared) for i, leaf in enumerate(leaves)}
    if "__fx_missing" in rel.columns:
        aggs["fx_missing"] = ibis.ifelse(rel.__fx_missing, 1, 0).sum()
    return rel.group_by(keys).aggregate(**aggs)


PERIOD_PARAMS = frozenset({"period_start", "period_end"})
# Columns computed over every rep's records (not over the asker's view): refused to a view
# narrowed to some reps.
COMPANY_WIDE = frozenset({"stage_observed_win_rate"})


def snapshot_ready(leaves: list[Leaf]) -> bool:
    """Whether one scan can answer several period ends: only the state moves with the end."""
    return not any(
        leaf.per or any(ex.names(t) & PERIOD_PARAMS for t in leaf.filters) for leaf in leaves
    )


def compile_snapshots(leaves: list[Leaf], ctx: Context, ends: list[DateRange]) -> ir.Table:
    """Period-end states at several period ends in one scan (no currency conversion): leaf i
    at end j in column v{i}_{j}; by dimensions, also n{j}, the rows in that state."""
    first = leaves[0]
    every = [_params(first, ctx, bucket) for bucket in ends]
    rel = _fact(leaves, ctx)
    rel = rel.filter(_any_state(rel, first, every))
    shared = _shared_filters(leaves)
    rel = _join_dimensions(_where(rel, leaves, every[0], shared), first.source, ctx)
    aggs: dict[str, ir.Value] = {}
    for j, params in enumerate(every):
        state = _state(rel, first, params)
        if ctx.by:  # whether each end would have had a row of these dimension values
            aggs[f"n{j}"] = rel.count(where=state)
        for i, leaf in enumerate(leaves):
            aggs[f"v{i}_{j}"] = _aggregate(rel, leaf, params, shared, state)
    return rel.group_by(list(ctx.by)).aggregate(**aggs) if ctx.by else rel.aggregate(**aggs)


def _state(rel: ir.Table, leaf: Leaf, params: dict[str, Any]) -> ir.BooleanValue:
    """The leaf's period-end condition (at_period_end and window) at one end."""
    comp = _compiler(rel, params)
    conds = [comp.compile(t) for t in (leaf.metric.at_period_end, leaf.metric.window) if t]
    out: ir.BooleanValue = conds[0]
    for cond in conds[1:]:
        out = out & cond
    return out


def _any_state(rel: ir.Table, leaf: Leaf, every: list[dict[str, Any]]) -> ir.BooleanValue:
    out = _state(rel, leaf, every[0])
    for params in every[1:]:
        out = out | _state(rel, leaf, params)
    return out


def _fact(leaves: list[Leaf], ctx: Context, period_of: PeriodOf | None = None) -> ir.Table:
    """The source's fact relation narrowed to what the leaves read (and scoped for targets)."""
    source = leaves[0].source
    needed = _needed(leaves, ctx)
    if not ctx.scope.everything and needed & COMPANY_WIDE:
        raise ForbiddenError(
            f"{', '.join(sorted(needed & COMPANY_WIDE))} is learnt from every rep's deals: a "
            "narrowed view uses the configured stage probabilities (probability=configured)"
        )
    rel = _narrow(source.fact(needed, period_of=period_of), source, needed)
    if source.scoped:
        dims = {*ctx.by, *(f.dimension for f in ctx.filters)}
        if not ctx.scope.everything:  # a narrowed view sees the targets of its reps
            dims.add("rep")
        scope = "rep" if "rep" in dims else "team" if "team" in dims else "company"
        rel = rel.filter(rel.scope == scope)
    return _visible(rel, source, ctx.scope)


def _visible(rel: ir.Table, source: Source, scope: Scope) -> ir.Table:
    """Only the rows of the reps in view (and the unassigned ones, where the scope has them).
    A source no rep owns (marketing spend) is refused to a narrowed view."""
    if scope.reps is None:
        return rel
    dim = source.dimension("rep")
    if dim is None:
        raise ForbiddenError(
            f"{source.name} is company-wide data (it belongs to no rep): only the owner and "
            "viewers see metrics built on it"
        )
    key = rel[dim.key]
    seen = key.isin(sorted(scope.reps)) if scope.reps else ibis.literal(False)
    return rel.filter(seen | key.isnull() if scope.unassigned else seen)


def _where(
    rel: ir.Table, leaves: list[Leaf], params: dict[str, Any], shared: list[str]
) -> ir.Table:
    """Filters every aggregate wants as a plain WHERE, then the envelope of the others."""
    if shared:
        comp = _compiler(rel, params)
        rel = rel.filter(*(comp.compile(text) for text in shared))
    return rel if leaves[0].per else _envelope(rel, leaves, params)


def _needed(leaves: list[Leaf], ctx: Context) -> frozenset[str]:
    """The fact columns a group of leaves reads."""
    source = leaves[0].source
    out: set[str] = {leaves[0].time}
    for leaf in leaves:
        texts = [leaf.measure_expr, *leaf.filters, leaf.metric.at_period_end, leaf.metric.window]
        for text in texts:
            if text:
                out |= ex.names(text)
        if leaf.per:
            out.add(leaf.per)
    for name in [*ctx.by, *(f.dimension for f in ctx.filters), *_scoped(ctx)]:
        dim = source.dimension(name)
        if dim is not None:
            out.add(dim.key)
    return frozenset(out)


def _scoped(ctx: Context) -> tuple[str, ...]:
    """The dimension a narrowed view filters on."""
    return () if ctx.scope.everything else ("rep",)


def _narrow(rel: ir.Table, source: Source, needed: frozenset[str]) -> ir.Table:
    """Only the columns the query reads: a short select list is planned faster, and every
    statement of a dashboard pays that planning again."""
    keep = {*needed, "__period", *(["scope"] if source.scoped else [])}
    if source.currency and needed & set(source.money):
        keep.add(source.currency)  # for the conversion to the base currency
    return rel.select(*(c for c in rel.columns if c in keep))


def _params(leaf: Leaf, ctx: Context, bucket: DateRange | None) -> dict[str, Any]:
    params: dict[str, Any] = dict(leaf.metric.params)
    if bucket is not None and leaf.source.time[leaf.time]:
        params["period_start"] = ctx.instant(bucket.start)
        params["period_end"] = ctx.instant(bucket.end_exclusive)
    elif bucket is not None:  # a source of local dates (a states rollup): the days themselves
        params["period_start"] = bucket.start
        params["period_end"] = bucket.end_exclusive
    return params


def _compiler(rel: ir.Table, params: dict[str, Any]) -> ex.IbisCompiler:
    def column(name: str) -> ir.Value:
        if name == "__count__":
            return rel.count()
        return rel[name]

    return ex.IbisCompiler(column, params)


def _time_filter(
    rel: ir.Table, leaf: Leaf, ctx: Context, params: dict[str, Any], bucket: DateRange | None
) -> ir.Table:
    if bucket is not None:
        comp = _compiler(rel, params)
        conds = [comp.compile(t) for t in (leaf.metric.at_period_end, leaf.metric.window) if t]
        return rel.filter(*conds)
    col = rel[leaf.time]

    def cut(day: date) -> ir.Value:  # where `day` begins, in the column's terms
        return _utc(ctx.instant(day)) if leaf.source.time[leaf.time] else day_literal(day)

    earlier = ctx.earlier
    first = earlier.start if earlier else ctx.range.start
    # one plain range the database can prune blocks with, less the gap between the two
    conds = [col >= cut(first), col < cut(ctx.range.end_exclusive)]
    if earlier is not None and earlier.end_exclusive < ctx.range.start:
        conds.append((col < cut(earlier.end_exclusive)) | (col >= cut(ctx.range.start)))
    return rel.filter(*conds)


def _local_day(rel: ir.Table, leaf: Leaf, ctx: Context, bucket: DateRange | None) -> ir.Value:
    if bucket is not None:
        return day_literal(bucket.end)
    col = rel[leaf.time]
    if leaf.source.time[leaf.time]:
        return local_time(ctx.time_zone, col).date()
    return col


def _convert_money(
    rel: ir.Table, leaves: list[Leaf], ctx: Context, bucket: DateRange | None
) -> ir.Table:
    """Money columns in the base currency at the rate of the transaction's local date."""
    source = leaves[0].source
    used: set[str] = set()
    for leaf in leaves:
        for text in [leaf.measure_expr or "", *leaf.filters]:
            if text:
                used |= ex.names(text)
    money = [m for m in source.money if m in used]
    if not money or source.currency is None:
        return rel
    if ctx.convert is not None and source.name not in ctx.convert:
        return rel  # every amount is already in the base currency: nothing to join
    fx = table("fx_rates")
    w = ibis.window(group_by=fx.currency, order_by=fx.rate_on)
    rates = fx.select(
        fx_currency=fx.currency,
        fx_from=fx.rate_on,
        fx_to=fx.rate_on.lead().over(w),
        fx_rate=fx.rate_to_base,
    )
    day = _local_day(rel, leaves[0], ctx, bucket)
    cur = rel[source.currency]
    rel = rel.mutate(__fx_day=day)
    joined = rel.left_join(
        rates,
        (rel[source.currency] == rates.fx_currency)
        & (rel[source.currency] != ctx.base_currency)
        & (rates.fx_from <= rel.__fx_day)
        & (rates.fx_to.isnull() | (rel.__fx_day < rates.fx_to)),
    )
    cur = joined[source.currency]
    rate = ibis.ifelse(cur == ctx.base_currency, 1.0, joined.fx_rate)
    changes = {m: joined[m].cast("float64") * rate for m in money}
    changes["__fx_missing"] = (cur != ctx.base_currency) & joined.fx_rate.isnull()
    return _without(
        joined.mutate(**changes), "fx_currency", "fx_from", "fx_to", "fx_rate", "__fx_day"
    )


def _without(rel: ir.Table, *names: str) -> ir.Table:
    """Drop columns keeping a stable order (ibis's drop takes a set: its SQL would vary)."""
    return rel.select(*(c for c in rel.columns if c not in names))


def _join_dimensions(rel: ir.Table, source: Source, ctx: Context) -> ir.Table:
    needed = list(dict.fromkeys([*ctx.by, *(f.dimension for f in ctx.filters)]))
    for i, name in enumerate(needed):
        dim = source.dimension(name)
        assert dim is not None, name
        if dim.lookup is None:
            rel = rel.mutate(**{name: rel[dim.key].cast("string")})
            continue
        look = dim.lookup().rename({f"__k{i}": "key", f"__d{i}": "value"})
        rel = rel.left_join(look, rel[dim.key] == look[f"__k{i}"])
        rel = _without(rel.mutate(**{name: rel[f"__d{i}"]}), f"__k{i}", f"__d{i}")
    for f in ctx.filters:
        member = rel[f.dimension].isin(list(f.values))
        rel = rel.filter(~member | rel[f.dimension].isnull() if f.negate else member)
    return rel


def _period(rel: ir.Table, leaf: Leaf, ctx: Context, bucket: DateRange | None) -> ir.Value:
    if bucket is not None:
        return day_literal(_label(bucket.start, ctx))
    if ctx.grain is None:
        if ctx.earlier is None:
            return day_literal(ctx.range.start)
        col = rel[leaf.time]
        start = (
            _utc(ctx.instant(ctx.range.start))
            if leaf.source.time[leaf.time]
            else day_literal(ctx.range.start)
        )
        return ibis.ifelse(col >= start, day_literal(ctx.range.start),
                           day_literal(ctx.earlier.start))  # fmt: skip
    if "__period" in rel.columns:
        return rel["__period"]  # bucketed where the time column lives, once per parent row
    return _bucket(rel[leaf.time], leaf.source.time[leaf.time], ctx)


def _bucket(col: ir.Value, instant: bool, ctx: Context) -> ir.Value:
    """The start date of the grain bucket holding each value, in the workspace's calendar."""
    assert ctx.grain is not None
    local = local_time(ctx.time_zone, col) if instant else col.cast("timestamp")
    unit = {
        Grain.DAY: "D",
        Grain.WEEK: "W",
        Grain.MONTH: "M",
        Grain.QUARTER: "Q",
        Grain.YEAR: "Y",
    }[ctx.grain]
    shift = ctx.fiscal_start_month - 1
    if shift and ctx.grain in (Grain.QUARTER, Grain.YEAR):
        moved = (local - ibis.interval(months=shift)).truncate(unit)
        return (moved + ibis.interval(months=shift)).date()
    return local.truncate(unit).date()


def _label(day: date, ctx: Context) -> date:
    from salesmetrics.domain.periods import bucket_start

    if ctx.grain is None:
        return ctx.range.start
    return bucket_start(day, ctx.grain, ctx.fiscal_start_month)


def _shared_filters(leaves: list[Leaf]) -> list[str]:
    """Filters every leaf of the group has: a WHERE the database can apply while it reads (as a
    FILTER on each aggregate it would read every row first). Money filters stay per aggregate,
    since they compare converted amounts."""
    money = set(leaves[0].source.money)
    return [
        text
        for text in leaves[0].filters
        if all(text in leaf.filters for leaf in leaves[1:]) and not ex.names(text) & money
    ]


def _envelope(rel: ir.Table, leaves: list[Leaf], params: dict[str, Any]) -> ir.Table:
    """Keep only rows some aggregate may count: the OR of each leaf's first (non-money) filter.
    Any part of a leaf's filters holds wherever all of them do, so this is a safe superset;
    the first filter (the kind or status of the record, by convention) keeps it cheap."""
    money = set(leaves[0].source.money)
    firsts: list[str] = []
    for leaf in leaves:
        texts = [t for t in leaf.filters if not ex.names(t) & money]
        if not texts:
            return rel  # this aggregate reads every row
        if texts[0] not in firsts:
            firsts.append(texts[0])
    comp = _compiler(rel, params)
    either = comp.compile(firsts[0])
    for text in firsts[1:]:
        either = either | comp.compile(text)
    return rel.filter(either)


def _aggregate(
    rel: ir.Table, leaf: Leaf, params: dict[str, Any], shared: list[str],
    where: ir.BooleanValue | None = None,
) -> ir.Value:  # fmt: skip
    comp = _compiler(rel, params)
    for text in (t for t in leaf.filters if t not in shared):
        cond = comp.compile(text)
        where = cond if where is None else where & cond
    agg = leaf.agg
    if agg is Agg.COUNT and not leaf.measure_expr:
        return rel.count(where=where) if where is not None else rel.count()
    value = comp.compile(leaf.measure_expr or "1")
    return _apply(agg, value, where)


def _apply(agg: Agg, value: Any, where: Any) -> ir.Value:
    kw = {"where": where} if where is not None else {}
    table: dict[Agg, Any] = {
        Agg.SUM: lambda: value.sum(**kw),
        Agg.COUNT: lambda: value.count(**kw),
        Agg.COUNT_DISTINCT: lambda: value.nunique(**kw),
        Agg.COUNT_TRUE: lambda: ibis.ifelse(value, 1, 0).sum(**kw),
        Agg.MEAN: lambda: value.mean(**kw),
        Agg.MEDIAN: lambda: value.median(**kw),
        Agg.MIN: lambda: value.min(**kw),
        Agg.MAX: lambda: value.max(**kw),
    }
    result: ir.Value = table[agg]()
    return result


def _per_entity(rel: ir.Table, leaf: Leaf, keys: list[str], params: dict[str, Any]) -> ir.Table:
    """Aggregate per entity (for example per customer) first, then across entities."""
    assert leaf.per is not None
    comp = _compiler(rel, params)
    conds = [comp.compile(t) for t in leaf.filters]
    if conds:
        rel = rel.filter(*conds)
    comp = _compiler(rel, params)
    inner = rel.group_by([*keys, leaf.per]).aggregate(__v=comp.compile(leaf.measure_expr or "1"))
    outer = _apply(leaf.agg, inner.__v, None)
    return inner.group_by(keys).aggregate(v0=outer)
