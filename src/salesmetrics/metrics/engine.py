"""Run a metric request on a store: compile leaf groups, execute, compose, compare."""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pyarrow as pa

from salesmetrics.domain.periods import (
    DateRange,
    Grain,
    bucket_start,
    buckets,
)
from salesmetrics.metrics.catalog import Catalog
from salesmetrics.metrics.compile import (
    Context,
    Leaf,
    compile_group,
    compile_snapshots,
    snapshot_ready,
    to_sql,
)
from salesmetrics.metrics.compose import Composer, RowKey
from salesmetrics.metrics.plan import MetricRequest, Node, Planner, all_leaves, nodes
from salesmetrics.metrics.result import MetricResult, build_result
from salesmetrics.metrics.rollups import fresh_rollups, serve
from salesmetrics.metrics.sources import Rollup
from salesmetrics.metrics.spec import MetricType
from salesmetrics.storage.protocol import Store
from salesmetrics.storage.repositories import rollups as rollups_repo

COMPILED_CACHE_SIZE = 1024
READ_THREADS = 4


@dataclass(frozen=True)
class Query:
    """One compiled SQL statement and the leaves whose values it returns (columns v0, v1 ...)."""

    sql: str
    leaves: tuple[Leaf, ...]
    bucket: DateRange | None = None
    range: DateRange | None = None  # the range it reads (with `earlier`, from that start)
    # period-end states at several ends in one scan: (row label, bucket) of each end j, whose
    # values are in the columns v{i}_{j} (n{j}: the rows in that state)
    ends: tuple[tuple[date, DateRange], ...] = ()


@dataclass
class Plan:
    request: MetricRequest
    roots: list[Node]
    queries: list[Query]
    comparison: list[Query] = field(default_factory=list)
    # cumulative metrics: their parts over each range extended back to the reset point
    extended: list[Query] = field(default_factory=list)
    extended_comparison: list[Query] = field(default_factory=list)
    shared: list[Query] = field(default_factory=list)  # also answer the comparison range

    def all_queries(self) -> list[Query]:
        return [*self.queries, *self.comparison, *self.extended, *self.extended_comparison]


