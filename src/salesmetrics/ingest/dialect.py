"""CSV dialect: the delimiter and quote character, sniffed from the first rows of the text."""

from __future__ import annotations

import csv
import io
import re
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from salesmetrics.ingest.errors import IngestError

# On a tie, prefer the delimiter least likely to occur inside values: a semicolon file often
# has decimal commas, a comma file rarely has exactly one semicolon in every row.
DELIMITERS = ("\t", ";", "|", ",")
_NAMES = {"\t": "tab", ";": "semicolon", "|": "pipe", ",": "comma"}
_CONSISTENT = 0.8


@dataclass(frozen=True)
class Dialect:
    """How the rows of a delimited text file are split into cells."""

    delimiter: str
    quotechar: str


@dataclass(frozen=True)
class Record:
    """One record of the sample: its first and last line in the file and its cells."""

    first_line: int
    last_line: int
    cells: list[str]


def delimiter_name(delimiter: str) -> str:
    """'semicolon' for ';' and so on, for notes."""
    return _NAMES.get(delimiter, repr(delimiter))


def normalise_delimiter(delimiter: str) -> str:
    """Accept a single character or a name ('tab', '\\t', 'semicolon')."""
    names = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ",", "pipe": "|"}
    value = names.get(delimiter.strip().lower(), delimiter)
    if len(value) != 1 or value in "\r\n\"'":
        raise IngestError(f"'{delimiter}' cannot be a delimiter: use one character such as ; or ,")
    return value


def sniff_dialect(sample: str, *, delimiter: str | None) -> Dialect:
    """The delimiter giving the most rows with the same number (> 1) of cells; then the quote."""
    quote = _sniff_quote(sample)
    if delimiter is not None:
        return Dialect(delimiter, quote)
    best: tuple[float, int, int] = (-1.0, 0, 0)
    chosen = ","
    for rank, cand in enumerate(DELIMITERS):
        consistency, width = _score(sample, Dialect(cand, quote))
        if width < 2:
            continue
        key = (min(consistency, _CONSISTENT), width, -rank)
        if key > best:
            best, chosen = key, cand
    return Dialect(chosen, quote)


def _score(sample: str, dialect: Dialect) -> tuple[float, int]:
    widths = [len(r.cells) for r in sample_records(sample, dialect) if _filled(r.cells)]
    if not widths:
        return 0.0, 0
    width, count = Counter(widths).most_common(1)[0]
    return count / len(widths), width


def _sniff_quote(sample: str) -> str:
    """Double quotes unless the sample only ever quotes whole cells with apostrophes."""
    if '"' in sample:
        return '"'
    boundary = re.compile(r"(?:^|[,;\t|])'[^'\n]*'(?:[,;\t|]|$)", re.M)
    return "'" if len(boundary.findall(sample)) >= 3 else '"'


@contextmanager
def unlimited_fields() -> Iterator[None]:
    """Lift the stdlib csv cell size limit (128 KiB) while a 1 MB cell is walked over."""
    old = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def sample_records(sample: str, dialect: Dialect) -> list[Record]:
    """The records of the sample with their line numbers (1-based, as in the file)."""
    reader = csv.reader(
        io.StringIO(sample, newline="\n"),
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar,
        strict=False,
    )
    out: list[Record] = []
    last = 0
    try:
        with unlimited_fields():  # a header cell past 128 KiB is odd, not unreadable
            for cells in reader:
                out.append(Record(last + 1, reader.line_num, cells))
                last = reader.line_num
    except csv.Error:
        pass  # the sample was cut inside a huge cell or has a stray CR: sniff from what we have
    return out


def _filled(cells: list[str]) -> bool:
    return any(c.strip() for c in cells)
