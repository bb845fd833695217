"""Whole-column cell parsers: text in, a typed array (null where empty or invalid) and issues out.

Each parser returns `(array, issues)`; an issue's `index` is the cell's position in the column,
which the caller maps to the file's row number and the column's name.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest.currency import currency_in_text, detect_currency
from salesmetrics.ingest.dates import (
    DateFormat,
    parse_date,
    parse_timestamp,
    resolve_date_format,
)
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.minor import clean_units, to_units
from salesmetrics.ingest.model import CellIssue
from salesmetrics.ingest.numbers import (
    Plain,
    bad_number_reason,
    decimal_separator,
    to_plain,
)
from salesmetrics.ingest.vector import Column, issues_where, mask, present, text_array

__all__ = [
    "CellIssue",
    "DateFormat",
    "currency_in_text",
    "decimal_separator",
    "detect_currency",
    "parse_bool",
    "parse_date",
    "parse_decimal_minor",
    "parse_int",
    "parse_number",
    "parse_timestamp",
    "resolve_date_format",
]

_TRUE = ("так", "т", "yes", "y", "true", "t", "1", "+", "да", "on", "x", "✓", "✔")
_FALSE = ("ні", "нi", "н", "no", "n", "false", "f", "0", "-", "−", "нет", "off")
_BOOLS = pa.array(_TRUE + _FALSE)


def parse_number(
    values: Column,
    *,
    decimal: str | None = None,
    decimal_hint: str | None = None,
    notes: list[str] | None = None,
) -> tuple[pa.Array, list[CellIssue]]:
    """Numbers as float64: '1 234,5' -> 1234.5, '(12)' -> -12, '$1,234.56' -> 1234.56.

    `decimal` forces the separator; otherwise the column decides, then `decimal_hint`.
    A note is appended to `notes` when the separator had to be assumed.
    """
    plain = _plain(values, decimal, decimal_hint, notes)
    return pc.cast(plain.plain, pa.float64()), _not_numbers(plain)


def parse_decimal_minor(
    values: Column,
    exponent: int,
    *,
    decimal: str | None = None,
    decimal_hint: str | None = None,
    notes: list[str] | None = None,
) -> tuple[pa.Array, list[CellIssue]]:
    """Money as exact int64 minor units: '1 234,50' with exponent 2 -> 123450.

    Extra fractional digits are rounded half to even, as `Money.of` does ('0,125' -> 12).
    """
    if not 0 <= exponent <= 6:
        raise IngestError(f"a currency exponent must be 0 to 6, not {exponent}")
    if decimal in (None, "."):
        clean = clean_units(text_array(values), exponent)
        if clean is not None:
            return clean, []
    plain = _plain(values, decimal, decimal_hint, notes)
    units = to_units(plain, exponent)
    issues = _not_numbers(plain) + issues_where(units.too_big, plain.text, _too_large)
    return pa.array(units.value, pa.int64(), mask=~units.ok), sorted(issues, key=_at)


def parse_int(
    values: Column,
    *,
    decimal: str | None = None,
    decimal_hint: str | None = None,
    notes: list[str] | None = None,
) -> tuple[pa.Array, list[CellIssue]]:
    """Whole numbers as int64: '1 234' -> 1234, '12,00' -> 12; '12,5' is an issue."""
    plain = _plain(values, decimal, decimal_hint, notes)
    units = to_units(plain, 0)
    ok = units.ok & ~units.fraction
    issues = _not_numbers(plain)
    issues += issues_where(units.fraction, plain.text, lambda v: f"'{v}' is not a whole number")
    issues += issues_where(units.too_big, plain.text, _too_large)
    return pa.array(units.value, pa.int64(), mask=~ok), sorted(issues, key=_at)


def parse_bool(values: Column) -> tuple[pa.Array, list[CellIssue]]:
    """Yes/no cells as booleans: так/ні, yes/no, true/false, 1/0, y/n, +/-."""
    text = text_array(values)
    found = pc.index_in(pc.utf8_lower(text), value_set=_BOOLS)
    bad = present(text) & ~mask(pc.is_valid(found))
    result = pc.less(found, len(_TRUE))
    return result, issues_where(bad, text, _not_bool)


def _plain(values: Column, decimal: str | None, hint: str | None, notes: list[str] | None) -> Plain:
    plain = to_plain(values, decimal=decimal, decimal_hint=hint)
    if plain.note and notes is not None:
        notes.append(plain.note)
    return plain


def _not_numbers(plain: Plain) -> list[CellIssue]:
    bad = present(plain.text) & ~mask(pc.is_valid(plain.plain))
    return issues_where(bad, plain.text, lambda v: bad_number_reason(v, plain.decimal))


def _too_large(cell: str) -> str:
    return f"'{cell}' is too large"


def _not_bool(cell: str) -> str:
    return f"'{cell}' is not yes/no (use так/ні, yes/no, true/false or 1/0)"


def _at(issue: CellIssue) -> int:
    return issue.index
