"""The metric catalog: built-in and workspace definitions, validated together, variants applied."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salesmetrics.domain.errors import DefinitionError, QueryError
from salesmetrics.metrics import expr as ex
from salesmetrics.metrics.loader import (
    Loc,
    Located,
    YamlSyntaxError,
    builtin_files,
    parse_yaml,
    read_definitions,
    user_files,
)
from salesmetrics.metrics.sources import SOURCES
from salesmetrics.metrics.spec import Agg, Axis, MetricDef, MetricType, Option

PERIOD_NAMES = {"period_start", "period_end"}


def suggest(name: str, known: list[str]) -> str:
    """'; did you mean x?' plus where to look, for an unknown name."""
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    if len(known) <= 12:
        return f"{hint}; known: {', '.join(known)}"
    return f"{hint} (`salesmetrics metrics list` shows them all)"


_NO_AXIS = Axis(default="-", options={"-": Option()})


@dataclass(frozen=True)
class Entry:
    metric: MetricDef
    where: str  # file:line of its definition
    builtin: bool


class Catalog:
    """Every metric a workspace can use, by name."""

    def __init__(self, entries: Mapping[str, Entry]) -> None:
        self.entries = dict(entries)
        self.compiled: dict[Any, Any] = {}  # compiled SQL and planned metric trees
        self.currencies: dict[Any, bool] = {}  # (store, table, base, data version) -> foreign?

    def names(self, *, include_hidden: bool = False) -> list[str]:
        return [n for n, e in self.entries.items() if include_hidden or not e.metric.hidden]

    def get(self, name: str) -> MetricDef:
        entry = self.entries.get(name)
        if entry is None:
            raise QueryError(f"unknown metric '{name}'{suggest(name, self.names())}")
        return entry.metric

    def resolve(self, name: str, choices: Mapping[str, str]) -> tuple[MetricDef, dict[str, str]]:
        """The metric with its variant options applied, and the choices in force."""
        metric = self.get(name)
        in_force: dict[str, str] = {}
        for axis_name, axis in metric.variants.items():
            option = choices.get(axis_name, axis.default)
            if option not in axis.options:
                raise QueryError(
                    f"metric '{name}' has no variant {axis_name}={option}; options: "
                    + ", ".join(axis.options)
                )
            in_force[axis_name] = option
            metric = apply_option(metric, axis.options[option])
        return metric, in_force

    def check_choices(self, names: Iterable[str], choices: Mapping[str, str]) -> None:
        """Every chosen axis must belong to one of the requested metrics."""
        tree = self._closure(names)
        axes = {a for n in tree for a in self.get(n).variants}
        unknown = sorted(set(choices) - axes)
        if unknown:
            known = ", ".join(sorted(axes)) or "none"
            raise QueryError(f"unknown variant {', '.join(unknown)}; these metrics have: {known}")
        for axis, option in choices.items():
            options = {o for n in tree for o in self.get(n).variants.get(axis, _NO_AXIS).options}
            if option not in options:
                raise QueryError(
                    f"no variant {axis}={option}; options: {', '.join(sorted(options))}"
                )

    def _closure(self, names: Iterable[str]) -> list[str]:
        """The metrics and every metric they are computed from."""
        seen: dict[str, None] = {}
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen or name not in self.entries:
                continue
            seen[name] = None
            todo += references(self.entries[name].metric)
        return list(seen)


def apply_option(metric: MetricDef, option: Option) -> MetricDef:
    """Override the fields an option sets; `expr`/`agg` go to the measure of simple metrics."""
    update: dict[str, Any] = {
        k: v
        for k, v in option.model_dump(exclude_none=True, exclude={"description"}).items()
        if k not in ("expr", "agg", "measure", "params")
    }
    if option.measure is not None:
        update["measure"] = option.measure
    if option.params:
        update["params"] = {**metric.params, **option.params}
    simple_like = metric.type in (MetricType.SIMPLE,)
    if option.expr is not None and not simple_like:
        update["expr"] = option.expr
    if simple_like and (option.expr is not None or option.agg is not None):
        base = update.get("measure", metric.measure)
        assert base is not None
        changes: dict[str, Any] = {}
        if option.expr is not None:
            changes["expr"] = option.expr
        if option.agg is not None:
            changes["agg"] = option.agg
        update["measure"] = base.model_copy(update=changes)
    return metric.model_copy(update=update)


def load_catalog(user_folder: Path | None = None) -> Catalog:
    """Built-in plus workspace definitions; every problem in any file is reported at once."""
    files = [(n, t, True) for n, t in builtin_files()]
    files += [(n, t, False) for n, t in user_files(user_folder)]
    return catalog_from_texts(files)


def catalog_from_texts(files: list[tuple[str, str, bool]]) -> Catalog:
    problems: list[str] = []
    patched: list[tuple[MetricDef, Located, Loc]] = []
    entries: dict[str, Entry] = {}
    located: dict[str, tuple[Located, Loc]] = {}
    for name, text, builtin in files:
        try:
            parsed_yaml = parse_yaml(text, name)
        except YamlSyntaxError as exc:
            problems.append(str(exc))
            continue
        parsed = read_definitions(parsed_yaml)
        problems += parsed.problems
        patched += [(m, f, loc) for m, f, loc in parsed.patched]
        for metric, loc_file, loc in parsed.metrics:
            where = loc_file.where(loc)
            if metric.name in entries:
                problems.append(
                    f"{loc_file.where((*loc, 'name'))}: metric '{metric.name}' is already "
                    f"defined at {entries[metric.name].where}"
                )
                continue
            entries[metric.name] = Entry(metric, where, builtin)
            located[metric.name] = (loc_file, loc)
    catalog = Catalog(entries)
    checks = [(catalog.entries[n].metric, f, loc) for n, (f, loc) in located.items()]
    for metric, loc_file, loc in checks + patched:
        for field, message in check_metric(catalog, metric):
            problems.append(f"{loc_file.where((*loc, *field))}: metric '{metric.name}': {message}")
    problems += _cycles(catalog)
    if problems:
        raise DefinitionError(sorted(problems, key=_by_place))
    return catalog


def _by_place(problem: str) -> tuple[str, int, str]:
    """Sort problems by file, then line."""
    file, _, rest = problem.partition(":")
    line, _, _ = rest.partition(":")
    return (file, int(line) if line.isdigit() else 0, problem)


def references(metric: MetricDef) -> list[str]:
    """The metrics this one is computed from (variants included)."""
    out: list[str] = []
    for m in [metric, *(apply_option(metric, o) for a in metric.variants.values()
                        for o in a.options.values())]:  # fmt: skip
        out += [x for x in (m.numerator, m.denominator, m.metric) if x]
        if m.type is MetricType.DERIVED and m.expr:
            with contextlib.suppress(ex.ExprError):
                out += sorted(ex.names(m.expr))
        if m.interval:
            out += [m.interval.promoters, m.interval.detractors, m.interval.total]
    return list(dict.fromkeys(out))


Problem = tuple[tuple[str | int, ...], str]


def check_metric(catalog: Catalog, metric: MetricDef) -> list[Problem]:
    """Named rules over one definition and each of its variant options."""
    problems: list[Problem] = []
    for axis_name, axis in metric.variants.items():
        if axis.default not in axis.options:
            problems.append(
                (("variants", axis_name, "default"),
                 f"default '{axis.default}' is not an option ({', '.join(axis.options)})")
            )  # fmt: skip
    variants = [((), metric)] + [
        (("variants", a, "options", o), apply_option(metric, opt))
        for a, axis in metric.variants.items()
        for o, opt in axis.options.items()
    ]
    seen: set[str] = set()
    for prefix, m in variants:
        for field, msg in _check_shape(catalog, m):
            text = f"{msg}" if not prefix else f"{msg} (variant {prefix[1]}={prefix[3]})"
            if text not in seen:
                seen.add(text)
                problems.append(((*prefix, *field) if prefix else field, text))
    return problems


def _check_shape(catalog: Catalog, m: MetricDef) -> list[Problem]:
    t = m.type
    if t in (MetricType.SIMPLE, MetricType.CONVERSION):
        return _check_simple(m)
    if t is MetricType.RATIO:
        return _need(catalog, m, ("numerator", "denominator"))
    if t is MetricType.CUMULATIVE:
        problems = _need(catalog, m, ("metric",))
        base = catalog.entries.get(m.metric or "")
        additive = (
            base is not None
            and base.metric.type is MetricType.SIMPLE
            and (
                base.metric.measure is not None and base.metric.measure.agg in (Agg.SUM, Agg.COUNT)
            )
            and not base.metric.at_period_end
            and not base.metric.window
        )
        if base is not None and not additive:
            problems.append((("metric",), f"'{m.metric}' is not a sum or a count to add up"))
        return problems
    if not m.expr:
        return [(("expr",), "a derived metric needs 'expr' over other metrics")]
    try:
        used = ex.names(m.expr)
        ex.check_between_metrics(m.expr)
    except ex.ExprError as exc:
        return [(("expr",), str(exc))]
    return [
        (("expr",), f"unknown metric '{n}' in expr{suggest(n, catalog.names())}")
        for n in sorted(used)
        if n not in catalog.entries
    ]


def _need(catalog: Catalog, m: MetricDef, fields: tuple[str, ...]) -> list[Problem]:
    out: list[Problem] = []
    for f in fields:
        value = getattr(m, f)
        if not value:
            out.append(((f,), f"a {m.type.value} metric needs '{f}'"))
        elif value not in catalog.entries:
            out.append(((f,), f"unknown metric '{value}'{suggest(value, catalog.names())}"))
    return out


def _check_simple(m: MetricDef) -> list[Problem]:
    if not m.source:
        return [(("source",), f"a {m.type.value} metric needs 'source'; known: "
                 + ", ".join(SOURCES))]  # fmt: skip
    source = SOURCES.get(m.source)
    if source is None:
        return [(("source",), f"unknown source '{m.source}'; known: {', '.join(SOURCES)}")]
    problems: list[Problem] = []
    columns = set(source.column_names())
    allowed = columns | set(m.params) | PERIOD_NAMES | {"true", "false"}
    texts: list[tuple[tuple[str | int, ...], str]] = [
        (("filters", i), f) for i, f in enumerate(m.filters)
    ]
    if m.type is MetricType.SIMPLE:
        if m.measure is None:
            problems.append((("measure",), "a simple metric needs 'measure'"))
        elif m.measure.expr:
            texts.append((("measure", "expr"), m.measure.expr))
        elif m.measure.agg not in (Agg.COUNT,) and not m.measure.per:
            problems.append((("measure", "expr"), f"agg '{m.measure.agg}' needs an expr"))
        if m.measure is not None and m.measure.per and m.measure.per not in columns:
            problems.append((("measure", "per"), f"unknown column '{m.measure.per}'"))
    else:
        if not m.converted:
            problems.append((("converted",), "a conversion metric needs 'converted'"))
        else:
            texts.append((("converted",), m.converted))
    for name, extra in (("at_period_end", m.at_period_end), ("window", m.window)):
        if extra:
            texts.append(((name,), extra))
    per_period = bool(m.at_period_end or m.window)
    for field, text in texts:
        try:
            used = ex.names(text)
        except ex.ExprError as exc:
            problems.append((field, str(exc)))
            continue
        for col in sorted(used - allowed):
            close = difflib.get_close_matches(col, sorted(columns), n=2)
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            problems.append(
                (field, f"unknown column '{col}' in '{text}'; {hint}{m.source} has: "
                 + ", ".join(sorted(columns)))
            )  # fmt: skip
        if used & PERIOD_NAMES and not per_period:
            problems.append((field, "period_start and period_end exist only in metrics "
                             "measured per period (at_period_end or window)"))  # fmt: skip
        inner = field == ("measure", "expr") and m.measure is not None and m.measure.per
        if not inner and ex.uses_aggregate(text):
            problems.append((field, f"'{text}': aggregates (any, count, sum …) belong only "
                             "in the measure.expr of a measure with 'per'"))  # fmt: skip
    if m.time and m.time not in source.time:
        problems.append((("time",), f"'{m.time}' is not a time column of {m.source}; use "
                         + " or ".join(source.time)))  # fmt: skip
    for i, dim in enumerate(m.dimensions or []):
        if source.dimension(dim) is None:
            problems.append((("dimensions", i), f"unknown dimension '{dim}' for {m.source}; "
                             + "known: " + ", ".join(source.dimension_names())))  # fmt: skip
    return problems


def _cycles(catalog: Catalog) -> list[str]:
    problems: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2 or name not in catalog.entries:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*path[path.index(name) :], name])
            problems.append(f"{catalog.entries[name].where}: metric '{name}' refers to itself: "
                            f"{cycle}")  # fmt: skip
            return
        state[name] = 1
        for ref in references(catalog.entries[name].metric):
            visit(ref, [*path, name])
        state[name] = 2

    for name in catalog.entries:
        visit(name, [])
    return problems
