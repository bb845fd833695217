"""Excel workbooks through python-calamine: one sheet, title rows skipped, cells as text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from salesmetrics.ingest.cells import cell_text
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.header import SCAN_ROWS, find_header
from salesmetrics.ingest.model import RawTable
from salesmetrics.ingest.table import Draft, finish_table


def read_xlsx(path: Path, *, sheet: str | None) -> RawTable:
    """Read the first (or the named) sheet of a workbook into text columns."""
    file = path.name
    rows, name = _sheet_rows(path, sheet, file)
    if not any(any(v != "" for v in row) for row in rows):
        raise IngestError(f"sheet '{name}' is empty", file=file)
    texts = [[cell_text(v) or "" for v in row] for row in rows[:SCAN_ROWS]]
    at = find_header(texts, file=file, row_numbers=list(range(1, len(texts) + 1)))
    title_rows = sum(1 for row in texts[:at] if any(c.strip() for c in row))
    draft = Draft(file=file, format="xlsx", header_row=at + 1, sheet=name)
    if title_rows:
        draft.notes.append(f"{title_rows} title row(s) above the header skipped")
    body = rows[at + 1 :]
    width = len(texts[at])
    columns = [_column([row[j] if j < len(row) else "" for row in body]) for j in range(width)]
    numbers = np.arange(at + 2, at + 2 + len(body), dtype=np.int64)
    return finish_table(draft, texts[at], columns, numbers)


def _sheet_rows(path: Path, sheet: str | None, file: str) -> tuple[Sequence[Sequence[object]], str]:
    try:
        book = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise IngestError(
            "the workbook is password-protected: save a copy without a password", file=file
        ) from None
    except CalamineError as exc:
        raise IngestError(f"the file is not a readable Excel workbook ({exc})", file=file) from None
    try:
        names = list(book.sheet_names)
        if not names:
            raise IngestError("the workbook has no sheets", file=file)
        name = names[0] if sheet is None else sheet
        if name not in names:
            listed = ", ".join(f"'{n}'" for n in names)
            raise IngestError(f"there is no sheet '{sheet}'; the sheets are {listed}", file=file)
        # Keep the empty rows and columns at the top-left so row numbers match Excel's.
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise IngestError(f"the workbook cannot be read ({exc})", file=file) from None
    finally:
        book.close()
    return rows, name


def _column(values: Sequence[object]) -> pa.Array:
    if all(type(v) is str for v in values):
        return pa.array(values, type=pa.string())
    return pa.array([cell_text(v) for v in values], type=pa.string())
