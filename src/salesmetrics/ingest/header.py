"""The header row: found below any title rows, its names cleaned and checked."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from salesmetrics.ingest.errors import IngestError

SCAN_ROWS = 50
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
    return next(i for i, n in enumerate(named) if n >= need)


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
