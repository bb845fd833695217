"""Compose leaf values into metric values per row: ratios, derived expressions, empty periods."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from salesmetrics.domain.periods import DateRange, Grain, bucket_start, next_bucket
from salesmetrics.metrics import expr as ex
from salesmetrics.metrics.plan import Node
from salesmetrics.metrics.spec import Agg, MetricType

RowKey = tuple[Any, ...]  # (period, *dimension values)
ADDITIVE = (Agg.SUM, Agg.COUNT, Agg.COUNT_DISTINCT, Agg.COUNT_TRUE)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (Decimal, int, float)):
        return float(value)
    if isinstance(value, bool):
        return float(value)
    raise TypeError(f"not a number: {value!r}")


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


class Composer:
    """Leaf values of one range; metric values computed on demand per row key."""

    def __init__(
        self, values: dict[str, dict[RowKey, Any]], periods: list[date], n_dims: int,
        fx_missing: int, grain: Grain | None, fiscal_start_month: int, rng: DateRange,
    ) -> None:  # fmt: skip
        self.values = values
        self.periods = periods
        self.n_dims = n_dims
        self.fx_missing = fx_missing
        self.grain = grain
        self.fiscal_start_month = fiscal_start_month
        self.range = rng
        self.extended: Composer | None = None  # parts of cumulative metrics, from the reset
        self._memo: dict[tuple[str, RowKey], float | None] = {}

    def row_keys(self) -> list[RowKey]:
        """Every period of the spine; with dimensions, every combination seen in the range."""
        if self.n_dims == 0:
            return [(p,) for p in self.periods]
        mine = set(self.periods)
        combos = {k[1:] for leaf in self.values.values() for k in leaf if k[0] in mine}
        if self.extended is not None:
            combos |= {k[1:] for leaf in self.extended.values.values() for k in leaf}
        ordered = sorted(combos, key=lambda c: tuple((v is None, collation_key(v)) for v in c))
        return [(p, *c) for p in self.periods for c in ordered]

    def days(self, label: date) -> int:
        """How many days of the range the period labelled `label` covers."""
        if self.grain is None:
            return self.range.days
        end = min(next_bucket(label, self.grain) - timedelta(days=1), self.range.end)
        return (end - max(label, self.range.start)).days + 1

    def value(self, node: Node, key: RowKey) -> float | None:
        memo_key = (node.key, key)
        if memo_key not in self._memo:
            self._memo[memo_key] = self._compute(node, key)
        return self._memo[memo_key]

    def leaf(self, leaf_key: str, key: RowKey, additive: bool) -> float | None:
        raw = self.values.get(leaf_key, {}).get(key)
        if raw is None:
            return 0.0 if additive else None
        return _num(raw)

    def parts(self, node: Node, key: RowKey) -> tuple[float | None, float | None]:
        """Numerator and denominator of a rate (for intervals and noise tests)."""
        m = node.metric
        if m.type is MetricType.CONVERSION:
            return (self.leaf(f"{node.key}#converted", key, True),
                    self.leaf(f"{node.key}#total", key, True))  # fmt: skip
        assert m.numerator and m.denominator
        return (self.value(node.children[m.numerator], key),
                self.value(node.children[m.denominator], key))  # fmt: skip

    def _compute(self, node: Node, key: RowKey) -> float | None:
        m = node.metric
        if m.type is MetricType.SIMPLE:
            assert m.measure is not None
            return self.leaf(node.key, key, m.measure.agg in ADDITIVE)
        if m.type in (MetricType.CONVERSION, MetricType.RATIO):
            return _div(*self.parts(node, key))
        if m.type is MetricType.CUMULATIVE:
            return self._running(node, key)
        assert m.expr is not None
        return evaluate(m.expr, lambda name: self.value(node.children[name], key))

    def _running(self, node: Node, key: RowKey) -> float | None:
        """The part's total from the reset point through the end of this row's period."""
        ext = self.extended
        assert ext is not None and node.metric.metric is not None
        child, dims = node.children[node.metric.metric], key[1:]
        if self.grain is None:
            return ext.value(child, (ext.periods[0], *dims))
        end = min(next_bucket(key[0], self.grain) - timedelta(days=1), self.range.end)
        reset = date.min
        if node.metric.reset == "year":
            reset = bucket_start(end, Grain.YEAR, self.fiscal_start_month)
        parts = [ext.value(child, (p, *dims)) for p in ext.periods if reset <= p <= key[0]]
        return sum(v for v in parts if v is not None)


UKRAINIAN = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_RANK = {ch: i for i, ch in enumerate(UKRAINIAN)}


def collation_key(value: Any) -> tuple[tuple[int, int], ...]:
    """Sort names as people read them: Ukrainian letters in alphabet order (І after И, not
    before А as in code points), other letters after them, case ignored."""
    text = "" if value is None else str(value).casefold()
    return tuple((0, _RANK[ch]) if ch in _RANK else (1, ord(ch)) for ch in text)


def evaluate(text: str, lookup: Callable[[str], float | None]) -> float | None:
    """Arithmetic over metric values; anything with an empty part or a zero divisor is empty."""
    return _eval(ex.parse(text), lookup)


def _eval(node: ast.expr, lookup: Callable[[str], float | None]) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        return lookup(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _eval(node.operand, lookup)
        return None if v is None else -v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, lookup), _eval(node.right, lookup)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        return _div(a, b)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_eval(a, lookup) for a in node.args]
        if node.func.id == "positive":
            return args[0] if args[0] is not None and args[0] > 0 else None
        if node.func.id == "abs":
            return None if args[0] is None else abs(args[0])
        if node.func.id == "coalesce":
            return next((a for a in args if a is not None), None)
    raise ex.ExprError(f"'{ast.unparse(node)}' cannot be used between metrics")
