"""Typed values (Excel cells, JSON values, Parquet columns) written as faithful text."""

from __future__ import annotations

import json
import math
from datetime import date, time, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def number_text(value: float) -> str:
    """A float as a person would type it: 12.0 -> '12', 0.1 + 0.2 -> '0.3', 1e20 spelled out.

    Fifteen significant digits is what Excel itself shows, so this drops binary noise only.
    """
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.15g}"
    if "e" in text:
        text = np.format_float_positional(float(text), trim="-")
    return "0" if text == "-0" else text


def cell_text(value: object) -> str | None:
    """One Excel cell from python-calamine as text; empty cells are None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, date | time):  # datetime is a date: isoformat gives 'T' and seconds
        return value.isoformat()
    if isinstance(value, timedelta):
        return _duration_text(value)
    return str(value)


def _duration_text(value: timedelta) -> str:
    seconds = round(value.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class JsonNumber(str):
    """A JSON number kept as the text it was written as ('12.50', '1e3')."""

    __slots__ = ()


def json_text(value: object) -> str | None:
    """A JSON value (numbers parsed as JsonNumber) as text; objects and arrays stay JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(_plain(value), ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, JsonNumber):
        return float(value) if any(c in value for c in ".eE") else int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def column_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A Parquet column of any type as text: dates ISO, timestamps ISO with their offset."""
    kind = col.type
    if pa.types.is_dictionary(kind):
        return column_text(col.cast(kind.value_type))
    if pa.types.is_null(kind):
        return pa.chunked_array([pa.nulls(len(col), pa.string())])
    if pa.types.is_timestamp(kind):
        return _timestamp_text(col)
    if pa.types.is_date64(kind):
        return col.cast(pa.date32()).cast(pa.string())
    if pa.types.is_floating(kind):
        return _float_text(col)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return _binary_text(col)
    if pa.types.is_nested(kind):
        return _python_text(col, lambda v: json.dumps(v, ensure_ascii=False, default=str))
    try:
        return col.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return _python_text(col, str)


def _timestamp_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    zoned = col.type.tz is not None
    text = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S%z" if zoned else "%Y-%m-%dT%H:%M:%S")
    # Arrow prints the fraction for sub-second units even when it is zero: drop it then.
    text = pc.replace_substring_regex(text, r"\.0+([+-]|$)", r"\1")
    if zoned:
        text = pc.replace_substring_regex(text, r"([+-]\d\d)(\d\d)$", r"\1:\2")
    return text


def _float_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    text = col.cast(pa.string())
    odd = pc.match_substring_regex(text, "[eE]")
    if not pc.any(odd).as_py():
        return text
    return _python_text(col, lambda v: np.format_float_positional(v, trim="-"))


def _binary_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    try:
        return col.cast(pa.string())
    except pa.ArrowInvalid:
        return _python_text(col, lambda v: v.hex())


def _python_text(col: pa.ChunkedArray, render: Any) -> pa.ChunkedArray:
    values = [None if v is None else render(v) for v in col.to_pylist()]
    return pa.chunked_array([pa.array(values, type=pa.string())])


_MARKED_START = r"^'([=+\-@\t\r])"
_MARKED_AFTER_SEPARATOR = r"([,;|\t])'([=+\-@\t\r])"


def unmarked(text: pa.Array) -> pa.Array:
    """Text cells without the apostrophe an export puts before a would-be formula
    (`domain.cells.inert`): a spreadsheet reads "'=1+2" as the text "=1+2", and so do we."""
    if not pc.any(pc.fill_null(pc.match_substring(text, "'"), False)).as_py():
        return text
    text = pc.replace_substring_regex(text, _MARKED_START, r"\1", max_replacements=1)
    return pc.replace_substring_regex(text, _MARKED_AFTER_SEPARATOR, r"\1\2")
