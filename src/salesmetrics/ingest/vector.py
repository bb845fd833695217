"""Helpers for whole-column work: a clean text array in, issues for the bad cells out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest.model import CellIssue

Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
_PROBE = 256
Column: TypeAlias = pa.Array | pa.ChunkedArray


def text_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous string array, whitespace (incl. no-break spaces) trimmed."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    return pc.utf8_trim_whitespace(values)


def mask(values: pa.Array | pa.ChunkedArray) -> Mask:
    """A boolean Arrow array as numpy, nulls as False."""
    filled = pc.fill_null(values, False)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks()
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


def present(text: pa.Array) -> Mask:
    """Cells that hold something (not null, not empty)."""
    return mask(pc.greater(pc.utf8_length(text), 0))


def ints(values: pa.Array, default: int = 0) -> npt.NDArray[np.int64]:
    """Digit strings as int64; null or empty -> `default`."""
    filled = pc.fill_null(values, str(default))
    filled = pc.if_else(pc.equal(filled, ""), str(default), filled)
    return np.asarray(pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def issues_where(bad: Mask, text: pa.Array, reason: Callable[[str], str]) -> list[CellIssue]:
    """One issue per flagged cell; the loop runs over the bad minority only."""
    at = np.flatnonzero(bad)
    if not len(at):
        return []
    cells = text.take(pa.array(at)).to_pylist()
    return [CellIssue(int(i), reason(str(v))) for i, v in zip(at, cells, strict=True)]


def try_cast(values: pa.Array, kind: pa.DataType) -> pa.Array | None:
    """A strict cast, or None if any cell refuses it.

    A failing Arrow cast costs far more than a passing one when many cells fail, so the first
    cells are tried alone before the whole column.
    """
    for part in (values.slice(0, _PROBE), values) if len(values) > _PROBE else (values,):
        try:
            cast = pc.cast(part, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    return cast
