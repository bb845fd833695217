"""The small expression language of metric definitions, compiled to ibis (never glued as SQL).

Python syntax, a safe subset: names are columns or parameters, literals, comparisons
(`==`, `!=`, `<` ..., `in (...)`, `is null`, `is not null`), `and`/`or`/`not`, arithmetic,
and the functions below. `period_start` and `period_end` are the bounds of the period being
measured; `days(n)` is an interval of n days and `days(a - b)` the days between two instants.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from salesmetrics.metrics import ibis_threads

ibis_threads.install()  # every module that builds ibis expressions imports this one

FUNCTIONS = ("days", "coalesce", "positive", "abs", "any", "count", "sum", "min", "max")
AGGREGATES = ("any", "count", "sum", "min", "max")


class ExprError(ValueError):
    """An expression that does not parse or names something unknown; the message says which."""


def parse(text: str) -> ast.expr:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"'{text}' is not a valid expression: {exc.msg}") from None
    _check(tree.body, text)
    return tree.body


_ALLOWED = (
    ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.BinOp, ast.Add, ast.Sub,
    ast.Mult, ast.Div, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In,
    ast.NotIn, ast.Is, ast.IsNot, ast.Name, ast.Load, ast.Constant, ast.Tuple, ast.List, ast.Call,
)  # fmt: skip


def _check(node: ast.AST, text: str) -> None:
    for sub in ast.walk(node):
        if not isinstance(sub, _ALLOWED):
            raise ExprError(f"'{text}': {type(sub).__name__} is not allowed in a metric expression")
        if isinstance(sub, ast.Call):
            if not isinstance(sub.func, ast.Name) or sub.func.id not in FUNCTIONS:
                raise ExprError(f"'{text}': unknown function; known: {', '.join(FUNCTIONS)}")
            if sub.keywords:
                raise ExprError(f"'{text}': functions take no keyword arguments")


@functools.lru_cache(maxsize=4096)
def names(text: str) -> frozenset[str]:
    """The column and parameter names an expression uses (asked again by every plan)."""
    tree = parse(text)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return frozenset(
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and id(n) not in called and n.id != "null"
    )


BETWEEN_METRICS = ("positive", "abs", "coalesce")


def check_between_metrics(text: str) -> None:
    """Derived metrics combine values with + - * /, numbers and positive/abs/coalesce only."""
    tree = parse(text)
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Name,
                               ast.Load, ast.USub, ast.Call)) or (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
        ) or (isinstance(node, ast.Constant) and isinstance(node.value, (int, float)))  # fmt: skip
        if isinstance(node, ast.Call) and (
            not isinstance(node.func, ast.Name) or node.func.id not in BETWEEN_METRICS
        ):
            ok = False
        if not ok:
            raise ExprError(
                f"'{text}': between metrics use + - * /, numbers and "
                f"{', '.join(BETWEEN_METRICS)} only"
            )


def uses_aggregate(text: str) -> bool:
    tree = parse(text)
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in AGGREGATES
        for n in ast.walk(tree)
    )


Resolver = Callable[[str], ir.Value]


class IbisCompiler:
    """Turns a parsed expression into an ibis value over one relation's columns."""

    def __init__(self, column: Resolver, params: Mapping[str, Any]) -> None:
        self._column = column
        self._params = params

    def compile(self, text: str) -> ir.Value:
        return self._node(parse(text))

    def _node(self, node: ast.expr) -> Any:
        method = getattr(self, f"_{type(node).__name__.lower()}")
        return method(node)

    def _name(self, node: ast.Name) -> Any:
        if node.id == "null":
            return None
        if node.id in ("true", "false"):
            return ibis.literal(node.id == "true")
        if node.id in self._params:
            value = self._params[node.id]
            if isinstance(value, datetime):  # a cast string binds faster than make_timestamptz
                return ibis.literal(value.isoformat(sep=" "), type="string").cast(
                    "timestamp('UTC')"
                )
            if isinstance(value, date):
                return ibis.literal(value.isoformat(), type="string").cast("date")
            return ibis.literal(value)
        return self._column(node.id)

    def _constant(self, node: ast.Constant) -> Any:
        return ibis.literal(node.value)

    def _boolop(self, node: ast.BoolOp) -> Any:
        values = [self._node(v) for v in node.values]
        out = values[0]
        for v in values[1:]:
            out = (out & v) if isinstance(node.op, ast.And) else (out | v)
        return out

    def _unaryop(self, node: ast.UnaryOp) -> Any:
        value = self._node(node.operand)
        return ~value if isinstance(node.op, ast.Not) else -value

    def _binop(self, node: ast.BinOp) -> Any:
        left, right = self._node(node.left), self._node(node.right)
        ops: dict[type, Callable[[Any, Any], Any]] = {
            ast.Add: lambda a, b: a + b,
            ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b,
            ast.Div: lambda a, b: a / b,
        }
        return ops[type(node.op)](left, right)

    def _compare(self, node: ast.Compare) -> Any:
        out = None
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            part = self._one_compare(self._node(left), op, right)
            out = part if out is None else out & part
            left = right
        return out

    def _one_compare(self, left: Any, op: ast.cmpop, right_node: ast.expr) -> Any:
        if isinstance(op, (ast.In, ast.NotIn)):
            if not isinstance(right_node, (ast.Tuple, ast.List)):
                raise ExprError("'in' needs a list of values: status in ('won', 'lost')")
            values = [self._node(v) for v in right_node.elts]
            member = left.isin(values)
            return member if isinstance(op, ast.In) else ~member
        right = self._node(right_node)
        if isinstance(op, (ast.Is, ast.IsNot)):
            if right is not None:
                raise ExprError("'is' compares only with null: x is null, x is not null")
            return left.isnull() if isinstance(op, ast.Is) else left.notnull()
        ops: dict[type, Callable[[Any, Any], Any]] = {
            ast.Eq: lambda a, b: a == b,
            ast.NotEq: lambda a, b: a != b,
            ast.Lt: lambda a, b: a < b,
            ast.LtE: lambda a, b: a <= b,
            ast.Gt: lambda a, b: a > b,
            ast.GtE: lambda a, b: a >= b,
        }
        return ops[type(op)](left, right)

    def _call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)
        fn = node.func.id
        if fn == "count":
            return self._column("__count__")
        if fn == "days" and len(node.args) == 1 and _is_sub(node.args[0]):
            sub = node.args[0]
            assert isinstance(sub, ast.BinOp)
            a, b = self._node(sub.left), self._node(sub.right)
            return days_between(a, b)
        args = [self._node(a) for a in node.args]
        if fn == "days":
            return ibis.interval(days=int(_const(node.args[0], self._params)))
        if fn == "coalesce":
            return ibis.coalesce(*args)
        if fn == "positive":
            return ibis.ifelse(args[0] > 0, args[0], ibis.null())
        if fn == "abs":
            return args[0].abs()
        if fn == "any":
            return args[0].any()
        if fn == "sum":
            return args[0].sum()
        if fn == "min":
            return args[0].min()
        return args[0].max()


@ibis.udf.scalar.builtin(name="date_part")  # type: ignore[untyped-decorator]
def _date_part(  # type: ignore[empty-body]
    part: str,
    instant: dt.Timestamp(timezone="UTC"),  # type: ignore[valid-type]
) -> float:
    """date_part('epoch', instant): spelt alike by DuckDB and PostgreSQL, and unlike ibis's
    epoch_seconds it does not cast a zoned timestamp through the time-zone calendar first."""


def days_between(later: Any, earlier: Any) -> Any:
    """Days between two instants as a float: a difference of epoch seconds (calendar-aware
    date_diff on zoned timestamps costs several times more and says the same here)."""
    return (_date_part("epoch", later) - _date_part("epoch", earlier)) / 86400.0


def _is_sub(node: ast.expr) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)


def _const(node: ast.expr, params: Mapping[str, Any]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name) and isinstance(params.get(node.id), (int, float)):
        return float(params[node.id])
    raise ExprError("days(n) needs a number or a numeric parameter")
