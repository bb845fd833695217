"""Survey exports as feedback: a survey preset found by its questions, those questions mapped,
answers made readable ("GMT+2" zones, "Very satisfied", "10 - Extremely likely"), and the kind
(NPS or CSAT) every score is, from the question it answers."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest import parse
from salesmetrics.ingest.convert import Converted
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.mapping import Mapping, build_mapping
from salesmetrics.ingest.model import RawTable
from salesmetrics.ingest.presets import (
    PRESETS,
    SCORE_LABELS,
    Preset,
    detect_survey,
    question_columns,
    score_kind,
)
from salesmetrics.services.imports.model import ImportRequest

_GMT_HOURS = (r"GMT([+-])(\d)(:|$)", r"GMT\10\2\3")  # Google Forms: 'GMT+2' -> 'GMT+02'
_GMT = (r"GMT([+-]\d{2})", r"\1")  # 'GMT+02' -> '+02', as the date parser reads zones
# '10 - Extremely likely', '4 (Satisfied)', '5 stars' -> the number ('4,5' and '4.5' stay)
_LEADING_NUMBER = (r"^(\d{1,3})(?:\s*[-–—:(]\s*|\s+)[^\d\s,.].*$", r"\1")
_CSAT_SCALES = (5, 7, 10)


def adapt(req: ImportRequest, raw: RawTable, mapping: Mapping) -> tuple[RawTable, Mapping]:
    """For feedback: a survey preset detected by its questions unless a mapping file or a
    preset was given, the preset's questions mapped, and the cells made readable."""
    if mapping.kind != "feedback":
        return raw, mapping
    headers = raw.report.columns
    if mapping.preset is None and req.mapping_file is None and req.preset is None:
        found = detect_survey(mapping.kind, headers)
        if found is not None:
            mapping = build_mapping(mapping.kind, headers, None, found.name, req.source)
    preset = PRESETS.get(mapping.preset or "")
    if preset is not None and preset.questions:
        mapping = _questions(preset, mapping, raw)
    return _readable(raw, mapping), mapping


def _questions(preset: Preset, mapping: Mapping, raw: RawTable) -> Mapping:
    found = question_columns(preset, mapping.unmapped)
    dropped = [h for h in mapping.unmapped if h in preset.ignore]
    raw.report.notes.extend(f"column '{h}' is not kept (personal data)" for h in dropped)
    mapping = replace(
        mapping,
        columns={**mapping.columns, **found},
        unmapped=[h for h in mapping.unmapped if h not in found and h not in dropped],
    )
    if preset.month_first and mapping.date_format is None:
        mapping = replace(mapping, date_format=_month_first(raw, mapping))
    return mapping


def _month_first(raw: RawTable, mapping: Mapping) -> str | None:
    """MM/DD/YYYY where the dates fit both orders (or no order): the export writes US dates."""
    for header in _headers_of(mapping, "received_at"):
        try:
            parse.resolve_date_format(raw.data[header], header)
        except IngestError:
            return "MM/DD/YYYY"
    return None


def _readable(raw: RawTable, mapping: Mapping) -> RawTable:
    data = raw.data
    for header in _headers_of(mapping, "received_at"):
        data = _rewrite(data, header, _GMT_HOURS, _GMT)
    for header in _headers_of(mapping, "score"):
        data = _rewrite(data, header, _LEADING_NUMBER)
        text = data[header]
        labels = pc.index_in(pc.utf8_lower(text), value_set=pa.array(list(SCORE_LABELS)))
        numbers = pc.take(pa.array(list(SCORE_LABELS.values())), labels)
        data = data.set_column(data.column_names.index(header), header, pc.coalesce(numbers, text))
    return replace(raw, data=data)


def _rewrite(data: pa.Table, header: str, *rules: tuple[str, str]) -> pa.Table:
    text = data[header]
    for pattern, replacement in rules:
        text = pc.replace_substring_regex(text, pattern, replacement)
    return data.set_column(data.column_names.index(header), header, text)


def _headers_of(mapping: Mapping, name: str) -> list[str]:
    return [h for h, f in mapping.columns.items() if f == name]


def score_kinds(conv: Converted, mapping: Mapping) -> None:
    """A score column whose header is an NPS or CSAT question says what every answer in it is
    (a 3 to "How likely … recommend" is an NPS detractor, not a CSAT), and on what scale."""
    data = conv.data
    headers = _headers_of(mapping, "score")
    if mapping.kind != "feedback" or not headers or "kind" in data.column_names:
        return
    kind = score_kind(PRESETS.get(mapping.preset or ""), headers[0])
    if kind is None:
        return
    answered = pc.is_valid(data["score"])
    data = data.append_column("kind", pc.if_else(answered, kind, pa.scalar(None, pa.string())))
    if "scale_max" not in data.column_names:
        top = pc.max(data["score"]).as_py() or 0
        scale = 10 if kind == "nps" else next((s for s in _CSAT_SCALES if top <= s), 10)
        data = data.append_column(
            "scale_max", pc.if_else(answered, scale, pa.scalar(None, pa.int64()))
        )
    conv.data = data
