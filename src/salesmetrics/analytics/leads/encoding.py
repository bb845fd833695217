"""How raw lead columns become numbers, learnt from the training leads and kept as JSON.

Each raw column gets one of three kinds from its values: `flag` (only booleans), `number`
(only numbers) or `category` (anything else, as text). A category keeps the levels seen at least
`min_count` times; rarer ones share `(other)`, and a missing value is its own level `(missing)`.
A number that is never negative and is skewed is taken as ln(1 + x); a missing number takes the
training median and a `(missing)` indicator. Every encoded column is centred on its training
mean (numbers are also scaled by their standard deviation), so a coefficient times an encoded
value is that column's pull away from the average lead, which is what the explanations show.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
Columns = Mapping[str, Sequence[Any]]
OTHER = "(other)"
MISSING = "(missing)"
FLAG, NUMBER, CATEGORY = "flag", "number", "category"


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def kind_of(values: Sequence[Any]) -> str | None:
    """The kind of a raw column (None: nothing but missing values)."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return None
    if all(isinstance(v, bool) for v in present):
        return FLAG
    if all(_as_number(v) is not None for v in present):
        return NUMBER
    return CATEGORY


def levels_of(values: Sequence[Any]) -> list[str]:
    """level_of for many values, each distinct value worked out once."""
    memo: dict[tuple[type, Any], str] = {}
    out = []
    for v in values:
        key = (type(v), v)
        found = memo.get(key)
        if found is None:
            found = memo[key] = level_of(v)
        out.append(found)
    return out


def level_of(value: Any) -> str:
    """A raw value as a category level's text."""
    if is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(slots=True)
class ColumnCode:
    """One raw column's learnt encoding."""

    name: str
    kind: str
    levels: list[str] = field(default_factory=list)  # category and flag: encoded levels
    log: bool = False  # number: ln(1 + x)
    fill: float = 0.0  # number: the median used for a missing value
    with_missing: bool = False  # number: a missing indicator column

    def outputs(self) -> list[str]:
        """The encoded columns' labels (the level, or '' for the number itself)."""
        if self.kind == NUMBER:
            return ["", *([MISSING] if self.with_missing else [])]
        return list(self.levels)

    def raw_matrix(self, values: Sequence[Any]) -> F64:
        n = len(values)
        if self.kind == NUMBER:
            x = np.array(
                [np.nan if (v := _as_number(r)) is None else v for r in values], np.float64
            )
            missing = np.isnan(x)
            x = np.where(missing, self.fill, x)
            if self.log:
                x = np.log1p(np.maximum(x, 0.0))
            cols = [x, *([missing.astype(np.float64)] if self.with_missing else [])]
            return np.column_stack(cols) if cols else np.zeros((n, 0))
        index = {level: i for i, level in enumerate(self.levels)}
        out = np.zeros((n, len(self.levels)), np.float64)
        other = index.get(OTHER)
        at = np.array([index.get(lv, other) if index.get(lv, other) is not None else -1
                       for lv in levels_of(values)], np.int64)  # fmt: skip
        hit = at >= 0
        out[np.flatnonzero(hit), at[hit]] = 1.0
        return out

    def groups(self, values: Sequence[Any]) -> tuple[int, ...]:
        """Each row's encoded level (rare values together in `(other)`)."""
        index = {level: i for i, level in enumerate(self.levels)}
        other = index.get(OTHER, -1)
        return tuple(index.get(lv, other) for lv in levels_of(values))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "levels": self.levels, "log": self.log,
                "fill": self.fill, "with_missing": self.with_missing}  # fmt: skip

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> ColumnCode:
        return ColumnCode(str(d["name"]), str(d["kind"]), [str(x) for x in d["levels"]],
                          bool(d["log"]), float(d["fill"]), bool(d["with_missing"]))  # fmt: skip


