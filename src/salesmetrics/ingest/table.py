"""The last step every reader shares: clean names and cells, drop empty rows, report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest.header import check_duplicates, clean_name
from salesmetrics.ingest.model import RawTable, SniffReport

# Text a spreadsheet would run as a formula: "=SUM(A1)", "+HYPERLINK(…)", "-cmd|' /C calc'!A0".
_FORMULA = r"^(?:=\S|[+\-@]\s*[A-Za-z_][A-Za-z0-9_.]*\s*[(!|])"
_FORMULA_STARTS = pa.array(["=", "+", "-", "@"])


@dataclass
class Draft:
    """What a reader learned about the file, before the table is finished."""

    file: str
    format: str
    header_row: int
    encoding: str | None = None
    delimiter: str | None = None
    quotechar: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    formulas_possible: bool = True  # False when the raw text has none of = ( ! |
    ascii_only: bool = False  # then the cheaper ASCII trim finds all the whitespace there is


def finish_table(
    draft: Draft,
    names: Sequence[str],
    columns: Sequence[pa.Array | pa.ChunkedArray],
    row_numbers: npt.NDArray[np.int64],
) -> RawTable:
    """Stripped text cells (empty -> null) under unique names; empty rows and columns dropped."""
    cleaned = [clean_name(n) for n in names]
    cells = [_strip(col, draft.ascii_only) for col in columns]
    cleaned, cells = _name_or_drop_unnamed(draft, cleaned, cells)
    check_duplicates(cleaned, file=draft.file, row=draft.header_row)
    table = pa.table(cells, names=cleaned) if cells else pa.table({})
    rows = pa.array(row_numbers, type=pa.int64())
    if cells and table.num_rows:
        table, rows = _drop_empty_rows(draft, table, rows)
    if table.num_rows == 0:
        draft.notes.append("the file has a header but no data rows")
    if draft.formulas_possible:
        _note_formulas(draft, table, rows)
    report = SniffReport(
        format=draft.format,
        encoding=draft.encoding,
        delimiter=draft.delimiter,
        quotechar=draft.quotechar,
        header_row=draft.header_row,
        sheet=draft.sheet,
        columns=list(cleaned),
        rows=table.num_rows,
        notes=draft.notes,
    )
    return RawTable(table, rows, report)


def _strip(col: pa.Array | pa.ChunkedArray, ascii_only: bool) -> pa.ChunkedArray:
    if pa.types.is_large_string(col.type):
        col = col.cast(pa.string())
    trimmed = pc.ascii_trim_whitespace(col) if ascii_only else pc.utf8_trim_whitespace(col)
    empty = pc.equal(trimmed, "")
    if pc.any(empty).as_py():
        trimmed = pc.if_else(empty, pa.scalar(None, pa.string()), trimmed)
    return trimmed if isinstance(trimmed, pa.ChunkedArray) else pa.chunked_array([trimmed])


def _name_or_drop_unnamed(
    draft: Draft, names: list[str], cells: list[pa.ChunkedArray]
) -> tuple[list[str], list[pa.ChunkedArray]]:
    """Drop nameless columns that hold nothing; call the others 'column N' and say so."""
    out_names: list[str] = []
    out_cells: list[pa.ChunkedArray] = []
    dropped = 0
    for pos, (name, col) in enumerate(zip(names, cells, strict=True), start=1):
        if not name and col.null_count == len(col):
            dropped += 1
            continue
        if not name:
            name = _free_name(f"column {pos}", names)
            draft.notes.append(f"column {pos} has data but no header name; it is called '{name}'")
        out_names.append(name)
        out_cells.append(col)
    if dropped:
        draft.notes.append(f"{dropped} empty column(s) without a header name skipped")
    return out_names, out_cells


def _free_name(name: str, taken: Sequence[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


def _drop_empty_rows(draft: Draft, table: pa.Table, rows: pa.Array) -> tuple[pa.Table, pa.Array]:
    keep = pc.is_valid(table.column(0))
    for col in table.columns[1:]:
        keep = pc.or_(keep, pc.is_valid(col))
    kept = pc.sum(keep).as_py() or 0
    if kept == table.num_rows:
        return table, rows
    draft.notes.append(f"{table.num_rows - kept} empty row(s) skipped")
    keep = keep.combine_chunks() if isinstance(keep, pa.ChunkedArray) else keep
    return table.filter(keep), rows.filter(keep)


def _note_formulas(draft: Draft, table: pa.Table, rows: pa.Array) -> None:
    for name, col in zip(table.column_names, table.columns, strict=True):
        first = pc.utf8_slice_codeunits(col, 0, 1)
        maybe = pc.fill_null(pc.is_in(first, value_set=_FORMULA_STARTS), False)
        if not pc.any(maybe).as_py():
            continue
        hits = pc.fill_null(pc.match_substring_regex(col, _FORMULA), False)
        count = pc.sum(hits).as_py() or 0
        if count:
            at = pc.index(hits, True).as_py()
            example = col[at].as_py()
            draft.notes.append(
                f"column '{name}': {count} cell(s) look like spreadsheet formulas "
                f"(first at row {rows[at].as_py()}: '{example[:40]}'); kept as text, never run"
            )
