"""A report as an XLSX workbook: a cover sheet (period, scope, whose view, when, language) and a
sheet per section, its tables one under another with a bold header, frozen below the first
header, columns sized to their contents. Numbers are numbers with real formats: money in major
units of the workspace's currency (`#,##0.00 ₴`), rates as percentages, dates as dates. Text is
always written as text (never run as a formula: see services/exports.py)."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import xlsxwriter

from salesmetrics.services.reports.fmt import major, symbol
from salesmetrics.services.reports.model import Cell, Kind, Report, Section, Table
from salesmetrics.services.reports.pdf import facts
from salesmetrics.services.reports.texts import say

MAX_WIDTH = 60
_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, taken: set[str]) -> str:
    """A title as a sheet name: at most 31 characters, none of []:*?/\\, unique."""
    base = " ".join(_BAD.sub(" ", title).split())[:31].strip() or "Sheet"
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


class _Formats:
    def __init__(self, book: Any, currency: str, lang: str) -> None:
        sign = symbol(currency, lang).replace('"', "")
        self.by_kind = {
            Kind.MONEY: book.add_format({"num_format": f'#,##0.00 "{sign}"'}),
            Kind.PERCENT: book.add_format({"num_format": "0.0%"}),
            Kind.COUNT: book.add_format({"num_format": "#,##0"}),
            Kind.NUMBER: book.add_format({"num_format": "#,##0.0"}),
            Kind.DATE: book.add_format({"num_format": "yyyy-mm-dd"}),
            Kind.MONTH: book.add_format({"num_format": "mmm yyyy"}),
        }
        self.head = book.add_format({"bold": True, "bg_color": "#EEF3F8", "bottom": 1,
                                     "text_wrap": True, "valign": "bottom"})  # fmt: skip
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.sub = book.add_format({"bold": True, "font_size": 11})
        self.text = book.add_format({"text_wrap": False})


def _write(page: Any, row: int, col: int, value: Cell, kind: Kind, f: _Formats,
           currency: str) -> int:  # fmt: skip
    """One cell; its width in characters."""
    if value is None:
        return 1
    if isinstance(value, date):
        page.write_datetime(row, col, value, f.by_kind.get(kind, f.by_kind[Kind.DATE]))
        return 12
    if isinstance(value, str):
        page.write_string(row, col, value)
        return len(value)
    number = major(value, currency) if kind is Kind.MONEY else float(value)
    page.write_number(row, col, number, f.by_kind.get(kind, f.by_kind[Kind.NUMBER]))
    return len(f"{number:,.2f}") + 3


def _table(page: Any, top: int, t: Table, f: _Formats, currency: str,
           widths: list[int]) -> int:  # fmt: skip
    """The table from row `top`; the first row after it."""
    for col, c in enumerate(t.columns):
        page.write_string(top, col, c.label, f.head)
        widths[col] = max(widths[col], min(len(c.label), 18) + 2)
    for r, values in enumerate(t.rows):
        for col, value in enumerate(values):
            used = _write(page, top + 1 + r, col, value, t.kind(r, col), f, currency)
            widths[col] = max(widths[col], min(used + 2, MAX_WIDTH))
    return top + 1 + len(t.rows)


def _section(book: Any, name: str, s: Section, f: _Formats, currency: str) -> None:
    page = book.add_worksheet(name)
    page.write_string(0, 0, s.title, f.title)
    page.write_string(1, 0, s.text, f.text)
    widths = [8] * max((len(t.columns) for t in s.tables), default=1)
    row, first = 3, True
    for t in s.tables:
        if len(s.tables) > 1:
            page.write_string(row, 0, t.title, f.sub)
            row += 1
        if first:
            page.freeze_panes(row + 1, 0)
            first = False
        row = _table(page, row, t, f, currency, widths) + 2
    for col, width in enumerate(widths):
        page.set_column(col, col, width)


def _cover(book: Any, r: Report, f: _Formats) -> None:
    page = book.add_worksheet(sheet_name(say(r.lang, "cover"), set()))
    page.write_string(0, 0, r.title, f.title)
    page.write_string(1, 0, r.workspace)
    for n, (label, value) in enumerate(facts(r), start=3):
        page.write_string(n, 0, label, f.sub)
        page.write_string(n, 1, value)
    row = len(facts(r)) + 4
    page.write_string(row, 0, say(r.lang, "contents"), f.sub)
    for n, s in enumerate(r.sections, start=1):
        page.write_string(row + n, 0, f"{n}. {s.title}")
    for n, why in enumerate(r.skipped, start=row + len(r.sections) + 2):
        page.write_string(n, 0, f"{say(r.lang, 'skipped')}: {why}")
    page.set_column(0, 0, 28)
    page.set_column(1, 1, 40)


def write_xlsx(r: Report) -> bytes:
    """The report as XLSX bytes."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_numbers": False,
                                     "strings_to_urls": False, "in_memory": True})  # fmt: skip
    book.set_properties({"title": f"{r.title} {r.period}", "created": r.generated_at})
    f = _Formats(book, r.currency, r.lang)
    _cover(book, r, f)
    taken = {say(r.lang, "cover").casefold()}
    for s in r.sections:
        _section(book, sheet_name(s.title, taken), s, f, r.currency)
    book.close()
    return out.getvalue()
