"""Plan a metric request: resolve each metric's tree (variants applied) down to leaf measures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from salesmetrics.domain.access import EVERYTHING, Scope
from salesmetrics.domain.errors import QueryError
from salesmetrics.domain.periods import Compare, DateRange, Grain, comparison_range
from salesmetrics.metrics import expr as ex
from salesmetrics.metrics.catalog import Catalog
from salesmetrics.metrics.compile import DimFilter, Leaf
from salesmetrics.metrics.sources import SOURCES
from salesmetrics.metrics.spec import MetricDef, MetricType


@dataclass(frozen=True)
class MetricRequest:
    """What to compute: metrics x dimensions x grain x range x filters x comparison."""

    metrics: tuple[str, ...]
    range: DateRange
    grain: Grain | None = None
    by: tuple[str, ...] = ()
    filters: tuple[DimFilter, ...] = ()
    compare: Compare | None = None
    variants: Mapping[str, str] = field(default_factory=dict)
    fiscal_start_month: int = 1
    scope: Scope = EVERYTHING  # the records the asker sees (domain.access)

    @property
    def comparison(self) -> DateRange | None:
        """The range the comparison reads, if any."""
        if self.compare is None:
            return None
        return comparison_range(self.range, self.compare, self.fiscal_start_month)


@dataclass
class Node:
    """A metric in the plan, with the variant options in force and its parts."""

    key: str
    metric: MetricDef
    choices: dict[str, str]
    children: dict[str, Node] = field(default_factory=dict)
    leaves: list[Leaf] = field(default_factory=list)


def node_key(name: str, choices: Mapping[str, str]) -> str:
    return name + "".join(f"[{a}={o}]" for a, o in sorted(choices.items()))


class Planner:
    """Builds nodes for a request; shared parts become one node (and one leaf)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.nodes: dict[str, Node] = {}

    def plan(self, request: MetricRequest) -> list[Node]:
        if not request.metrics:
            raise QueryError("name at least one metric; `salesmetrics metrics list` shows them")
        self.catalog.check_choices(request.metrics, request.variants)
        roots = [self.node(name, request.variants) for name in request.metrics]
        for root in roots:
            self._check_dimensions(root, request)
        return roots

    def node(self, name: str, wanted: Mapping[str, str]) -> Node:
        base = self.catalog.get(name)
        chosen = {a: o for a, o in wanted.items() if a in base.variants and o in
                  base.variants[a].options}  # fmt: skip
        metric, in_force = self.catalog.resolve(name, chosen)
        key = node_key(name, in_force)
        if key in self.nodes:
            return self.nodes[key]
        node = Node(key, metric, in_force)
        self.nodes[key] = node
        if metric.type is MetricType.SIMPLE:
            node.leaves = [Leaf(key, metric)]
        elif metric.type is MetricType.CONVERSION:
            converted = Leaf(f"{key}#converted", metric, condition=metric.converted)
            node.leaves = [Leaf(f"{key}#total", metric), converted]
        else:
            for ref in self._parts(metric):
                node.children[ref] = self.node(ref, {**wanted, **in_force})
        return node

    @staticmethod
    def _parts(metric: MetricDef) -> list[str]:
        refs = [r for r in (metric.numerator, metric.denominator, metric.metric) if r]
        if metric.type is MetricType.DERIVED and metric.expr:
            refs += sorted(ex.names(metric.expr))
        if metric.interval:
            i = metric.interval
            refs += [i.promoters, i.detractors, i.total]
        return list(dict.fromkeys(refs))

    def _check_dimensions(self, root: Node, request: MetricRequest) -> None:
        wanted = list(dict.fromkeys([*request.by, *(f.dimension for f in request.filters)]))
        for leaf in all_leaves([root]):
            source = SOURCES[leaf.metric.source or ""]
            allowed = leaf.metric.dimensions
            for dim in wanted:
                ok = source.dimension(dim) is not None and (allowed is None or dim in allowed)
                if not ok:
                    names = [d for d in source.dimension_names() if allowed is None or d in allowed]
                    raise QueryError(
                        f"metric '{root.metric.name}' cannot be broken down by '{dim}'; "
                        f"it can be by: {', '.join(names)}"
                    )


def all_leaves(roots: list[Node], *, cumulative: bool = False) -> list[Leaf]:
    """Leaves to compute over the request's range, or (cumulative=True) the leaves under
    cumulative metrics, computed over the range extended back to the reset point."""
    seen: dict[str, Leaf] = {}

    def walk(node: Node, under: bool) -> None:
        if under == cumulative:
            for leaf in node.leaves:
                seen.setdefault(leaf.key, leaf)
        for child in node.children.values():
            walk(child, under or node.metric.type is MetricType.CUMULATIVE)

    for root in roots:
        walk(root, False)
    return list(seen.values())


def nodes(roots: list[Node]) -> list[Node]:
    """Every node of the plan once, roots first."""
    seen: dict[str, Node] = {}

    def visit(node: Node) -> None:
        if node.key not in seen:
            seen[node.key] = node
            for child in node.children.values():
                visit(child)

    for root in roots:
        visit(root)
    return list(seen.values())
