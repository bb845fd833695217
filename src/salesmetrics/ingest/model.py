"""What a reader hands back: the cells as text, where each row came from, and what was sniffed."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class SniffReport:
    """What was detected about a file, in words a user can check before anything is written."""

    format: str  # "csv" | "xlsx" | "parquet" | "jsonl"
    encoding: str | None  # "utf-8", "utf-8-sig", "utf-16", "cp1251" ...; None for binary formats
    delimiter: str | None
    quotechar: str | None
    header_row: int  # 1-based row of the header in the file/sheet; 0 when the format has none
    sheet: str | None
    columns: list[str]
    rows: int
    notes: list[str]


@dataclass(frozen=True)
class RawTable:
    """Every cell as stripped text (empty -> null), plus the row number the user sees per row."""

    data: pa.Table
    row_numbers: pa.Array  # int64, one per data row
    report: SniffReport


@dataclass(frozen=True)
class CellIssue:
    """One non-empty cell a parser could not read: its position in the column and why."""

    index: int
    reason: str
