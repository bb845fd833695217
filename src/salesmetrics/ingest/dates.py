"""Date and timestamp columns: the format decided from the whole column, then parsed at once.

A clean ISO (or fixed-width DD.MM.YYYY) column goes through Arrow's strict cast in one pass;
anything else is taken apart by one regex and checked in numpy (datefields.py).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest.datefields import US_PER_DAY, DateFormat, Fields, fields
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.model import CellIssue
from salesmetrics.ingest.vector import (
    Column,
    Mask,
    issues_where,
    mask,
    present,
    text_array,
    try_cast,
)

__all__ = ["DateFormat", "parse_date", "parse_timestamp", "resolve_date_format"]

UTC_US = pa.timestamp("us", tz="UTC")
_ISO = r"^\d{4}[./-]\d{1,2}[./-]\d{1,2}(?:$|[T\s])"
_DAY_MONTH = r"^\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?:$|[T\s])"
_SERIAL = r"^\d{1,7}(?:[.,]\d+)?$"
_FAMILIES = {DateFormat.YMD: _ISO, DateFormat.DMY: _DAY_MONTH, DateFormat.EXCEL: _SERIAL}
_FIRST_TWO = r"^(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})"


def resolve_date_format(values: Column, column_name: str) -> DateFormat:
    """The one format that reads the whole column; raise if two fit and no value decides."""
    text = text_array(values)
    given = present(text)
    if not given.any() or _starts_iso(text):
        return DateFormat.YMD  # nothing to read, or a clean ISO column
    counts: dict[DateFormat, int] = {}
    for family, pattern in _FAMILIES.items():
        counts[family] = _count(text, pattern)
        if counts[family] == given.sum():
            break  # every cell fits: no need to try the others
    family = max(counts, key=lambda f: counts[f])  # ties keep the order of _FAMILIES
    if counts[family] == 0:
        example = text.filter(pa.array(given))[0].as_py()
        reason = f": no value looks like a date (e.g. '{example}'); pass --date-format"
        raise _column_error(column_name, reason)
    if family is DateFormat.DMY:
        return _day_or_month_first(text, column_name)
    return family


def _day_or_month_first(text: pa.Array, column_name: str) -> DateFormat:
    """A value with a first number over 12 is day-first; with a second over 12, month-first."""
    parts = pc.extract_regex(text, _FIRST_TWO)
    first = pc.cast(pc.struct_field(parts, "a"), pa.int64())
    second = pc.cast(pc.struct_field(parts, "b"), pa.int64())
    day_first = mask(pc.and_(pc.greater(first, 12), pc.less_equal(second, 12)))
    month_first = mask(pc.and_(pc.greater(second, 12), pc.less_equal(first, 12)))
    votes_d, votes_m = int(day_first.sum()), int(month_first.sum())
    if votes_d != votes_m:
        return DateFormat.DMY if votes_d > votes_m else DateFormat.MDY
    if votes_d:
        ex_d = text.filter(pa.array(day_first))[0].as_py()
        ex_m = text.filter(pa.array(month_first))[0].as_py()
        raise _column_error(
            column_name,
            f" mixes day-first and month-first dates ('{ex_d}' and '{ex_m}'); pass --date-format",
        )
    separators = pc.unique(pc.drop_null(pc.struct_field(parts, "sep"))).to_pylist()
    if separators == ["."]:
        return DateFormat.DMY  # nobody writes month-first dates with dots
    raise _column_error(
        column_name,
        " is ambiguous: all values fit both DD.MM.YYYY and MM/DD/YYYY; pass --date-format",
    )


def parse_date(values: Column, fmt: DateFormat | str) -> tuple[pa.Array, list[CellIssue]]:
    """Dates as date32; a time part, if any, must be valid and is dropped."""
    fmt = _format(fmt)
    text = text_array(values)
    fast = _fast_dates(text, fmt)
    if fast is not None:
        return fast, []
    cells = fields(text, fmt)
    ok = cells.matched & cells.real_date & cells.real_time
    days = np.where(ok, cells.days, 0).astype(np.int32)
    result = pa.array(days, pa.date32(), mask=~ok)
    return result, _issues(text, cells, fmt, "a date", present(text) & ~ok)


def parse_timestamp(
    values: Column, fmt: DateFormat | str, tz: str
) -> tuple[pa.Array, list[CellIssue]]:
    """Instants as timestamp[us, UTC]; cells without a zone are wall-clock time in `tz`."""
    fmt = _format(fmt)
    _check_zone(tz)
    text = text_array(values)
    fast = _fast_timestamps(text, fmt, tz)
    if fast is not None:
        return fast
    cells = fields(text, fmt)
    ok = cells.matched & cells.real_date & cells.real_time
    local = np.where(ok, cells.days * US_PER_DAY + cells.time_us, 0)
    utc = local - cells.offset_us
    naive = ok & ~cells.zoned
    gap = np.zeros(len(text), dtype=np.bool_)
    if naive.any():
        aware, gap = _localize(pa.array(np.where(naive, local, 0), pa.timestamp("us")), tz)
        utc = np.where(naive, aware.cast(pa.int64()).to_numpy(zero_copy_only=False), utc)
        gap &= naive
    issues = _issues(text, cells, fmt, "a date and time", present(text) & ~ok)
    issues += issues_where(gap, text, _skipped(tz))
    result = pa.array(utc, pa.int64(), mask=~(ok & ~gap)).cast(UTC_US)
    return result, sorted(issues, key=lambda i: i.index)


def _format(fmt: DateFormat | str) -> DateFormat:
    return fmt if isinstance(fmt, DateFormat) else DateFormat.parse(fmt)


def _check_zone(tz: str) -> None:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise IngestError(f"unknown time zone '{tz}': use a name such as Europe/Kyiv") from None


def _localize(naive: pa.Array, tz: str) -> tuple[pa.Array, Mask]:
    """Wall-clock times in `tz` as UTC; at a clock change the earlier instant is taken, and
    times that do not exist (skipped by clocks going forward) are flagged."""
    aware = pc.assume_timezone(naive, timezone=tz, ambiguous="earliest", nonexistent="earliest")
    gap = mask(pc.not_equal(pc.local_timestamp(aware), naive))
    return aware.cast(UTC_US), gap


def _iso_text(text: pa.Array, fmt: DateFormat) -> pa.Array | None:
    """Fixed-width day/month dates rewritten as ISO for Arrow's cast; None if not fixed-width."""
    if fmt is DateFormat.YMD:
        return text
    if fmt is DateFormat.EXCEL or not present(text).any():
        return None
    shortest = pc.min(pc.utf8_length(text)).as_py()
    seps = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(text, 2, 3), pc.utf8_slice_codeunits(text, 5, 6), ""
    )
    tails = pc.utf8_slice_codeunits(text, 10, 11)
    if shortest < 10 or not _all_in(seps, ["..", "//", "--"]):
        return None
    if not _all_in(tails, ["", " ", "T"]):
        return None
    day, month = (0, 3) if fmt is DateFormat.DMY else (3, 0)
    return pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(text, 6, 10),
        "-",
        pc.utf8_slice_codeunits(text, month, month + 2),
        "-",
        pc.utf8_slice_codeunits(text, day, day + 2),
        pc.utf8_slice_codeunits(text, 10),
        "",
    )


