"""Metric use cases: query, explain, list, show, validate; user KPIs live beside the data."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from salesmetrics.domain.access import EVERYTHING, Scope
from salesmetrics.domain.errors import DefinitionError, QueryError
from salesmetrics.domain.periods import (
    DateRange,
    parse_compare,
    parse_grain,
    parse_period,
)
from salesmetrics.domain.settings import WorkspaceSettings
from salesmetrics.metrics.catalog import Catalog, catalog_from_texts, load_catalog
from salesmetrics.metrics.compile import DimFilter
from salesmetrics.metrics.engine import Engine
from salesmetrics.metrics.loader import builtin_files
from salesmetrics.metrics.plan import MetricRequest, Planner, all_leaves, nodes
from salesmetrics.metrics.result import MetricResult
from salesmetrics.metrics.rollups import (
    DayRange,
    day_ranges,
    days_sql,
    for_days,
    full_sql,
    keyed_by,
)
from salesmetrics.metrics.sources import ROLLUPS, any_source
from salesmetrics.metrics.spec import MetricDef
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import deal_flow
from salesmetrics.storage.repositories import rollups as rollups_repo

if TYPE_CHECKING:
    from salesmetrics.services.workspace import Workspace

METRICS_DIR_ENV = "SALESMETRICS_METRICS_DIR"


def metrics_dir(url: str) -> Path:
    """Where a workspace's own metric YAML files live: $SALESMETRICS_METRICS_DIR, else beside
    a DuckDB file (`shop.duckdb` -> `shop.metrics/`), else `./salesmetrics.metrics/`."""
    env = os.environ.get(METRICS_DIR_ENV)
    if env:
        return Path(env)
    if "://" not in url:
        path = Path(url)
        return path.with_name(path.stem + ".metrics")
    return Path("salesmetrics.metrics")


def parse_filter(text: str) -> DimFilter:
    """`rep=Olena`, `channel!=SEO`, `region=Kyiv|Lviv`."""
    negate = "!=" in text
    name, sep, values = text.partition("!=" if negate else "=")
    if not sep or not name.strip() or not values.strip():
        raise QueryError(
            f"filter '{text}' is not DIMENSION=VALUE: e.g. rep=Olena, channel!=SEO, "
            "region=Kyiv|Lviv"
        )
    return DimFilter(name.strip(), tuple(v.strip() for v in values.split("|")), negate)


def segment_filter(scope: Scope) -> tuple[DimFilter, ...]:
    """The filter of a view narrowed to one customer segment (none otherwise)."""
    return () if scope.segment is None else (DimFilter("segment", (scope.segment,)),)


def _splits(metric: MetricDef, dimension: str) -> bool:
    """Whether a leaf metric's rows can be narrowed by `dimension`: a view narrowed to some
    reps needs the source's rep; one narrowed to a segment, a segment filter the metric takes."""
    found = any_source(metric.source or "").dimension(dimension) is not None
    allowed = metric.dimensions
    return found and (dimension == "rep" or allowed is None or dimension in allowed)


