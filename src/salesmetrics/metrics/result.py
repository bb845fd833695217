"""A metric query's answer: an Arrow table plus what each column means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from salesmetrics.metrics.catalog import Catalog
from salesmetrics.metrics.compose import Composer, RowKey
from salesmetrics.metrics.plan import MetricRequest, Node
from salesmetrics.metrics.spec import Agg, MetricType, Unit
from salesmetrics.metrics.stats import nps_interval, poisson_p, two_proportion_p, wilson

INTEGER_UNITS = (Unit.MONEY, Unit.COUNT)
NOISE_P = 0.05


@dataclass(frozen=True)
class MetricInfo:
    """A result column's metric: name, labels, unit, direction and variants in force."""

    name: str
    label: dict[str, str]
    unit: str
    direction: str
    variants: dict[str, str]
    interval: bool


@dataclass(frozen=True)
class MetricResult:
    """Rows of period x dimensions with each metric's value (and interval, comparison)."""

    table: pa.Table
    request: MetricRequest
    metrics: list[MetricInfo]
    warnings: list[str]
    seconds: float

    def rows(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self.table.to_pylist()
        return out

    def column(self, name: str) -> list[Any]:
        values: list[Any] = self.table.column(name).to_pylist()
        return values


def _is_rate(node: Node) -> bool:
    m = node.metric
    return m.type is MetricType.CONVERSION or (m.type is MetricType.RATIO and m.proportion)


def _interval(node: Node, comp: Composer, key: RowKey) -> tuple[float, float] | None:
    if _is_rate(node):
        num, den = comp.parts(node, key)
        return wilson(num, den) if num is not None and den else None
    iv = node.metric.interval
    if iv is not None:
        p, d, t = (comp.value(node.children[n], key) for n in (iv.promoters, iv.detractors,
                                                               iv.total))  # fmt: skip
        return nps_interval(p, d, t) if p is not None and d is not None and t else None
    return None


def _significant(node: Node, cur: Composer, prev: Composer, k1: RowKey, k2: RowKey) -> bool | None:
    """Whether the change between the periods is beyond noise (p < 0.05); None if untestable."""
    if _is_rate(node):
        x1, n1 = cur.parts(node, k1)
        x2, n2 = prev.parts(node, k2)
        if None in (x1, n1, x2, n2):
            return None
        p = two_proportion_p(x1 or 0, n1 or 0, x2 or 0, n2 or 0)
    elif (
        node.metric.type is MetricType.SIMPLE
        and node.metric.measure
        and (node.metric.measure.agg in (Agg.COUNT, Agg.COUNT_DISTINCT, Agg.COUNT_TRUE))
    ):
        p = poisson_p(cur.value(node, k1) or 0, prev.value(node, k2) or 0,
                      cur.days(k1[0]), prev.days(k2[0]))  # fmt: skip
    else:
        return None
    return None if p is None else p < NOISE_P


def _round(value: float | None, unit: Unit) -> float | int | None:
    if value is None:
        return None
    return round(value) if unit in INTEGER_UNITS else value


def build_result(
    roots: list[Node], request: MetricRequest, current: Composer, previous: Composer | None,
    catalog: Catalog, seconds: float,
) -> MetricResult:  # fmt: skip
    keys = current.row_keys()
    prev_keys = _aligned(keys, current, previous) if previous else {}
    columns: dict[str, list[Any]] = {"period": [k[0] for k in keys]}
    for i, dim in enumerate(request.by):
        columns[dim] = [None if k[i + 1] is None else str(k[i + 1]) for k in keys]
    infos: list[MetricInfo] = []
    for node in roots:
        m = node.metric
        name = m.name
        columns[name] = [_round(current.value(node, k), m.unit) for k in keys]
        has_interval = _is_rate(node) or m.interval is not None
        if has_interval:
            ivs = [_interval(node, current, k) for k in keys]
            columns[f"{name}__low"] = [iv[0] if iv else None for iv in ivs]
            columns[f"{name}__high"] = [iv[1] if iv else None for iv in ivs]
        if previous is not None:
            _compare_columns(columns, node, keys, prev_keys, current, previous)
        infos.append(MetricInfo(name, {"en": m.label.en, "uk": m.label.uk}, m.unit.value,
                                m.direction.value, node.choices, has_interval))  # fmt: skip
    warnings = []
    if current.fx_missing:
        warnings.append(
            f"{current.fx_missing} rows in another currency have no exchange rate on or before "
            "their date and were left out: import fx rates (salesmetrics import fx_rates FILE)"
        )
    ints = {
        n
        for node in roots
        if node.metric.unit in INTEGER_UNITS
        for n in (node.metric.name, f"{node.metric.name}__previous")
    }
    return MetricResult(_table(columns, request.by, ints), request, infos, warnings, seconds)


def _aligned(keys: list[RowKey], cur: Composer, prev: Composer | None) -> dict[RowKey, RowKey]:
    """Each current row's counterpart: the same bucket position and dimension values."""
    assert prev is not None
    index = {p: i for i, p in enumerate(cur.periods)}
    return {k: (prev.periods[index[k[0]]], *k[1:]) for k in keys if index[k[0]] < len(prev.periods)}


def _compare_columns(
    columns: dict[str, list[Any]], node: Node, keys: list[RowKey],
    prev_keys: dict[RowKey, RowKey], cur: Composer, prev: Composer,
) -> None:  # fmt: skip
    name, unit = node.metric.name, node.metric.unit
    before, delta, pct, sig = [], [], [], []
    for k in keys:
        pk = prev_keys.get(k)
        now = cur.value(node, k)
        then = prev.value(node, pk) if pk is not None else None
        before.append(_round(then, unit))
        d = None if now is None or then is None else now - then
        delta.append(d)
        pct.append(None if d is None or not then else d / abs(then))
        sig.append(_significant(node, cur, prev, k, pk) if pk is not None else None)
    columns[f"{name}__previous"] = before
    columns[f"{name}__delta"] = delta
    columns[f"{name}__delta_pct"] = pct
    columns[f"{name}__significant"] = sig


def _table(columns: dict[str, list[Any]], dims: tuple[str, ...], ints: set[str]) -> pa.Table:
    arrays = {}
    for name, values in columns.items():
        if name == "period":
            kind: pa.DataType = pa.date32()
        elif name in dims:
            kind = pa.string()
        elif name.endswith("__significant"):
            kind = pa.bool_()
        elif name in ints:
            kind = pa.int64()
        else:
            kind = pa.float64()
            values = [None if v is None else float(v) for v in values]
        arrays[name] = pa.array(values, type=kind)
    return pa.table(arrays)
