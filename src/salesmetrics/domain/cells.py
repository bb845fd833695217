"""Cells a spreadsheet would run as formulas, made inert for CSV and XLSX exports (OWASP's CSV
injection advice): a text starting with = + - @ tab or carriage return gets a leading
apostrophe, which Excel, LibreOffice and Google Sheets read as "this is text" and do not show;
so does such a character right after a separator (, ; | or tab), because a file opened with
another delimiter than it was written with splits the cell there. Plain numbers (-5, +3.2)
stay numbers. `restore` undoes it, so an export read back gives the values it was made from.
"""

from __future__ import annotations

import re

_TRIGGERS = "=+-@\t\r"
_SEPARATORS = ",;|\t"
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_AFTER_SEPARATOR = re.compile(f"([{re.escape(_SEPARATORS)}])(?=[{re.escape(_TRIGGERS)}])")
_MARKED_AFTER_SEPARATOR = re.compile(f"([{re.escape(_SEPARATORS)}])'(?=[{re.escape(_TRIGGERS)}])")


def inert(value: object) -> object:
    """The value as an export should write it: text that could run as a formula is marked."""
    if value is None:
        return ""
    if not isinstance(value, str) or not value or _NUMBER.fullmatch(value.strip()):
        return value
    text = _AFTER_SEPARATOR.sub(r"\1'", value)
    return "'" + text if text.startswith(tuple(_TRIGGERS)) else text


def restore(text: str) -> str:
    """What `inert` was given, from what it wrote (unmarked text is returned as it is)."""
    if len(text) > 1 and text[0] == "'" and text[1] in _TRIGGERS:
        text = text[1:]
    return _MARKED_AFTER_SEPARATOR.sub(r"\1", text)
