"""The RFM segment table: named segments as rectangles on the grid of the recency score (R)
against the frequency-monetary score (FM), kept as data (YAML-shaped) rather than code, so a
business can rename, redraw or translate its segments without a release.

A table has a `scale` (the grid's side: scores run 1..scale, 5 by default) and an ordered list
of rules; a customer takes the first rule whose `r` and `fm` ranges (both inclusive) hold its
cell, so a later, wider rule can fill what the earlier, narrower ones leave. A table is checked
in full before use: every rule well formed, names unique machine codes, every cell of the grid
reached by some rule, and every rule winning at least one cell (a rule hidden behind earlier
ones is a mistake, not a segment). Every problem is reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

I64 = NDArray[np.int64]
LANGS = ("en", "uk")  # every label is needed in both
NONE = "none"  # reserved: the row and column of customers outside one of two snapshots
MIN_SCALE, MAX_SCALE, DEFAULT_SCALE = 3, 10, 5
NAME = re.compile(r"[a-z][a-z0-9_]*")
RULE_KEYS = frozenset({"name", "label", "description", "r", "fm"})
TABLE_KEYS = frozenset({"scale", "rules"})


class SegmentTableError(ValueError):
    """A segment table that cannot be used; `problems` holds every reason, one a line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("segment table: " + "\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class SegmentRule:
    name: str  # machine code: champions, at_risk
    label: Mapping[str, str]  # language -> what people read
    r: tuple[int, int]  # inclusive range of the recency score
    fm: tuple[int, int]  # inclusive range of the frequency-monetary score
    description: Mapping[str, str] = field(default_factory=dict)  # language -> one line

    def holds(self, r: int, fm: int) -> bool:
        return self.r[0] <= r <= self.r[1] and self.fm[0] <= fm <= self.fm[1]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "label": dict(self.label),
                               "r": list(self.r), "fm": list(self.fm)}  # fmt: skip
        if self.description:
            out["description"] = dict(self.description)
        return out


