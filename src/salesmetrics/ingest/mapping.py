"""From a file's headers to a kind's fields: synonyms, presets, or the user's mapping file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.kinds import KINDS, Kind
from salesmetrics.ingest.presets import PRESETS, Preset

_UNITS = r"\b(грн|uah|usd|eur|pln|₴|\$|€|zł|шт|pcs|%)\b|[₴$€]"
_PUNCT = re.compile(r"[\s,.:;()\[\]{}/\\_\-–—«»\"#]+")


def normalise_header(text: str) -> str:
    """'Сума, грн' -> 'сума'; 'Order Date' -> 'order date'; "Ім'я" -> 'імя'."""
    lowered = text.strip().lower().replace("'", "").replace("’", "").replace("ʼ", "")
    lowered = re.sub(_UNITS, " ", lowered)
    return _PUNCT.sub(" ", lowered).strip()


@dataclass(frozen=True)
class Mapping:
    """Which file column fills which field, and the options that shape parsing."""

    kind: str
    columns: dict[str, str]  # file header -> field name
    unmapped: list[str] = field(default_factory=list)
    preset: str | None = None
    source: str = "import"
    date_format: str | None = None
    decimal: str | None = None
    currency: str | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> text -> value

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "preset": self.preset,
            "columns": self.columns,
            "unmapped": self.unmapped,
            "date_format": self.date_format,
            "decimal": self.decimal,
            "currency": self.currency,
        }


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise IngestError(f"unknown kind '{name}'; choose one of: {', '.join(KINDS)}") from None


def auto_map(kind: Kind, headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Match headers to fields: a header that is a field's own name first (so an export of
    ours maps back as it was: 'external_id' is external_id even beside an 'id' column), then
    by synonym; each field takes the first header that fits."""
    taken: dict[str, str] = {}
    own = {normalise_header(f.name): f.name for f in kind.fields}
    for header in headers:
        name = own.get(normalise_header(header))
        if name is not None and name not in taken.values():
            taken[header] = name
    for header in headers:
        if header in taken:
            continue
        norm = normalise_header(header)
        match = next(
            (
                f.name
                for f in kind.fields
                if f.name not in taken.values()
                and (norm in f.synonyms or norm == f.name.removesuffix("_minor"))
            ),
            None,
        )
        if match is not None:
            taken[header] = match
    unmapped = [h for h in headers if h not in taken]
    return {h: taken[h] for h in headers if h in taken}, unmapped


def detect_preset(kind: Kind, headers: list[str]) -> Preset | None:
    """A preset whose signature columns are all present, for this kind."""
    have = set(headers)
    for preset in PRESETS.values():
        if preset.kind == kind.name and set(preset.signature) <= have:
            return preset
    return None


def build_mapping(
    kind_name: str,
    headers: list[str],
    mapping_file: Path | None = None,
    preset_name: str | None = None,
    source: str | None = None,
) -> Mapping:
    """The mapping to use: an explicit file wins, then a named or detected preset, then synonyms."""
    kind = kind_of(kind_name)
    if mapping_file is not None:
        return _from_file(kind, headers, mapping_file, source)
    preset = _preset(preset_name) if preset_name else detect_preset(kind, headers)
    if preset is not None:
        if preset.kind != kind.name:
            raise IngestError(f"preset '{preset.name}' imports {preset.kind}, not {kind.name}")
        cols = {h: f for h, f in preset.columns.items() if h in headers}
        rest = [h for h in headers if h not in cols]
        return Mapping(
            kind.name,
            cols,
            rest,
            preset.name,
            source or preset.source,
            preset.date_format,
            preset.decimal,
            None,
            preset.values,
        )
    cols, rest = auto_map(kind, headers)
    return Mapping(kind.name, cols, rest, None, source or "import")


def _preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise IngestError(f"unknown preset '{name}'; known: {', '.join(PRESETS)}") from None


def _from_file(kind: Kind, headers: list[str], path: Path, source: str | None) -> Mapping:
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise IngestError(f"cannot read the mapping file: {exc}", file=str(path)) from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("columns", {}), dict):
        raise IngestError("a mapping file holds `columns: {header: field}`", file=str(path))
    columns = {str(h): str(f) for h, f in spec.get("columns", {}).items()}
    known = {f.name for f in kind.fields}
    problems = [
        f"field '{f}' (for '{h}') is not a field of {kind.name}"
        for h, f in columns.items()
        if f not in known
    ]
    problems += [f"column '{h}' is not in the file" for h in columns if h not in headers]
    if problems:
        raise IngestError(
            "; ".join(problems) + f"; fields: {', '.join(sorted(known))}", file=str(path)
        )
    rest = [h for h in headers if h not in columns]
    return Mapping(
        kind.name,
        columns,
        rest,
        None,
        str(spec.get("source") or source or "import"),
        spec.get("date_format"),
        spec.get("decimal"),
        spec.get("currency"),
    )
