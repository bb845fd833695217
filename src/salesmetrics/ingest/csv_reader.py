"""Delimited text (CSV, TSV, semicolon files): sniffed in Python, parsed by Arrow in threads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

from salesmetrics.ingest.csv_diagnose import find_malformed, record_lines
from salesmetrics.ingest.dialect import (
    Dialect,
    Record,
    delimiter_name,
    sample_records,
    sniff_dialect,
)
from salesmetrics.ingest.encoding import decode_text
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.header import find_header
from salesmetrics.ingest.model import RawTable
from salesmetrics.ingest.table import Draft, finish_table

_SAMPLE_BYTES = 1 << 16
_BLOCK_BYTES = 16 << 20


@dataclass(frozen=True)
class _Body:
    """Where the data rows start and how they are split."""

    data: bytes
    start: int  # byte offset of the first line after the header
    first_line: int  # its line number in the file
    names: list[str]
    dialect: Dialect
    file: str


def read_csv(path: Path, *, encoding: str | None, delimiter: str | None) -> RawTable:
    """Read a delimited text file into text columns under its header row."""
    file = path.name
    decoded = decode_text(path.read_bytes(), encoding, file)
    data = _unix_newlines(decoded.data)
    sample = _sample(data)
    if not sample.strip():
        raise IngestError("the file is empty: no header and no rows", file=file)
    dialect = sniff_dialect(sample, delimiter=delimiter)
    titles, header, names = _header(sample, len(sample) < len(data), dialect, file)
    draft = Draft(
        file=file,
        format="csv",
        header_row=header.first_line,
        encoding=decoded.encoding,
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar,
        notes=[*decoded.notes, *_dialect_notes(dialect, len(names))],
        # Every formula has one of these; scanning bytes is cheaper than a regex per column.
        formulas_possible=any(char in data for char in (b"=", b"(", b"!", b"|")),
        ascii_only=decoded.ascii_only,
    )
    if titles:
        draft.notes.append(f"{titles} title row(s) above the header skipped")
    start = _offset_after(data, header.last_line)
    columns, rows = _parse_body(_Body(data, start, header.last_line + 1, names, dialect, file))
    return finish_table(draft, names, columns, rows)


def _header(
    sample: str, truncated: bool, dialect: Dialect, file: str
) -> tuple[int, Record, list[str]]:
    """How many title rows precede the header, the header record, and its column names."""
    records = [r for r in sample_records(sample, dialect) if any(c.strip() for c in r.cells)]
    if truncated and len(records) > 1:
        records = records[:-1]  # may be cut short by the end of the sample
    lines = [r.first_line for r in records]
    at = find_header([r.cells for r in records], file=file, row_numbers=lines)
    return at, records[at], _fit_header(records[at].cells, records[at + 1 :])


def _unix_newlines(data: bytes) -> bytes:
    # Classic Mac files end lines with CR only; the stdlib sniffing below splits on LF.
    if b"\n" not in data and b"\r" in data:
        return data.replace(b"\r", b"\n")
    return data


def _sample(data: bytes) -> str:
    if len(data) <= _SAMPLE_BYTES:
        return data.decode("utf-8")
    end = data.rfind(b"\n", 0, _SAMPLE_BYTES)
    if end < 0:
        end = data.find(b"\n", _SAMPLE_BYTES)
    return data[: end + 1 if end >= 0 else len(data)].decode("utf-8")


def _dialect_notes(dialect: Dialect, width: int) -> list[str]:
    if width < 2:
        return ["one column: no delimiter found"]
    return [f"delimiter '{dialect.delimiter}' ({delimiter_name(dialect.delimiter)})"]


def _fit_header(cells: list[str], after: list[Record]) -> list[str]:
    """The header, trimmed or padded to the width most data rows have.

    Spreadsheet exports often end every row, or only the header, with a spare delimiter.
    """
    widths = Counter(len(r.cells) for r in after)
    if len(widths) != 1:
        return cells  # no rows, or ragged ones: the fast parser will name them
    width = next(iter(widths))
    if len(cells) > width and not any(c.strip() for c in cells[width:]):
        return cells[:width]
    if len(cells) < width:
        return cells + [""] * (width - len(cells))
    return cells


def _offset_after(data: bytes, line: int) -> int:
    at = -1
    for _ in range(line):
        at = data.find(b"\n", at + 1)
        if at < 0:
            return len(data)
    return at + 1


def _parse_body(body: _Body) -> tuple[list[pa.ChunkedArray], npt.NDArray[np.int64]]:
    if _blank_from(body.data, body.start):
        empty = [pa.chunked_array([], type=pa.string()) for _ in body.names]
        return empty, np.zeros(0, dtype=np.int64)
    bad_rows: list[str] = []
    try:
        table = _arrow_read(body, bad_rows, _BLOCK_BYTES)
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):
            raise _diagnosed(body, str(exc)) from None
        # One cell larger than a block: read the whole body as one block.
        table = _arrow_read(body, bad_rows, len(body.data) - body.start + 1)
    if bad_rows:
        raise _diagnosed(body, f"a row has the wrong number of cells: '{bad_rows[0][:80]}'")
    quote = body.dialect.quotechar.encode()
    if body.data.find(quote, body.start) >= 0 and body.data.count(quote, body.start) % 2:
        error = _malformed(body)
        if error is not None:
            raise error
    return table.columns, _row_numbers(body, table.num_rows)


def _blank_from(data: bytes, start: int) -> bool:
    rest = len(data) - start
    return rest <= 0 or (rest < _SAMPLE_BYTES and not data[start:].strip())


def _arrow_read(body: _Body, bad_rows: list[str], block_size: int) -> pa.Table:
    def on_bad_row(row: pacsv.InvalidRow) -> str:
        if row.text.strip():  # a line of spaces is an empty line, not a short row
            bad_rows.append(row.text)
        return "skip"

    columns = [f"c{i}" for i in range(len(body.names))]
    source = pa.BufferReader(pa.py_buffer(body.data).slice(body.start))
    return pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(column_names=columns, block_size=block_size),
        parse_options=pacsv.ParseOptions(
            delimiter=body.dialect.delimiter,
            quote_char=body.dialect.quotechar,
            double_quote=True,
            escape_char=False,
            newlines_in_values=True,
            ignore_empty_lines=True,
            invalid_row_handler=on_bad_row,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.string()),
            check_utf8=False,  # validated (or produced) by decode_text
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )


def _text(body: _Body) -> str:
    return body.data[body.start :].decode("utf-8")


def _malformed(body: _Body) -> IngestError | None:
    """The first ragged row or open quote of the body, named by its line, if there is one."""
    return find_malformed(
        _text(body),
        first_line=body.first_line,
        names=body.names,
        dialect=body.dialect,
        file=body.file,
    )


def _diagnosed(body: _Body, fallback: str) -> IngestError:
    return _malformed(body) or IngestError(f"cannot read the rows: {fallback}", file=body.file)


def _row_numbers(body: _Body, n_rows: int) -> npt.NDArray[np.int64]:
    """The file line each row starts on: cheap when every row is one line, exact always."""
    data, start = body.data, body.start
    lines = data.count(b"\n", start) + (0 if data.endswith(b"\n") else 1)
    if lines == n_rows:
        return np.arange(body.first_line, body.first_line + n_rows, dtype=np.int64)
    filled = _filled_lines(data, start) + body.first_line
    if len(filled) == n_rows:
        return filled
    found = np.asarray(record_lines(_text(body), body.dialect, body.first_line), dtype=np.int64)
    if len(found) != n_rows:
        raise IngestError(
            f"rows could not be lined up with the file's lines ({len(found)} vs {n_rows}); "
            "check the quoting",
            file=body.file,
        )
    return found


_SPACE_BYTES = np.array([9, 13, 32], dtype=np.uint8)


def _filled_lines(data: bytes, start: int) -> npt.NDArray[np.int64]:
    """0-based indexes (from `start`) of the lines that are not empty."""
    arr = np.frombuffer(data, dtype=np.uint8, offset=start)
    ends = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(arr)]))
    if starts[-1] == len(arr):
        starts, ends = starts[:-1], ends[:-1]
    ink = np.concatenate(([0], np.cumsum(~np.isin(arr, _SPACE_BYTES))))
    blank = ink[ends] - ink[starts] == 0  # nothing but spaces, tabs and a CR
    return np.flatnonzero(~blank).astype(np.int64)