def _whole(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    return int(v) if isinstance(v, float) and v.is_integer() else None


def _range(where: str, key: str, v: Any, scale: int, problems: list[str]) -> tuple[int, int]:
    """A score range: [low, high], or one score for both."""
    if v is None:
        problems.append(f"{where}: '{key}' is missing: give [low, high] within 1..{scale}")
        return (0, -1)
    pair = [v, v] if _whole(v) is not None else v
    ends = [_whole(x) for x in pair] if isinstance(pair, list | tuple) and len(pair) == 2 else []
    lo, hi = (ends[0], ends[1]) if len(ends) == 2 else (None, None)
    if lo is None or hi is None:
        problems.append(f"{where}: '{key}' must be [low, high] in whole scores, not {v!r}")
        return (0, -1)
    if not 1 <= lo <= hi <= scale:
        problems.append(f"{where}: '{key}' [{lo}, {hi}] must have 1 <= low <= high <= {scale}")
    return (lo, hi)


def _texts(where: str, key: str, v: Any, required: bool, problems: list[str]) -> dict[str, str]:
    """A language -> text mapping; a required one has a non-empty text in every language."""
    if v is None and not required:
        return {}
    if not isinstance(v, Mapping) or not all(isinstance(t, str) for t in v.values()):
        problems.append(f"{where}: '{key}' maps a language ({', '.join(LANGS)}) to a text")
        return {}
    missing = [lang for lang in LANGS if not str(v.get(lang) or "").strip()]
    if missing:
        problems.append(f"{where}: '{key}' has no text for {', '.join(missing)}")
    return {str(k): str(t).strip() for k, t in v.items()}


def _rule(i: int, d: Any, scale: int, problems: list[str]) -> SegmentRule | None:
    where = f"rule {i + 1}"
    if not isinstance(d, Mapping):
        problems.append(f"{where}: expected a mapping with name, label, r and fm")
        return None
    name = d.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        problems.append(f"{where}: 'name' must be a code of a-z, 0-9 and _, not {name!r}")
        name = ""
    elif name == NONE:
        problems.append(f"{where}: 'name' {NONE!r} is reserved for customers not in a snapshot")
    where = f"{where} ({name})" if name else where
    unknown = sorted(str(k) for k in d if k not in RULE_KEYS)
    if unknown:
        problems.append(f"{where}: unknown field {', '.join(map(repr, unknown))}")
    label = _texts(where, "label", d.get("label"), True, problems)
    description = _texts(where, "description", d.get("description"), False, problems)
    r = _range(where, "r", d.get("r"), scale, problems)
    fm = _range(where, "fm", d.get("fm"), scale, problems)
    return SegmentRule(name, label, r, fm, description)


def _scale(d: Mapping[str, Any], problems: list[str]) -> int:
    scale = _whole(d.get("scale", DEFAULT_SCALE))
    if scale is None or not MIN_SCALE <= scale <= MAX_SCALE:
        problems.append(f"'scale' must be a whole number {MIN_SCALE}..{MAX_SCALE}, "
                        f"not {d.get('scale')!r}")  # fmt: skip
        return DEFAULT_SCALE
    return scale


def _winners(rules: Sequence[SegmentRule], scale: int) -> I64:
    """(scale, scale) grid: the index of the rule each (R, FM) cell takes, -1 for none."""
    grid = np.full((scale, scale), -1, np.int64)
    for j, rule in reversed(list(enumerate(rules))):  # the first rule is written last: it wins
        grid[rule.r[0] - 1 : rule.r[1], rule.fm[0] - 1 : rule.fm[1]] = j
    return grid


def _coverage(rules: Sequence[SegmentRule], scale: int) -> list[str]:
    grid = _winners(rules, scale)
    problems = [f"cell R={r + 1}, FM={fm + 1} is in no rule's ranges: widen one or add a rule"
                for r, fm in zip(*np.nonzero(grid < 0), strict=True)]  # fmt: skip
    won = set(grid.ravel().tolist())
    problems += [f"rule {j + 1} ({rule.name}): never applies, earlier rules take all its cells"
                 for j, rule in enumerate(rules) if j not in won]  # fmt: skip
    return problems


@dataclass(frozen=True, slots=True)
class SegmentTable:
    scale: int
    rules: tuple[SegmentRule, ...]

    @staticmethod
    def from_dict(d: Any) -> SegmentTable:
        """A checked table, or a SegmentTableError listing every problem."""
        if not isinstance(d, Mapping) or not isinstance(d.get("rules"), list) or not d["rules"]:
            raise SegmentTableError(["a segment table has 'rules' (a non-empty list) and "
                                     f"maybe 'scale' ({DEFAULT_SCALE} by default)"])  # fmt: skip
        problems: list[str] = []
        unknown = sorted(str(k) for k in d if k not in TABLE_KEYS)
        if unknown:
            problems.append(f"unknown field {', '.join(map(repr, unknown))}")
        scale = _scale(d, problems)
        parsed = [_rule(i, r, scale, problems) for i, r in enumerate(d["rules"])]
        rules = tuple(r for r in parsed if r is not None)
        seen: dict[str, int] = {}
        for i, rule in enumerate(parsed):
            if rule is None or not rule.name:
                continue
            if rule.name in seen:
                problems.append(f"rule {i + 1} ({rule.name}): the name is taken by rule "
                                f"{seen[rule.name] + 1}")  # fmt: skip
            seen.setdefault(rule.name, i)
        if problems:
            raise SegmentTableError(problems)
        problems = _coverage(rules, scale)
        if problems:
            raise SegmentTableError(problems)
        return SegmentTable(scale, rules)

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "rules": [r.to_dict() for r in self.rules]}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rules)

    def rule(self, name: str) -> SegmentRule:
        found = next((r for r in self.rules if r.name == name), None)
        if found is None:
            raise KeyError(f"no segment {name!r}: the table has {', '.join(self.names)}")
        return found

    def lookup(self, r: ArrayLike, fm: ArrayLike) -> I64:
        """The index of the rule each (R, FM) takes; scores on this table's scale."""
        rr, ff = np.asarray(r, np.int64), np.asarray(fm, np.int64)
        bad = (rr < 1) | (rr > self.scale) | (ff < 1) | (ff > self.scale)
        if bad.any():
            raise ValueError(f"scores must be within 1..{self.scale} for this table")
        out: I64 = _winners(self.rules, self.scale)[rr - 1, ff - 1]
        return out