def parse_variants(items: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        axis, sep, option = item.partition("=")
        if not sep or not axis or not option:
            raise QueryError(f"variant '{item}' is not AXIS=OPTION, e.g. returns=gross")
        out[axis.strip()] = option.strip()
    return out


@dataclass(frozen=True)
class Explanation:
    """How a query is computed: definitions and variants in force, and every SQL statement."""

    request: MetricRequest
    definitions: list[dict[str, Any]]
    queries: list[dict[str, Any]]
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        r = self.request
        return {
            "metrics": list(r.metrics),
            "period": str(r.range),
            "grain": r.grain.value if r.grain else None,
            "by": list(r.by),
            "filters": [str(f) for f in r.filters],
            "compare": r.compare.value if r.compare else None,
            "comparison_period": str(r.comparison) if r.comparison else None,
            "definitions": self.definitions,
            "queries": self.queries,
            "notes": self.notes,
        }


class MetricsService:
    """The metric engine bound to one workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._catalog: Catalog | None = None

    @property
    def folder(self) -> Path:
        return metrics_dir(self.ws.store.url)

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = load_catalog(self.folder)
        return self._catalog

    def engine(
        self, *, use_rollups: bool = True, settings: WorkspaceSettings | None = None
    ) -> Engine:
        s = settings or self.ws.settings
        return Engine(
            self.ws.store, self.catalog, time_zone=s.time_zone,
            base_currency=s.base_currency, fiscal_start_month=s.fiscal_year_start_month,
            use_rollups=use_rollups,
        )  # fmt: skip

    def refresh_rollups(self) -> dict[str, int]:
        """Rebuild every daily rollup from the current data; rows per rollup."""
        return refresh_rollups(self.ws)

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.ws.settings.time_zone)).date()

    def request(
        self, metrics: Sequence[str], *, period: str = "this_month", grain: str | None = None,
        by: Sequence[str] = (), filters: Sequence[str | DimFilter] = (),
        compare: str | None = None, variants: Mapping[str, str] | None = None,
        as_of: date | None = None, settings: WorkspaceSettings | None = None,
        scope: Scope = EVERYTHING,
    ) -> MetricRequest:  # fmt: skip
        s = settings or self.ws.settings
        today = as_of or datetime.now(ZoneInfo(s.time_zone)).date()
        rng: DateRange = parse_period(period, today, s.fiscal_year_start_month)
        return MetricRequest(
            metrics=tuple(metrics), range=rng, grain=parse_grain(grain), by=tuple(by),
            filters=(*(f if isinstance(f, DimFilter) else parse_filter(f) for f in filters),
                     *segment_filter(scope)),
            compare=parse_compare(compare), variants=dict(variants or {}),
            fiscal_start_month=s.fiscal_year_start_month, scope=scope,
        )  # fmt: skip

    def query(self, metrics: Sequence[str], **options: Any) -> MetricResult:
        """Compute metrics; see `request` for the options (period, grain, by, filters ...,
        and `scope`: the records of the asker's view, every record by default)."""
        settings = self.ws.settings  # read once per query
        request = self.request(metrics, settings=settings, **options)
        return self.engine(settings=settings).run(request)

    def readable(self, names: Sequence[str], scope: Scope) -> list[str]:
        """The metrics of `names` a view can be shown: all for a view of every record; for a
        view narrowed to some reps, those built only on data that belongs to reps (not a cost
        per customer, which divides the company's marketing spend)."""
        if scope.everything and scope.segment is None:
            return list(names)
        today = self.today()
        wanted = [*(() if scope.everything else ("rep",)),
                  *(() if scope.segment is None else ("segment",))]  # fmt: skip
        out = []
        for name in names:
            request = MetricRequest((name,), DateRange(today, today))
            leaves = all_leaves(Planner(self.catalog).plan(request))
            if all(_splits(leaf.metric, dim) for leaf in leaves for dim in wanted):
                out.append(name)
        return out

    def run(self, request: MetricRequest) -> MetricResult:
        return self.engine().run(request)

    def explain(self, metrics: Sequence[str], **options: Any) -> Explanation:
        """The SQL, the definitions and the variants in force, without running anything."""
        engine = self.engine()
        request = self.request(metrics, **options)
        plan = engine.plan(request)
        definitions = []
        for node in nodes(plan.roots):
            key = node.key
            m = node.metric
            definitions.append({
                "metric": m.name, "key": key, "type": m.type.value,
                "description": m.description.en, "variants": node.choices,
                "source": m.source, "measure": m.measure.model_dump() if m.measure else None,
                "filters": m.filters, "time": m.time, "numerator": m.numerator,
                "denominator": m.denominator, "expr": m.expr, "at_period_end": m.at_period_end,
                "defined_at": self.catalog.entries[m.name].where,
            })  # fmt: skip
        parts = [("current", plan.queries), ("comparison", plan.comparison),
                 ("cumulative parts, from the reset point", plan.extended),
                 ("cumulative parts of the comparison", plan.extended_comparison)]  # fmt: skip
        queries = [
            {"range": label, "leaves": [leaf.key for leaf in q.leaves],
             "reads": sorted({leaf.metric.source or "" for leaf in q.leaves}),
             "period": str(q.bucket or q.range), "sql": q.sql}
            for label, group in parts for q in group
        ]  # fmt: skip
        s = self.ws.settings
        notes = [
            f"periods are cut in {s.time_zone}; timestamps are stored in UTC",
            f"money is converted to {s.base_currency} at the rate of each transaction's date "
            "(the latest fx rate on or before it)",
            "percent metrics are fractions (0.25 = 25 %); rates carry a Wilson 95 % interval",
        ]
        return Explanation(request, definitions, queries, notes)

    def list(self, *, include_hidden: bool = False) -> list[MetricDef]:
        return [self.catalog.get(n) for n in self.catalog.names(include_hidden=include_hidden)]

    def show(self, name: str) -> tuple[MetricDef, str]:
        metric = self.catalog.get(name)
        return metric, self.catalog.entries[name].where


def refresh_rollups(ws: Workspace) -> dict[str, int]:
    """Rebuild the daily rollups (after any write): one transaction each, not a data change."""
    tz, dialect = ws.settings.time_zone, ws.store.dialect.value
    out: dict[str, int] = {}
    present = rollups_repo.existing(ws.store, [r.table for r in ROLLUPS])
    for rollup in (r for r in ROLLUPS if r.table in present):  # never built: never read
        columns, sql = full_sql(rollup, tz, dialect)
        work = functools.partial(_rebuild, table=rollup.table, columns=columns, sql=sql)
        out[rollup.table] = ws.store.write(work, changes_data=False)
    if set(deal_flow.DERIVED) <= rollups_repo.existing(ws.store, list(deal_flow.DERIVED)):
        out[deal_flow.VISITS] = ws.store.write(deal_flow.rebuild_visits, changes_data=False)
    return out


def _rebuild(tx: WriteTx, *, table: str, columns: list[str], sql: str) -> int:
    return rollups_repo.rebuild(tx, table, columns, sql)


Changed = Mapping[str, Sequence[tuple[Mapping[str, Any] | None, Mapping[str, Any]]]]


def warm_up(time_zone: str, dialect: str) -> None:
    """Compile the rollups' day statements ahead (tens of ms each, not inside a write)."""
    for rollup in ROLLUPS:
        days_sql(rollup, time_zone, dialect)


def compile_rebuild_ahead(ws: Workspace) -> threading.Thread:
    """Compile the full rebuild statements in the background (about 50 ms of Python each),
    while the caller reads and converts a file; `refresh_rollups` then finds them ready."""
    tz, dialect = ws.settings.time_zone, ws.store.dialect.value

    def run() -> None:
        for rollup in ROLLUPS:
            full_sql(rollup, tz, dialect)

    thread = threading.Thread(target=run, name="compile-rollups", daemon=True)
    thread.start()
    return thread


def keep_rollups_fresh(tx: WriteTx, time_zone: str, changed: Changed) -> bool:
    """Inside a write that changed these records (per table: each one's row before, None when
    new, and after), move the data version on and bring every rollup that was fresh up to it
    by rebuilding just the local days the records were or now are on: the same rows a full
    rebuild gives, without holding the writer for one. Whether every rollup is fresh now (one
    that was stale before, e.g. never built, waits for a full rebuild)."""
    was = rollups_repo.built(tx)
    version = rollups_repo.bump_data_version(tx)
    fresh: list[str] = []
    touched: dict[tuple[str, str], list[DayRange]] = {}  # per (table, time column): asked once

    def ranges(home: str, column: str) -> list[DayRange]:
        if (home, column) not in touched:
            instants = {
                at
                for before, after in changed.get(home, ())
                for row in (before, after)
                if row is not None and (at := row.get(column)) is not None
            }
            days = rollups_repo.local_days(tx, time_zone, sorted(instants)) if instants else ()
            touched[home, column] = day_ranges(days)
        return touched[home, column]

    for rollup in ROLLUPS:
        if was.get(rollup.table) != version - 1:
            continue
        if spans := ranges(*keyed_by(rollup)):
            columns, template = days_sql(rollup, time_zone, tx.dialect.value)
            key = rollup.times[0] if rollup.times else "day"
            for days in spans:
                sql = for_days(template, days)
                rollups_repo.replace_days(tx, rollup.table, columns, sql, key, [days])
        fresh.append(rollup.table)
    if all(was.get(t) == version - 1 for t in deal_flow.DERIVED):
        deals = {
            row["deal_id"] if table == "deal_stage_changes" else row["id"]
            for table in ("deal_stage_changes", "deals")
            for before, after in changed.get(table, ())
            for row in (before, after)
            if row is not None and row.get("deal_id" if table == "deal_stage_changes" else "id")
        }
        deal_flow.refresh_visits(tx, deals)
        fresh.extend(deal_flow.DERIVED)
    rollups_repo.mark_built(tx, fresh, version)
    expected = [*(r.table for r in ROLLUPS), *deal_flow.DERIVED]
    return len(fresh) == sum(1 for t in expected if t in was)


def validate_files(paths: Sequence[Path]) -> list[str]:
    """Check metric files together with the built-ins; every problem, each with file:line."""
    files: list[tuple[str, str, bool]] = [(n, t, True) for n, t in builtin_files()]
    for path in paths:
        if not path.exists():
            return [f"{path}: no such file or folder"]
        targets = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
        for p in targets:
            try:
                files.append((str(p), p.read_text(encoding="utf-8"), False))
            except OSError as exc:
                return [f"{p}: cannot read: {exc.strerror}"]
    try:
        catalog_from_texts(files)
    except DefinitionError as exc:
        return exc.problems
    return []