def _learn(name: str, values: Sequence[Any], min_count: int) -> ColumnCode | None:
    kind = kind_of(values)
    if kind is None:
        return None
    if kind == NUMBER:
        x = np.array([np.nan if (v := _as_number(r)) is None else v for r in values], np.float64)
        seen = x[~np.isnan(x)]
        if len(np.unique(seen)) < 2:
            return None
        skew = float(((seen - seen.mean()) ** 3).mean() / (seen.std() ** 3 + 1e-12))
        log = bool(seen.min() >= 0 and skew > 1.0)
        return ColumnCode(name, NUMBER, log=log, fill=float(np.median(seen)),
                          with_missing=bool(np.isnan(x).any()))  # fmt: skip
    counts = Counter(levels_of(values))
    kept = sorted(lv for lv, c in counts.items() if c >= min_count)
    if len(kept) < len(counts):
        kept.append(OTHER)
    if len(kept) < 2:
        return None  # one level: nothing to learn from
    return ColumnCode(name, kind, kept)


def _function_of(b: tuple[int, ...], a: tuple[int, ...]) -> bool:
    """Whether grouping b is determined by grouping a (each group of a within one of b)."""
    return len(set(zip(a, b, strict=True))) == len(set(a))


@dataclass(slots=True)
class Encoder:
    """Raw columns -> a centred, scaled matrix; learnt by `fit`."""

    min_count: int = 10
    columns_: list[ColumnCode] = field(default_factory=list)
    mean_: F64 = field(default_factory=lambda: np.zeros(0))
    scale_: F64 = field(default_factory=lambda: np.ones(0))
    same_as_: dict[str, str] = field(default_factory=dict)

    def fit(self, raw: Columns) -> Encoder:
        """Learn every column's code, in the order given. A category that adds nothing to one
        already kept (it splits the leads the same way, or more coarsely: a source attribute
        mirroring the channel, a kind of channel beside the channel) is left out and recorded
        in `same_as_`, so one fact is neither counted twice nor split between two names; a
        finer one replaces a coarser one kept before it."""
        kept: list[tuple[ColumnCode, tuple[int, ...] | None]] = []
        self.same_as_ = {}
        for name in raw:
            code = _learn(name, raw[name], self.min_count)
            if code is None:
                continue
            groups = None if code.kind == NUMBER else code.groups(raw[name])
            if groups is not None:
                covering = next((c.name for c, g in kept if g and _function_of(groups, g)), None)
                if covering is not None:
                    self.same_as_[name] = covering
                    continue
                for c, g in list(kept):
                    if g and _function_of(g, groups):
                        kept.remove((c, g))
                        self.same_as_[c.name] = name
            kept.append((code, groups))
        self.same_as_ = {k: self._final(v, {c.name for c, _ in kept})
                         for k, v in self.same_as_.items()}  # fmt: skip
        self.columns_ = [c for c, _ in kept]
        m = self._raw(raw)
        self.mean_ = m.mean(axis=0)
        scale = np.ones(m.shape[1])
        at = 0
        for code in self.columns_:
            if code.kind == NUMBER:
                scale[at] = float(m[:, at].std()) or 1.0
            at += len(code.outputs())
        self.scale_ = scale
        return self

    def _raw(self, raw: Columns) -> F64:
        n = len(next(iter(raw.values()))) if raw else 0
        parts = [c.raw_matrix(raw.get(c.name, [None] * n)) for c in self.columns_]
        return np.hstack(parts) if parts else np.zeros((n, 0))

    def _final(self, name: str, kept: set[str]) -> str:
        while name not in kept and name in self.same_as_:
            name = self.same_as_[name]
        return name

    def transform(self, raw: Columns) -> F64:
        out: F64 = (self._raw(raw) - self.mean_) / self.scale_
        return out

    def groups(self) -> list[tuple[str, int, int]]:
        """Each raw column's slice of the encoded columns: (name, start, stop)."""
        out, at = [], 0
        for code in self.columns_:
            k = len(code.outputs())
            out.append((code.name, at, at + k))
            at += k
        return out

    def code(self, name: str) -> ColumnCode | None:
        return next((c for c in self.columns_ if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {"min_count": self.min_count, "columns": [c.to_json() for c in self.columns_],
                "mean": self.mean_.tolist(), "scale": self.scale_.tolist(),
                "same_as": self.same_as_}  # fmt: skip

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> Encoder:
        return Encoder(int(d["min_count"]), [ColumnCode.from_json(c) for c in d["columns"]],
                       np.asarray(d["mean"], np.float64), np.asarray(d["scale"], np.float64),
                       {str(k): str(v) for k, v in d.get("same_as", {}).items()})  # fmt: skip
