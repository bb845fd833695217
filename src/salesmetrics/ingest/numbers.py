"""Numbers as people write them: '1 234,50 грн', '(12)', '1.234.567,8', '$1,234.56'.

Every column is first brought to one plain form, '-?digits(.digits)?', from which floats,
whole numbers and exact minor units are cut. A clean column (already plain, decimal point)
is recognised with a few cheap whole-column kernels; only columns with decorated cells go
through the regex clean-up, and then only their decorated cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest.currency import SPACE, strip_currency
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.vector import Column, Ints, Mask, mask, present, text_array, try_cast

_GROUP_SPACES = (" ", "\u00a0", "\u202f", "'", "’")
_NEG = "-−–"
_SEP = r"[\s\x{00A0}\x{202F}'’]"
_NULL = pa.scalar(None, pa.string())
_PROBE = 256


def _decisive(dec: str) -> str:
    """Cells that can only be read with `dec` as the decimal separator."""
    other = "," if dec == "." else "."
    d, o = re.escape(dec), re.escape(other)
    return "|".join(
        (
            rf"^-?[^{d}]*{o}[^{d}]*{d}\d+$",  # 1.234,5 : the other separator comes first
            rf"^-?[^{d}{o}]*{d}(?:\d{{1,2}}|\d{{4,}})$",  # 12,5 / 1,2345 : not a group of 3
            rf"^-?0?{d}\d+$",  # 0,123 / ,5
            rf"^-?\d{{4,}}{d}\d+$",  # 1234,567 : a group has at most 3 digits
            rf"{_SEP}\d{{3}}{d}\d+$",  # 1 234,567 : spaces already group thousands
            rf"{o}\d{{3}}{o}",  # 1.234.567 : two of the other, so it groups thousands
        )
    )


_DECISIVE = {dec: _decisive(dec) for dec in ".,"}
_AMBIGUOUS = r"^-?[1-9]\d{0,2}[.,]\d{3}$"
# Any character besides digits and separators: a sign, a bracket, a currency, a letter.
_DECORATED = r"[^\d\s.,'’\x{00A0}\x{202F}]"


@dataclass(frozen=True)
class Plain:
    """A column brought to plain numbers: null where the cell was empty or unreadable."""

    text: pa.Array  # the trimmed original cells
    plain: pa.Array  # '-?digits(.digits)?' or null
    decimal: str
    note: str | None
    scaled: Scaled | None = None  # already computed for a clean column


@dataclass(frozen=True)
class Scaled:
    """Plain numbers as integers: each cell is `digits / 10**scale`."""

    digits: Ints
    scale: Ints
    ok: Mask  # False where empty, unreadable, or too long for 18 digits


def decimal_separator(values: Column, decimal_hint: str | None = None) -> tuple[str, str | None]:
    """The decimal separator of a column ('.' or ','), and a note when it had to be assumed."""
    text = text_array(values)
    return _decide(_cores(text.filter(pa.array(present(text))))[0], _separator(decimal_hint))


def to_plain(
    values: Column, *, decimal: str | None = None, decimal_hint: str | None = None
) -> Plain:
    """Every cell as '-?digits(.digits)?' (or null), with the column's decimal separator."""
    text = text_array(values)
    hint, forced = _separator(decimal_hint), _separator(decimal)
    cells = pc.if_else(pc.equal(text, ""), _NULL, text)
    clean = _scale_if_plain(cells)
    if clean is not None:
        dec, note = (forced, None) if forced else _decide_clean(cells, clean, hint)
        if dec == ".":
            return Plain(text, cells, ".", note, clean)
    return _messy(text, forced, hint)


