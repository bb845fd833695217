"""What a preview shows about how each column will be read: date formats, number separators,
currencies. Derived from the same rules the converter applies, so what the user checks is
what the import does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest import parse
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.kinds import FieldType
from salesmetrics.services.imports.run import Plan

_NUMERIC = (FieldType.INT, FieldType.NUMBER, FieldType.MONEY)
_DATED = (FieldType.DATE, FieldType.TIMESTAMP)
_SAMPLE = 2000
# A group of three digits after a separator, inside a number: '1 234', '1.234,5', "1'234".
_GROUPS = {
    " ": r"\d[ \u00a0\u202f]\d{3}(?:\D|$)",
    ".": r"\d\.\d{3}(?:[.,]|$)",
    ",": r"\d,\d{3}(?:[.,]|$)",
    "'": r"\d['’]\d{3}(?:\D|$)",
}


@dataclass(frozen=True)
class NumberFormat:
    decimal: str  # "." or ","
    thousands: str | None  # " ", ".", ",", "'" or None when no cell groups its digits


@dataclass(frozen=True)
class Detected:
    """Per column: how its dates or numbers are written; and the currencies of the rows."""

    date_formats: dict[str, str] = field(default_factory=dict)  # header -> 'DD.MM.YYYY' …
    numbers: dict[str, NumberFormat] = field(default_factory=dict)  # header -> separators
    currencies: dict[str, int] = field(default_factory=dict)  # ISO code -> rows

    def as_dict(self) -> dict[str, object]:
        return {
            "date_formats": self.date_formats,
            "numbers": {h: {"decimal": n.decimal, "thousands": n.thousands}
                        for h, n in self.numbers.items()},
            "currencies": self.currencies,
        }  # fmt: skip


def detect(plan: Plan) -> Detected:
    """The formats the converter settled on for each mapped column of a prepared import."""
    kind, raw, mapping, req = plan.conv.kind, plan.raw, plan.mapping, plan.req
    out = Detected()
    for header, name in mapping.columns.items():
        ftype = kind.field(name).type
        if header not in raw.data.column_names:
            continue
        cells = _sample(raw.data[header])
        if ftype in _DATED:
            out.date_formats[header] = _date_format(cells, header, mapping.date_format
                                                    or req.date_format)  # fmt: skip
        elif ftype in _NUMERIC:
            out.numbers[header] = _number_format(cells, mapping.decimal, req.decimal)
    if "currency" in plan.conv.data.column_names:
        counts = pc.value_counts(plan.conv.data["currency"].drop_null()).to_pylist()
        found = {str(c["values"]): int(c["counts"]) for c in counts}
        out.currencies.update(sorted(found.items(), key=lambda kv: -kv[1]))
    return out


def _sample(column: pa.ChunkedArray) -> pa.Array:
    text = pc.utf8_trim_whitespace(column.combine_chunks().cast(pa.string()))
    text = text.filter(pc.greater(pc.fill_null(pc.utf8_length(text), 0), 0))
    return text.slice(0, _SAMPLE)


def _date_format(cells: pa.Array, header: str, given: str | None) -> str:
    if given:
        return parse.DateFormat.parse(given).value
    try:
        return parse.resolve_date_format(cells, header).value
    except IngestError:  # the sample is ambiguous where the whole column was not
        return "?"


def _number_format(cells: pa.Array, forced: str | None, hint: str | None) -> NumberFormat:
    decimal = forced if forced in (".", ",") else parse.decimal_separator(cells, hint)[0]
    texts = [str(v) for v in cells.to_pylist()]
    thousands = None
    for sep, pattern in _GROUPS.items():
        if sep == decimal:
            continue
        rule = re.compile(pattern)
        if any(rule.search(t) for t in texts):
            thousands = sep
            break
    return NumberFormat(decimal, thousands)
