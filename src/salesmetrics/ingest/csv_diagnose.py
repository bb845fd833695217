"""The slow, exact second look at a CSV the fast parser choked on: which row, and why."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from salesmetrics.ingest.dialect import Dialect, unlimited_fields
from salesmetrics.ingest.errors import IngestError

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

_SHOWN = 5


def _reader(text: str, dialect: Dialect, *, strict: bool = False) -> CsvReader:
    return csv.reader(
        io.StringIO(text, newline="\n"),
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar,
        strict=strict,
    )


def record_lines(text: str, dialect: Dialect, first_line: int) -> list[int]:
    """The file line each non-empty record of `text` starts on (cells may span lines)."""
    out: list[int] = []
    reader = _reader(text, dialect)
    last = 0
    with unlimited_fields():
        for cells in reader:
            if cells:
                out.append(first_line + last)
            last = reader.line_num
    return out


def find_malformed(
    text: str, *, first_line: int, names: Sequence[str], dialect: Dialect, file: str
) -> IngestError | None:
    """The error for the first ragged row or unclosed quote in `text`, or None if all is well."""
    ragged: list[tuple[int, int, int]] = []
    swallowed: IngestError | None = None
    reader = _reader(text, dialect)
    last, begin, cells = 0, 1, []
    with unlimited_fields():
        try:
            for cells in reader:
                begin, last = last + 1, reader.line_num
                if cells and len(cells) != len(names):
                    ragged.append((first_line + begin - 1, first_line + last - 1, len(cells)))
                elif last > begin and swallowed is None:
                    swallowed = _swallowed(cells, names, dialect, file, first_line + begin - 1)
        except csv.Error as exc:
            reason = f"this row cannot be split into cells ({exc})"
            return IngestError(reason, file=file, row=first_line + last)
        if _ends_inside_quotes(text, begin, dialect):
            column = names[len(cells) - 1] if 0 < len(cells) <= len(names) else None
            return IngestError(
                "a quote opened here is never closed: the cell runs to the end of the file",
                file=file,
                row=first_line + begin - 1,
                column=column,
            )
    if ragged and (swallowed is None or (swallowed.row or 0) > ragged[0][0]):
        return _ragged_error(ragged, len(names), file)
    return swallowed


def _swallowed(
    cells: list[str], names: Sequence[str], dialect: Dialect, file: str, row: int
) -> IngestError | None:
    """A cell spanning lines that look like whole rows: a quote opened and closed far too late."""
    enough = max(1, len(names) - 1)
    for name, cell in zip(names, cells, strict=False):
        lines = cell.split("\n")[1:]
        if any(line.count(dialect.delimiter) >= enough for line in lines):
            return IngestError(
                f"a quoted cell runs over {len(lines) + 1} lines that look like whole rows: "
                "is a quote left open?",
                file=file,
                row=row,
                column=name,
            )
    return None


def _ends_inside_quotes(text: str, begin: int, dialect: Dialect) -> bool:
    """Whether the last record (starting on line `begin` of `text`) ends inside a quoted cell."""
    at = 0
    for _ in range(begin - 1):
        at = text.find("\n", at) + 1
    try:
        for _cells in _reader(text[at:], dialect, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _cells(count: int) -> str:
    return f"{count} cell" if count == 1 else f"{count} cells"


def _ragged_error(ragged: list[tuple[int, int, int]], width: int, file: str) -> IngestError:
    first, last, cells = ragged[0]
    if last > first:
        reason = (
            f"this row runs over lines {first}–{last} and has {_cells(cells)}, but the header has "
            f"{width}: is a quote left open?"
        )
    else:
        reason = f"this row has {_cells(cells)}, but the header has {width}"
    others = [str(r[0]) for r in ragged[1 : 1 + _SHOWN]]
    if others:
        more = len(ragged) - 1 - len(others)
        reason += f" (also rows {', '.join(others)}{f' and {more} more' if more else ''})"
    return IngestError(reason, file=file, row=first)