def _scale_if_plain(cells: pa.Array) -> Scaled | None:
    """`scale_plain` of a column if every cell is already plain, else None.

    Arrow's strict integer cast does the validation: once the point is removed, every cell
    must be an optionally negative run of digits that fits in int64.
    """
    whole = try_cast(cells, pa.int64())  # whole numbers only: one strict cast says so
    if whole is not None:
        zeros = np.zeros(len(cells), dtype=np.int64)
        return Scaled(_np(whole), zeros, mask(pc.is_valid(whole)))
    if len(cells) > _PROBE and _scale_if_plain(cells.slice(0, _PROBE)) is None:
        return None  # the first cells already say no: spare the whole column
    length = pc.utf8_length(cells)
    if not mask(pc.less_equal(pc.fill_null(length, 0), 19)).all():
        return None
    if not _one_inner_point(cells, pc.find_substring(cells, "."), length):
        return None
    try:
        scaled = scale_plain(cells)
    except pa.ArrowInvalid:
        return None
    return scaled if (scaled.ok | ~mask(pc.is_valid(cells))).all() else None


def scale_plain(plain: pa.Array) -> Scaled:
    """Digits and scale of plain numbers ('-12.50' -> -1250, 2); cells over 18 digits not ok."""
    length = pc.utf8_length(plain)
    point = pc.find_substring(plain, ".")
    signs = pc.add(_flag(pc.starts_with(plain, "-")), _flag(pc.greater_equal(point, 0)))
    fits = pc.fill_null(pc.less_equal(pc.subtract(length, signs), 18), False)
    digits_text = pc.if_else(fits, pc.replace_substring(plain, ".", ""), _NULL)
    digits = pc.cast(digits_text, pa.int64())
    ok = mask(pc.is_valid(digits))
    scale = np.where(ok, _np(pc.subtract(pc.subtract(length, point), 1)), 0)
    scale = np.where(_np(pc.fill_null(point, -1)) < 0, 0, scale)
    return Scaled(np.where(ok, _np(pc.fill_null(digits, 0)), 0), scale, ok)


def _one_inner_point(plain: pa.Array, point: pa.Array, length: pa.Array) -> bool:
    """At most one '.', with a digit on each side."""
    many = mask(pc.greater(pc.count_substring(plain, "."), 1))
    edge = mask(pc.or_(pc.equal(point, 0), pc.equal(point, pc.subtract(length, 1))))
    minus_point = mask(pc.starts_with(plain, "-."))
    return not (many.any() or edge.any() or minus_point.any())


def _flag(values: pa.Array) -> pa.Array:
    return pc.cast(pc.fill_null(values, False), pa.int64())


