"""Record lists as files a spreadsheet opens: CSV (UTF-8 with a byte order mark, so Excel reads
Cyrillic) or XLSX. The rows are the ones the person's list shows (same filters, search and
visibility rule); every export is in the audit log.

Nothing in an export runs as a formula. CSV cells that a spreadsheet would run get the marker
of `domain.cells.inert`; XLSX text is always written as a text cell, and text that looks like a
formula also carries Excel's quote prefix, so it stays text when someone edits the cell (and,
if it starts with a tab or carriage return, the mark as well). An import removes the marks. Money
is written in major units of its row's currency, which an import reads back as it was.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import xlsxwriter

from salesmetrics.domain.access import Principal
from salesmetrics.domain.cells import inert
from salesmetrics.domain.errors import InputError
from salesmetrics.services import records
from salesmetrics.services.access.audit import record
from salesmetrics.services.workspace import Workspace

FORMATS = ("csv", "xlsx")
MAX_ROWS = 1_000_000  # an Excel sheet holds 1,048,576 rows
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip
Progress = Callable[[int, int], None]  # (rows written, rows in all)


@dataclass(frozen=True, slots=True)
class Export:
    """An export's bytes and how to offer them."""

    data: bytes
    file_name: str
    media_type: str
    rows: int


def _plain(value: Any) -> Any:
    """A record's value as a cell: money as its decimal amount, JSON as text, times as ISO."""
    if isinstance(value, dict) and "minor" in value:
        return Decimal(value["amount"])
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([inert(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _xlsx(header: list[str], rows: Iterable[list[Any]], sheet: str) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    # dated to the day, not the second: the same records give the same bytes all day
    book.set_properties({"created": datetime.combine(date.today(), time(), UTC)})
    bold = book.add_format({"bold": True})
    as_text = book.add_format({"quote_prefix": True})
    page = book.add_worksheet(sheet)
    page.freeze_panes(1, 0)
    widths = [max(8, len(h) + 2) for h in header]
    for col, name in enumerate(header):
        page.write_string(0, col, name, bold)
    n = 0
    for n, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            _cell(page, n, col, value, as_text)
            widths[col] = min(60, max(widths[col], len(str(value or "")) + 2))
    for col, width in enumerate(widths):
        page.set_column(col, col, width)
    page.autofilter(0, 0, max(n, 1), max(len(header) - 1, 0))
    book.close()
    return out.getvalue()


def _cell(page: Any, row: int, col: int, value: Any, as_text: Any) -> None:
    if value is None:
        return
    if isinstance(value, Decimal):
        page.write_number(row, col, float(value))
    elif isinstance(value, int | float):
        page.write_number(row, col, value)
    elif inert(value) != value:  # looks like a formula: text, and stays text
        # a leading tab or carriage return keeps the mark too: an import trims whitespace
        # around a cell, and would otherwise read "\t=1+1" back as "=1+1"
        text = "'" + str(value) if str(value)[:1] in "\t\r" else str(value)
        page.write_string(row, col, text, as_text)
    else:
        page.write_string(row, col, str(value))


def check_format(fmt: str) -> None:
    """An InputError unless `fmt` is a format exports are written in."""
    if fmt not in FORMATS:
        raise InputError(f"cannot export as '{fmt}': use {' or '.join(FORMATS)}")


def as_file(fmt: str, header: list[str], rows: Sequence[list[Any]], *, name: str,
            sheet: str) -> Export:  # fmt: skip
    """`rows` under `header` as the file `name`.`fmt`, written as every export is (for lists
    that are not records: a segment's customers). The caller records the export."""
    check_format(fmt)
    data = _csv(header, rows) if fmt == "csv" else _xlsx(header, rows, sheet)
    return Export(data, f"{name}.{fmt}", MEDIA[fmt], len(rows))


def export_records(
    ws: Workspace, who: Principal, kind: str, fmt: str, *,
    filters: Mapping[str, Any] | None = None, sort: str = "id", search: str | None = None,
    progress: Progress | None = None, address: str | None = None,
    actor: Principal | None = None,
) -> Export:  # fmt: skip
    """The records of `kind` that `who` sees (filtered, searched, sorted) as a CSV or XLSX file;
    the audit log names `actor` (who asked: `who` unless an operator exports as someone)."""
    check_format(fmt)
    total = records.count_records(ws, kind, who.scope, filters=filters, search=search)
    if total > MAX_ROWS:
        raise InputError(f"{total:,} {kind} match: an export holds at most {MAX_ROWS:,} rows; "
                         "narrow it with filters (a date range, a rep, a status)")  # fmt: skip
    header = records.export_columns(kind)
    found = records.each_record(ws, kind, who.scope, filters=filters, sort=sort, search=search)

    def rows() -> Iterable[list[Any]]:
        for n, row in enumerate(found, start=1):
            yield [_plain(row.get(name)) for name in header]
            if progress is not None and (n % 5_000 == 0 or n == total):
                progress(n, total)

    data = _csv(header, rows()) if fmt == "csv" else _xlsx(header, rows(), kind)
    used = {k: v for k, v in (filters or {}).items() if v not in (None, [], ())}
    seen_as = None if actor is None else who.email
    record(ws, actor or who, "export", object_type=kind, address=address,
           details={"format": fmt, "rows": total, "sort": sort, "search": search, "as": seen_as,
                    "filters": json.loads(json.dumps(used, default=str))})  # fmt: skip
    stamp = date.today().isoformat()
    return Export(data, f"{kind}-{stamp}.{fmt}", MEDIA[fmt], total)
