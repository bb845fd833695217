"""Read metric YAML files into definitions, keeping the line of every value for error messages."""

from __future__ import annotations

from copy import deepcopy as copy_deep
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from salesmetrics.metrics.spec import MetricDef

Loc = tuple[str | int, ...]


@dataclass
class Located:
    """Parsed YAML plus the line (1-based) where each path starts."""

    file: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, loc: Loc) -> int:
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def where(self, loc: Loc) -> str:
        return f"{self.file}:{self.line(loc)}"


def _plain(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_plain(key_node, (*loc, "__key__"), {}))
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _plain(value_node, (*loc, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, (*loc, i), lines) for i, v in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def parse_yaml(text: str, file: str) -> Located:
    """Parse YAML text; a syntax error becomes a problem with its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise YamlSyntaxError(f"{file}:{line}: not valid YAML: {reason}") from None
    lines: dict[Loc, int] = {}
    data = _plain(node, (), lines) if node is not None else None
    return Located(file, data, lines)


class YamlSyntaxError(Exception):
    """A file that is not YAML at all."""


@dataclass(frozen=True)
class Parsed:
    """Definitions read from one or more files, with where each came from and the problems."""

    metrics: list[tuple[MetricDef, Located, Loc]]
    problems: list[str]
    # invalid metrics with their bad fields dropped: checked further (so a file's every problem
    # shows at once), never used
    patched: list[tuple[MetricDef, Located, Loc]] = field(default_factory=list)


def read_definitions(located: Located) -> Parsed:
    """Validate every metric in a file against the spec; collect all problems, never stop early."""
    data = located.data
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), list):
        return Parsed([], [f"{located.file}:1: expected a mapping with a 'metrics:' list"])
    extra = sorted(set(data) - {"metrics"})
    problems = [f"{located.where((k,))}: unknown top-level key '{k}'" for k in extra]
    metrics: list[tuple[MetricDef, Located, Loc]] = []
    patched: list[tuple[MetricDef, Located, Loc]] = []
    for i, raw in enumerate(data["metrics"]):
        loc: Loc = ("metrics", i)
        try:
            metrics.append((MetricDef.model_validate(raw), located, loc))
        except ValidationError as exc:
            name = raw.get("name", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
            for err in exc.errors():
                where = located.where((*loc, *err["loc"]))
                path = ".".join(str(p) for p in err["loc"]) or "(metric)"
                problems.append(f"{where}: metric '{name}', {path}: {_say(err)}")
            rest = _without_errors(raw, exc)
            if rest is not None:
                patched.append((rest, located, loc))
    return Parsed(metrics, problems, patched)


_STAND_INS: dict[str, Any] = {
    "unit": "count",
    "label": {"en": "-", "uk": "-"},
    "description": {"en": "-", "uk": "-"},
}


def _without_errors(raw: Any, exc: ValidationError) -> MetricDef | None:
    """The metric with each invalid value removed, if what is left is valid."""
    if not isinstance(raw, dict):
        return None
    copy = copy_deep(raw)
    for err in exc.errors():
        path = err["loc"]
        node: Any = copy
        for step in path[:-1]:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                node = None
        if isinstance(node, dict) and path:
            node.pop(path[-1], None)
        elif isinstance(node, list) and path and isinstance(path[-1], int):
            node[path[-1]] = None
    for key, stand_in in _STAND_INS.items():  # required fields that do not change the checks
        copy.setdefault(key, stand_in)
    try:
        return MetricDef.model_validate(copy)
    except ValidationError:
        return None


def _say(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        return f"'{err.get('input')}' is not one of {expected}"
    return str(err.get("msg", "invalid"))


def builtin_files() -> list[tuple[str, str]]:
    """The package's own catalog: (display name, text) per YAML file."""
    folder = resources.files("salesmetrics.metrics") / "catalog"
    return [
        (f"builtin:{p.name}", p.read_text(encoding="utf-8"))
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith((".yaml", ".yml"))
    ]


def user_files(folder: Path | None) -> list[tuple[str, str]]:
    """A workspace's own metric files (*.yaml in its metrics folder), if the folder exists."""
    if folder is None or not folder.is_dir():
        return []
    return [
        (str(p), p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.y*ml"))
        if p.suffix in (".yaml", ".yml")
    ]