def _np(values: pa.Array) -> Ints:
    return np.asarray(pc.fill_null(values, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


def _separator(decimal: str | None) -> str | None:
    if decimal is None:
        return None
    if decimal not in (".", ","):
        raise IngestError(f"'{decimal}' cannot be a decimal separator: use '.' or ','")
    return decimal


def _decide_clean(cells: pa.Array, clean: Scaled, hint: str | None) -> tuple[str, str | None]:
    """A clean column: '12.5' votes for '.', '1.234' could be either ('1.234' groups thousands)."""
    dotted = clean.ok & (clean.scale > 0)
    unclear = dotted & (clean.scale == 3) & (np.abs(clean.digits) >= 1000)
    unclear &= np.abs(clean.digits) < 1_000_000
    if dotted.sum() > unclear.sum() or not unclear.any():
        return ".", None
    return _undecided(cells.filter(pa.array(unclear))[0].as_py(), hint)


def _decide(cores: pa.Array, hint: str | None) -> tuple[str, str | None]:
    """Vote: a cell that reads only one way ('12,5', '1,234.5') votes for that separator."""
    votes = {dec: _count(cores, _DECISIVE[dec]) for dec in ".,"}
    if votes["."] != votes[","]:
        return ("." if votes["."] > votes[","] else ","), None
    unclear = cores.filter(pc.fill_null(pc.match_substring_regex(cores, _AMBIGUOUS), False))
    if votes["."] == 0 and len(unclear) == 0:
        return hint or ".", None  # whole numbers only: the separator does not matter
    return _undecided(unclear[0].as_py() if len(unclear) else None, hint)


def _undecided(example: str | None, hint: str | None) -> tuple[str, str]:
    chosen = hint or "."
    shown = f" (e.g. '{example}')" if example else ""
    source = "the workspace setting" if hint else "the default"
    return chosen, (
        f"the decimal separator cannot be told from the values{shown}; "
        f"'{chosen}' was used, as {source}"
    )


def _count(text: pa.Array, pattern: str) -> int:
    return int(pc.sum(pc.fill_null(pc.match_substring_regex(text, pattern), False)).as_py() or 0)


def _messy(text: pa.Array, decimal: str | None, hint: str | None) -> Plain:
    """The long way: every cell but plain whole numbers is undecorated, voted on and read."""
    given = present(text)
    whole = mask(pc.match_substring_regex(text, r"^-?\d+$"))
    work = given & ~whole
    out = pc.if_else(pa.array(given), text, _NULL)
    if not work.any():
        return Plain(text, out, decimal or hint or ".", None)
    core, negative = _cores(text.filter(pa.array(work)))
    note = None
    if decimal is None:
        decimal, note = _decide(core, hint)
    fixed = _read(core, negative, decimal)
    return Plain(text, pc.replace_with_mask(out, pa.array(work), fixed), decimal, note)


def _cores(text: pa.Array) -> tuple[pa.Array, Mask]:
    """Cells without currency decoration and sign: the digits and separators, and the sign.

    Regex replacement is the slowest kernel here, so only decorated cells go through it.
    """
    decorated = mask(pc.match_substring_regex(text, _DECORATED))
    negative = np.zeros(len(text), dtype=np.bool_)
    if not decorated.any():
        return text, negative
    core, negative[decorated] = _undecorate(text.filter(pa.array(decorated)))
    return pc.replace_with_mask(text, pa.array(decorated), core), negative


def _undecorate(text: pa.Array) -> tuple[pa.Array, Mask]:
    core = strip_currency(text)
    parens = mask(pc.match_substring_regex(core, r"^\(.*\)$"))
    core = strip_currency(pc.replace_substring_regex(core, rf"^\({SPACE}*|{SPACE}*\)$", ""))
    minus = mask(pc.match_substring_regex(core, rf"^[{_NEG}]|[{_NEG}]$"))
    core = pc.replace_substring_regex(core, rf"^[{_NEG}+]{SPACE}*|{SPACE}*[{_NEG}]$", "")
    return strip_currency(core), parens | minus


def _grammar(dec: str) -> str:
    groups = [*_GROUP_SPACES, "." if dec == "," else ","]
    grouped = "|".join(rf"\d{{1,3}}(?:{re.escape(g)}\d{{3}})+" for g in groups)
    d = re.escape(dec)
    return rf"^(?:(?:\d+|{grouped})(?:{d}\d+)?|{d}\d+)$"


def _read(core: pa.Array, negative: Mask, dec: str) -> pa.Array:
    """Cores that fit the grammar of `dec` as plain numbers; the others null."""
    ok = pc.fill_null(pc.match_substring_regex(core, _grammar(dec)), False)
    digits = core
    for group in (*_GROUP_SPACES, "." if dec == "," else ","):
        if pc.any(pc.match_substring(digits, group)).as_py():  # plain replace beats a regex
            digits = pc.replace_substring(digits, group, "")
    if dec == ",":
        digits = pc.replace_substring(digits, ",", ".")
    if pc.any(pc.starts_with(digits, ".")).as_py():
        digits = pc.replace_substring_regex(digits, r"^\.", "0.")
    if negative.any():
        digits = pc.binary_join_element_wise(pc.if_else(pa.array(negative), "-", ""), digits, "")
    return pc.if_else(ok, digits, _NULL)


def bad_number_reason(cell: str, dec: str) -> str:
    """Why a cell is not a number in a column whose decimal separator is `dec`."""
    other = "," if dec == "." else "."
    core = _cores(pa.array([cell]))[0]
    readable_other = pc.match_substring_regex(core, _grammar(other))[0].as_py()
    if readable_other and any(ch.isdigit() for ch in cell):
        style = "decimal comma, e.g. 1 234,56" if dec == "," else "decimal point, e.g. 1,234.56"
        return f"'{cell}' does not match the column's number format ({style})"
    return f"'{cell}' is not a number"
