"""Date and time cells taken apart into numbers, checked against the calendar, in numpy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.vector import Ints, Mask, ints, mask

US_PER_DAY = 86_400_000_000


class DateFormat(StrEnum):
    """How the dates of a column are written; the separator may be '.', '/' or '-'."""

    DMY = "DD.MM.YYYY"
    YMD = "YYYY-MM-DD"
    MDY = "MM/DD/YYYY"
    EXCEL = "Excel serial"

    @classmethod
    def parse(cls, text: str) -> DateFormat:
        """The format a user named: 'DD/MM/YYYY', 'dd.mm.yy', 'iso', 'mdy', 'excel' …"""
        key = re.sub(r"[\s./_-]", "", text.strip().lower())
        aliases = {
            "ddmmyyyy": cls.DMY,
            "ddmmyy": cls.DMY,
            "dmy": cls.DMY,
            "yyyymmdd": cls.YMD,
            "iso": cls.YMD,
            "ymd": cls.YMD,
            "mmddyyyy": cls.MDY,
            "mmddyy": cls.MDY,
            "mdy": cls.MDY,
            "excel": cls.EXCEL,
            "excelserial": cls.EXCEL,
            "serial": cls.EXCEL,
        }
        if key not in aliases:
            known = ", ".join(f.value for f in cls)
            raise IngestError(f"unknown date format '{text}': use one of {known}")
        return aliases[key]


_TIME = (
    r"(?:(?:T|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"(?:\s*(?P<ap>[AaPp])\.?[Mm]\.?)?)?"
    r"(?:\s*(?P<z>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?$"
)
PATTERNS = {
    DateFormat.YMD: r"^(?P<y>\d{4})[./-](?P<m>\d{1,2})[./-](?P<d>\d{1,2})" + _TIME,
    DateFormat.DMY: r"^(?P<d>\d{1,2})[./-](?P<m>\d{1,2})[./-](?P<y>\d{4}|\d{2})" + _TIME,
    DateFormat.MDY: r"^(?P<m>\d{1,2})[./-](?P<d>\d{1,2})[./-](?P<y>\d{4}|\d{2})" + _TIME,
}
_SERIAL = r"^(?P<n>\d{1,7})(?:[.,](?P<f>\d+))?$"
# Excel's day 1 is 1900-01-01 and it counts a 29 February 1900 that never was (day 60).
_EXCEL_EPOCH_EARLY = -25568  # days from 1970-01-01 back to 1899-12-31
_EXCEL_EPOCH = -25569  # from day 61 on, one day earlier: 1899-12-30
_EXCEL_LAST = 2958465  # 9999-12-31


@dataclass(frozen=True)
class Fields:
    """Per cell: matched the format, its day (since 1970), time of day and zone offset."""

    matched: Mask
    days: Ints
    real_date: Mask
    time_us: Ints
    real_time: Mask
    offset_us: Ints
    zoned: Mask


def fields(text: pa.Array, fmt: DateFormat) -> Fields:
    """Take every cell of `text` apart according to `fmt`."""
    if fmt is DateFormat.EXCEL:
        return _serial_fields(text)
    parts = pc.extract_regex(text, PATTERNS[fmt])
    matched = mask(pc.is_valid(parts))
    year_text = pc.struct_field(parts, "y")
    year = ints(year_text)
    short = mask(pc.equal(pc.utf8_length(year_text), 2))
    year = np.where(short, np.where(year < 69, 2000, 1900) + year, year)  # as strptime's %y
    days, real_date = calendar_days(
        year, ints(pc.struct_field(parts, "m")), ints(pc.struct_field(parts, "d")), matched
    )
    time_us, real_time = _time_of_day(parts)
    offset_us, zoned, real_zone = _zone_offsets(pc.struct_field(parts, "z"))
    return Fields(matched, days, real_date, time_us, real_time & real_zone, offset_us, zoned)


def calendar_days(year: Ints, month: Ints, day: Ints, ok: Mask) -> tuple[Ints, Mask]:
    """Days since 1970-01-01, and whether the date exists (no 31 April, no 29 Feb 2023)."""
    ok = ok & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    ok &= (year >= 1) & (year <= 9999)
    months = ((np.where(ok, year, 1970) - 1970) * 12 + np.where(ok, month, 1) - 1).astype(
        "datetime64[M]"
    )
    dates = months.astype("datetime64[D]") + (np.where(ok, day, 1) - 1).astype("timedelta64[D]")
    ok &= dates.astype("datetime64[M]") == months
    return dates.astype(np.int64), ok


def _time_of_day(parts: pa.Array) -> tuple[Ints, Mask]:
    hour = ints(pc.struct_field(parts, "H"))
    minute = ints(pc.struct_field(parts, "M"))
    second = ints(pc.struct_field(parts, "S"))
    micro = ints(
        pc.utf8_slice_codeunits(
            pc.utf8_rpad(pc.fill_null(pc.struct_field(parts, "f"), ""), width=6, padding="0"), 0, 6
        )
    )
    meridiem = pc.utf8_lower(pc.fill_null(pc.struct_field(parts, "ap"), ""))
    pm, twelve_hour = mask(pc.equal(meridiem, "p")), mask(pc.not_equal(meridiem, ""))
    ok = np.where(twelve_hour, (hour >= 1) & (hour <= 12), hour <= 23)
    ok &= (minute <= 59) & (second <= 59)
    hour = np.where(twelve_hour, hour % 12 + np.where(pm, 12, 0), hour)
    return ((hour * 60 + minute) * 60 + second) * 1_000_000 + micro, ok


def _zone_offsets(zones: pa.Array) -> tuple[Ints, Mask, Mask]:
    """Offsets in microseconds, whether a zone was written, and whether it is a real one."""
    zones = pc.fill_null(zones, "")
    distinct = pc.unique(zones)
    minutes = [_offset_minutes(z) for z in distinct.to_pylist()]
    at = np.asarray(pc.index_in(zones, value_set=distinct).to_numpy(zero_copy_only=False))
    table = np.asarray([0 if m is None else m for m in minutes], dtype=np.int64)
    real = np.asarray([m is not None for m in minutes], dtype=np.bool_)
    zoned = mask(pc.not_equal(zones, ""))
    return table[at] * 60_000_000, zoned, real[at] | ~zoned


def _offset_minutes(zone: str) -> int | None:
    if zone in ("", "Z", "UTC", "GMT"):
        return 0
    found = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", zone)
    if not found:
        return None
    hours, minutes = int(found.group(2)), int(found.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    return (hours * 60 + minutes) * (-1 if found.group(1) == "-" else 1)


def _serial_fields(text: pa.Array) -> Fields:
    parts = pc.extract_regex(text, _SERIAL)
    matched = mask(pc.is_valid(parts))
    serial = ints(pc.struct_field(parts, "n"))
    real = matched & (serial >= 1) & (serial != 60) & (serial <= _EXCEL_LAST)
    days = serial + np.where(serial < 60, _EXCEL_EPOCH_EARLY, _EXCEL_EPOCH)
    fraction = pc.fill_null(pc.struct_field(parts, "f"), "")
    decimal = pc.if_else(
        pc.equal(fraction, ""), "0", pc.binary_join_element_wise("0.", fraction, "")
    )
    share = np.asarray(pc.cast(decimal, pa.float64()).to_numpy(zero_copy_only=False))
    time_us = np.rint(share * 86_400_000).astype(np.int64) * 1000  # Excel keeps milliseconds
    zeros = np.zeros(len(text), dtype=np.int64)
    none = np.zeros(len(text), dtype=np.bool_)
    return Fields(matched, np.where(real, days, 0), real, time_us, matched, zeros, none)