def _starts_iso(text: pa.Array) -> bool:
    """Every cell starts with a real YYYY-MM-DD date, alone or before a time (cheap check)."""
    cells = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if try_cast(pc.utf8_slice_codeunits(cells, 0, 10), pa.date32()) is None:
        return False
    if pc.max(pc.utf8_length(cells)).as_py() == 10:
        return True
    return _all_in(pc.utf8_slice_codeunits(cells, 10, 11), ["", " ", "T"])


def _all_in(values: pa.Array, allowed: list[str]) -> bool:
    """Whether every non-null value is one of `allowed`."""
    return bool(
        (mask(pc.is_in(values, value_set=pa.array(allowed))) | ~mask(pc.is_valid(values))).all()
    )


def _fast_dates(text: pa.Array, fmt: DateFormat) -> pa.Array | None:
    iso = _iso_text(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text), fmt)
    if iso is None or pc.max(pc.utf8_length(iso)).as_py() not in (None, 10):
        return None
    return try_cast(iso, pa.date32())


def _fast_timestamps(
    text: pa.Array, fmt: DateFormat, tz: str
) -> tuple[pa.Array, list[CellIssue]] | None:
    iso = _iso_text(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text), fmt)
    if iso is None:
        return None
    naive = try_cast(iso, pa.timestamp("us"))
    if naive is None:
        aware = try_cast(iso, UTC_US)  # every cell carries its zone
        return None if aware is None else (aware, [])
    aware, gap = _localize(naive, tz)
    if not gap.any():
        return aware, []
    issues = issues_where(gap, text, _skipped(tz))
    return pc.if_else(pa.array(gap), pa.scalar(None, UTC_US), aware), issues


def _issues(
    text: pa.Array, cells: Fields, fmt: DateFormat, what: str, bad: Mask
) -> list[CellIssue]:
    unmatched = bad & ~cells.matched
    no_date = bad & cells.matched & ~cells.real_date
    no_time = bad & cells.matched & cells.real_date
    return sorted(
        issues_where(unmatched, text, lambda v: f"'{v}' is not {what} in {fmt.value} format")
        + issues_where(no_date, text, lambda v: f"'{v}' is not a real date")
        + issues_where(no_time, text, lambda v: f"'{v}' has an impossible time or time zone"),
        key=lambda i: i.index,
    )


def _skipped(tz: str) -> Callable[[str], str]:
    return lambda cell: f"'{cell}' does not exist in {tz} (clocks went forward)"


def _count(text: pa.Array, pattern: str) -> int:
    return int(mask(pc.match_substring_regex(text, pattern)).sum())


def _column_error(column_name: str, reason: str) -> IngestError:
    error = IngestError(f"column '{column_name}'{reason}")
    error.column = column_name
    return error