class Engine:
    """The metric engine for one workspace: catalog + store + calendar settings."""

    def __init__(
        self, store: Store, catalog: Catalog, *, time_zone: str, base_currency: str,
        fiscal_start_month: int, use_rollups: bool = True,
    ) -> None:  # fmt: skip
        self.store = store
        self.catalog = catalog
        self.time_zone = time_zone
        self.base_currency = base_currency
        self.fiscal_start_month = fiscal_start_month
        self.use_rollups = use_rollups
        self._state: tuple[int, dict[str, int]] = (0, {})

    def context(self, request: MetricRequest, rng: DateRange) -> Context:
        return Context(
            self.time_zone, self.base_currency, self.fiscal_start_month, request.grain, rng,
            request.by, request.filters, scope=request.scope,
        )  # fmt: skip

    def plan(self, request: MetricRequest) -> Plan:
        roots = self._roots(request)
        leaves, cumulative = all_leaves(roots), all_leaves(roots, cumulative=True)
        self._state = rollups_repo.state(self.store)  # once per plan: a few tiny reads
        other = request.comparison
        ctx = self.context(request, request.range)
        if other is not None and request.grain is None and other.end < request.range.start:
            # one scan answers both ranges (its rows labelled with their range's start)
            plan = Plan(request, roots, self._queries(leaves, replace(ctx, earlier=other)))
            plan.shared = plan.queries
        else:
            plan = Plan(request, roots, self._queries(leaves, ctx))
            if other is not None:
                plan.comparison = self._queries(leaves, self.context(request, other))
        if cumulative:
            ext = self.extend(request.range, request, roots)
            plan.extended = self._queries(cumulative, self.context(request, ext))
            if other is not None:
                ext_other = self.extend(other, request, roots)
                plan.extended_comparison = self._queries(
                    cumulative, self.context(request, ext_other)
                )
        return plan

    def _roots(self, request: MetricRequest) -> list[Node]:
        """The metric trees of a request, cached per catalog: they depend on the metrics,
        variants and dimensions asked for, not on the dates (read-only once planned)."""
        cache = self.catalog.compiled
        key = ("roots", request.metrics, tuple(sorted(request.variants.items())), request.by,
               request.filters)  # fmt: skip
        roots: list[Node] | None = cache.get(key)
        if roots is None:
            roots = Planner(self.catalog).plan(request)
            if len(cache) >= COMPILED_CACHE_SIZE:
                cache.pop(next(iter(cache), None), None)
            cache[key] = roots
        return roots

    def extend(self, rng: DateRange, request: MetricRequest, roots: list[Node]) -> DateRange:
        """The range reaching back to the earliest reset point a cumulative metric needs."""
        resets = {n.metric.reset for n in nodes(roots) if n.metric.type is MetricType.CUMULATIVE}
        if "never" in resets:
            return DateRange(EPOCH, rng.end)
        first = buckets(rng, request.grain, self.fiscal_start_month)[0]
        anchor = first.end if request.grain else rng.end
        start = bucket_start(anchor, Grain.YEAR, self.fiscal_start_month)
        return DateRange(min(start, rng.start) if request.grain else start, rng.end)

    def _queries(self, leaves: list[Leaf], ctx: Context) -> list[Query]:
        dialect = self.store.dialect.value
        groups: dict[tuple[Any, ...], list[Leaf]] = defaultdict(list)
        version, built = self._state
        fresh = fresh_rollups(version, built) if self.use_rollups else {}
        served = [
            self._serve(leaf, fresh.get(leaf.metric.source or "", []), ctx) for leaf in leaves
        ]
        ctx = replace(ctx, convert=self._foreign(served, version))
        for leaf in served:
            solo = leaf.per or leaf.per_period
            groups[(leaf.metric.source, leaf.time, leaf.key if solo else "")].append(leaf)
        rng = DateRange(ctx.earlier.start, ctx.range.end) if ctx.earlier else ctx.range
        out: list[Query] = []
        for group in groups.values():
            if not group[0].per_period:
                out.append(Query(self._sql(group, ctx, None, dialect), tuple(group), None, rng))
            elif ctx.earlier is None:
                out += self._states(group, ctx, dialect)
            elif snapshot_ready(group) and group[0].metric.source not in (ctx.convert or ()):
                ends = ((ctx.range.start, ctx.range), (ctx.earlier.start, ctx.earlier))
                sql = self._snapshot_sql(group, ctx, ends, dialect)
                out.append(Query(sql, tuple(group), None, rng, ends))
            else:  # each end on its own: the current range's, then the earlier one's
                earlier = replace(ctx, range=ctx.earlier, earlier=None)
                out += self._states(group, replace(ctx, earlier=None), dialect)
                out += self._states(group, earlier, dialect)
        return out

    def _states(self, group: list[Leaf], ctx: Context, dialect: str) -> list[Query]:
        """A period-end state per bucket of the range, a statement each."""
        return [
            Query(self._sql(group, ctx, bucket, dialect), tuple(group), bucket, ctx.range)
            for bucket in buckets(ctx.range, ctx.grain, ctx.fiscal_start_month)
        ]

    def _serve(self, leaf: Leaf, rollups: list[Rollup], ctx: Context) -> Leaf:
        """The leaf as a fresh rollup answers it (or itself); cached, as the choice depends
        only on the leaf, the rollups and the dimensions asked for."""
        if not rollups:
            return leaf
        dims = (ctx.by, tuple(f.dimension for f in ctx.filters), ctx.scope.everything)
        key = ("served", leaf.key, leaf.metric.source, tuple(r.table for r in rollups), dims)
        cache = self.catalog.compiled
        out: Leaf | None = cache.get(key)
        if out is None:
            if len(cache) >= COMPILED_CACHE_SIZE:
                cache.pop(next(iter(cache), None), None)
            out = cache[key] = serve(leaf, rollups, ctx)
        return out

    def _foreign(self, leaves: list[Leaf], version: int) -> frozenset[str]:
        """Sources with amounts in another currency, checked once per data version."""
        out = set()
        cache = self.catalog.currencies
        for source in {leaf.source.name: leaf.source for leaf in leaves}.values():
            table = source.currency_table
            if table is None:
                continue
            key = (self.store.url, table, self.base_currency, version)
            if key not in cache:
                cache[key] = rollups_repo.has_other_currency(self.store, table, self.base_currency)
            if cache[key]:
                out.add(source.name)
        return frozenset(out)

    def _sql(self, group: list[Leaf], ctx: Context, bucket: DateRange | None, dialect: str) -> str:
        """Compiled SQL, cached per catalog: a dashboard asks the same questions again."""
        cache = self.catalog.compiled
        key = (tuple((leaf.key, leaf.metric.source) for leaf in group), ctx, bucket, dialect)
        sql: str | None = cache.get(key)
        if sql is None:
            if len(cache) >= COMPILED_CACHE_SIZE:
                cache.pop(next(iter(cache), None), None)
            sql = cache[key] = to_sql(compile_group(group, ctx, bucket), dialect)
        return sql

    def _snapshot_sql(
        self, group: list[Leaf], ctx: Context, ends: tuple[tuple[date, DateRange], ...],
        dialect: str,
    ) -> str:  # fmt: skip
        cache = self.catalog.compiled
        key = (tuple((leaf.key, leaf.metric.source) for leaf in group), ctx, ends, dialect)
        sql: str | None = cache.get(key)
        if sql is None:
            if len(cache) >= COMPILED_CACHE_SIZE:
                cache.pop(next(iter(cache), None), None)
            rel = compile_snapshots(group, ctx, [bucket for _, bucket in ends])
            sql = cache[key] = to_sql(rel, dialect)
        return sql

    def run(self, request: MetricRequest) -> MetricResult:
        started = time.perf_counter()
        plan = self.plan(request)
        tables = self._fetch(plan.all_queries())
        current = self._compose(plan, plan.queries, tables, request.range)
        if plan.extended:
            current.extended = self._compose(
                plan, plan.extended, tables, self.extend(request.range, request, plan.roots)
            )
        previous = None
        if request.compare is not None:
            other = request.comparison
            assert other is not None
            previous = self._compose(plan, [*plan.comparison, *plan.shared], tables, other)
            if plan.extended_comparison:
                previous.extended = self._compose(
                    plan, plan.extended_comparison, tables, self.extend(other, request, plan.roots)
                )
        elapsed = time.perf_counter() - started
        return build_result(plan.roots, request, current, previous, self.catalog, elapsed)

    def _fetch(self, queries: list[Query]) -> dict[int, pa.Table]:
        """Run the statements, a few at a time: each is small, and reads do not block reads."""
        if len(queries) == 1:
            return {id(queries[0]): self.store.fetch_arrow(queries[0].sql)}
        results = _pool().map(lambda q: self.store.fetch_arrow(q.sql), queries)
        return {id(q): t for q, t in zip(queries, results, strict=True)}

    def _compose(
        self, plan: Plan, queries: list[Query], tables: dict[int, pa.Table], rng: DateRange
    ) -> Composer:
        values: dict[str, dict[RowKey, Any]] = defaultdict(dict)
        fx_missing = 0
        for query in queries:
            table = tables[id(query)]
            cols = table.to_pydict()
            n = table.num_rows
            if query.ends:
                _spread_ends(query, cols, n, plan.request.by, values)
                continue
            for r in range(n):
                key: RowKey = (_as_date(cols["period"][r]),
                               *(cols[d][r] for d in plan.request.by))  # fmt: skip
                for i, leaf in enumerate(query.leaves):
                    values[leaf.key][key] = cols[f"v{i}"][r]
                fx_missing += int(cols.get("fx_missing", [0] * n)[r] or 0)
        periods = [
            bucket_start(b.start, plan.request.grain, self.fiscal_start_month)
            if plan.request.grain else rng.start
            for b in buckets(rng, plan.request.grain, self.fiscal_start_month)
        ]  # fmt: skip
        return Composer(
            values, periods, len(plan.request.by), fx_missing, plan.request.grain,
            self.fiscal_start_month, rng,
        )  # fmt: skip


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """One small pool per process: its threads keep their read cursors between queries."""
    return ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="metrics-read")


EPOCH = date(1970, 1, 1)


def _spread_ends(
    query: Query, cols: dict[str, list[Any]], n: int, by: tuple[str, ...],
    values: dict[str, dict[RowKey, Any]],
) -> None:  # fmt: skip
    """Values of a statement answering several period ends, as rows of each end's label."""
    for r in range(n):
        dims = tuple(cols[d][r] for d in by)
        for j, (label, _) in enumerate(query.ends):
            if cols.get(f"n{j}", [1] * n)[r]:  # a statement of that end alone has this row
                for i, leaf in enumerate(query.leaves):
                    values[leaf.key][(label, *dims)] = cols[f"v{i}_{j}"][r]


def _as_date(value: Any) -> date:
    if hasattr(value, "date") and callable(value.date):
        result: date = value.date()
        return result
    assert isinstance(value, date)
    return value
