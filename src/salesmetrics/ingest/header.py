"""The header row: found below any title rows, its names cleaned and checked, and a survey
export's second header row merged into it."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace

import pyarrow as pa

from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.model import RawTable

SCAN_ROWS = 50
# SurveyMonkey heads its exports with two rows: the question, then "Response", "Open-Ended
# Response" or an answer choice under it. Its first column is never empty on a response.
SECOND_ROW_KEY = "Respondent ID"
_SINGLE_ANSWER = ("response", "open-ended response")
# A cell made only of digits, punctuation and currency signs is data, never a column name.
_DATA_LIKE = re.compile(r"^[\s\d.,:;/\\+\-−()%'₴$€£]*\d[\s\d.,:;/\\+\-−()%'₴$€£TZ]*$")
_SPACES = re.compile(r"\s+")


def find_header(rows: Sequence[Sequence[str]], *, file: str, row_numbers: Sequence[int]) -> int:
    """Index of the header among `rows`: the first row nearly as full of names as the fullest.

    Title rows ("Звіт про продажі за жовтень", "Період: 01.10–31.10") have one or two text
    cells; the header has a name in (almost) every column; data rows come after it.
    """
    named = [sum(1 for c in row if _is_name(c)) for row in rows[:SCAN_ROWS]]
    if not named or max(named) == 0:
        first = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), 0)
        raise IngestError(
            "no header row found: the first rows hold only numbers or dates; "
            "the file needs a row of column names above the data",
            file=file,
            row=row_numbers[first] if row_numbers else None,
        )
    need = max(1, math.ceil(0.6 * max(named)))
    at = next(i for i, n in enumerate(named) if n >= need)
    if at and SECOND_ROW_KEY in (c.strip() for c in rows[at - 1]):
        return at - 1  # a second header row of answer choices may name more columns
    return at


def _is_name(cell: str) -> bool:
    text = cell.strip()
    return bool(text) and not _DATA_LIKE.match(text)


def clean_name(name: str) -> str:
    """Strip a header name and fold inner whitespace (Excel's Alt+Enter breaks) to one space."""
    return _SPACES.sub(" ", name.replace("\ufeff", "")).strip()


def check_duplicates(names: Sequence[str], *, file: str, row: int | None) -> None:
    """Raise listing every repeated header name with its column positions."""
    seen: dict[str, list[int]] = {}
    for pos, name in enumerate(names, start=1):
        if name:
            seen.setdefault(name, []).append(pos)
    repeated = {name: cols for name, cols in seen.items() if len(cols) > 1}
    if repeated:
        listed = "; ".join(
            f"'{name}' (columns {', '.join(map(str, cols))})" for name, cols in repeated.items()
        )
        raise IngestError(
            f"the header repeats column names: {listed}; give each column its own name",
            file=file,
            row=row or None,
        )


def merge_second_row(raw: RawTable) -> RawTable:
    """Fold a survey export's second header row into the column names and drop it.

    "Response" and "Open-Ended Response" leave the question as the name; an answer choice is
    added to it ("Which products? - Kettle"), the question carried over the columns it spans.
    """
    names = raw.data.column_names
    if SECOND_ROW_KEY not in names or not raw.data.num_rows:
        return raw
    first = raw.data.slice(0, 1).to_pylist()[0]
    if first[SECOND_ROW_KEY] is not None:
        return raw
    merged: list[str] = []
    question = ""
    for pos, name in enumerate(names, start=1):
        unnamed = name == f"column {pos}"  # as the reader calls a column without a name
        question = question if unnamed else name
        sub = first[name]
        if sub is None:
            merged.append(name)
            continue
        single = sub.lower() in _SINGLE_ANSWER and not unnamed
        new = question if single else f"{question} - {sub}"
        merged.append(new if new not in merged else f"{new} (column {pos})")
    renamed = [
        f"column {p} has" for p, (a, b) in enumerate(zip(names, merged, strict=True), 1) if a != b
    ]
    notes = [n for n in raw.report.notes if not n.startswith(tuple(renamed))]
    row = raw.row_numbers[0].as_py()
    notes.append(f"row {row} is a second header row (answer choices): merged into the names")
    report = replace(raw.report, columns=merged, rows=raw.data.num_rows - 1, notes=notes)
    data = pa.table(raw.data.slice(1).columns, names=merged)
    return RawTable(data, raw.row_numbers.slice(1), report)
