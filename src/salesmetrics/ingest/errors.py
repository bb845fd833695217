"""The one error type the readers and parsers raise: it names the file, row and column."""

from __future__ import annotations

from salesmetrics.domain.errors import InputError


class IngestError(InputError):
    """A file (or a whole column) that cannot be read; the message says where and why."""

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        line: int | None = None,
    ) -> None:
        # `line` is `row` for formats whose rows are lines by nature (JSON lines).
        spot = _row(row) if line is None else f"line {line}"
        where = [part for part in (file, spot, _column(column)) if part]
        super().__init__(f"{', '.join(where)}: {reason}" if where else reason)
        self.reason = reason
        self.file = file
        self.row = row if line is None else line
        self.column = column


def _row(row: int | None) -> str | None:
    return None if row is None else f"row {row}"


def _column(column: str | None) -> str | None:
    return None if column is None else f"column '{column}'"
