"""The cold-start score: an editable points table.

A lead starts at `base` points and gains (or loses) each rule's points when its condition
holds; the score is clipped to 1..99 and read as a percentage. A condition names a raw column
(`field`) and one test: `is` (equal; text compared without case), `in` (one of a list),
`at_least`, `below` (numbers), `missing` (true: no value; false: any value).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from salesmetrics.analytics.leads.encoding import F64, Columns, _as_number, is_missing

TESTS = ("is", "in", "at_least", "below", "missing")


class RuleError(ValueError):
    """A points table that cannot be used, saying which rule and why."""


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() == b.strip().casefold()
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    x, y = _as_number(a), _as_number(b)
    return x is not None and x == y


@dataclass(frozen=True, slots=True)
class Rule:
    field: str
    test: str
    value: Any
    points: float
    say: Mapping[str, str]  # language -> text ("came by referral"); may be empty

    def holds(self, v: Any) -> bool:
        if self.test == "missing":
            return is_missing(v) == bool(self.value)
        if is_missing(v):
            return False
        if self.test == "is":
            return _same(v, self.value)
        if self.test == "in":
            return any(_same(v, w) for w in self.value)
        x = _as_number(v)
        if x is None:
            return False
        return x >= float(self.value) if self.test == "at_least" else x < float(self.value)


def _rule(i: int, d: Any) -> Rule:
    where = f"rule {i + 1}"
    if not isinstance(d, Mapping):
        raise RuleError(f"{where}: expected a mapping with field, a test and points")
    field = d.get("field")
    if not isinstance(field, str) or not field.strip():
        raise RuleError(f"{where}: 'field' names the lead column it tests")
    tests = [t for t in TESTS if t in d]
    if len(tests) != 1:
        raise RuleError(f"{where} ({field}): give exactly one test of {', '.join(TESTS)}")
    test = tests[0]
    value = d[test]
    if test == "in" and not isinstance(value, list):
        raise RuleError(f"{where} ({field}): 'in' takes a list of values")
    if test in ("at_least", "below") and _as_number(value) is None:
        raise RuleError(f"{where} ({field}): '{test}' takes a number, not {value!r}")
    points = _as_number(d.get("points"))
    if points is None:
        raise RuleError(f"{where} ({field}): 'points' must be a number")
    say = d.get("say") or {}
    if not isinstance(say, Mapping):
        raise RuleError(f"{where} ({field}): 'say' maps a language (en, uk) to a text")
    return Rule(field.strip(), test, value, points, {str(k): str(v) for k, v in say.items()})


@dataclass(frozen=True, slots=True)
class RuleTable:
    base: float
    rules: tuple[Rule, ...]

    @staticmethod
    def from_dict(d: Any) -> RuleTable:
        if not isinstance(d, Mapping) or not isinstance(d.get("rules"), list):
            raise RuleError("a points table has 'base' (points every lead starts with) and "
                            "'rules' (a list)")  # fmt: skip
        base = _as_number(d.get("base", 0))
        if base is None:
            raise RuleError("'base' must be a number")
        return RuleTable(base, tuple(_rule(i, r) for i, r in enumerate(d["rules"])))

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "rules": [
            {"field": r.field, r.test: r.value, "points": r.points, "say": dict(r.say)}
            for r in self.rules]}  # fmt: skip

    def without(self, fields: Sequence[str]) -> RuleTable:
        """The table less its rules on `fields`."""
        return RuleTable(self.base, tuple(r for r in self.rules if r.field not in fields))

    def points(self, raw: Columns) -> F64:
        """(n, rules) matrix: the points each rule gives each lead."""
        n = len(next(iter(raw.values()))) if raw else 0
        out = np.zeros((n, len(self.rules)))
        for j, rule in enumerate(self.rules):
            values: Sequence[Any] = raw.get(rule.field, [None] * n)
            memo: dict[tuple[type, Any], float] = {}  # each distinct value tested once
            col = out[:, j]
            for i, v in enumerate(values):
                key = (type(v), v)
                got = memo.get(key)
                if got is None:
                    got = memo[key] = rule.points if rule.holds(v) else 0.0
                col[i] = got
        return out

    def score(self, raw: Columns) -> F64:
        """Each lead's score as a probability (points / 100, within 1..99 points)."""
        out: F64 = np.clip(self.base + self.points(raw).sum(axis=1), 1.0, 99.0) / 100.0
        return out
