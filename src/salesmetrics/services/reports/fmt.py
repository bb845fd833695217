"""Cells as people read them, in uk or en (babel: `1 234 567 ₴`, `41,2 %`, `26 лист. 2026 р.`).
The web layer has its own formatters; services cannot import them, and a report fixes its own
precision (whole currency units, one decimal)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent, get_currency_symbol

from salesmetrics.domain.money import exponent
from salesmetrics.services.reports.model import Cell, Kind

BABEL = {"uk": "uk_UA", "en": "en_US"}
SYMBOLS = {"UAH": "₴"}  # babel's en_US says "UAH"; the hryvnia sign reads well in both


def locale_of(lang: str) -> str:
    return BABEL.get(lang, "en_US")


def symbol(currency: str, lang: str) -> str:
    return SYMBOLS.get(currency) or str(get_currency_symbol(currency, locale_of(lang)))


def major(minor: float, currency: str) -> float:
    """Minor units as major ones (kopiyky -> hryvnias)."""
    return float(minor) / float(10 ** int(exponent(currency)))


def cell(value: Cell, kind: Kind, currency: str, lang: str) -> str:
    """One cell as text; an empty cell is a dash."""
    if value is None or value == "":
        return "—"
    loc = locale_of(lang)
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        pattern = "LLLL yyyy" if kind is Kind.MONTH else "medium"
        return str(format_date(value, format=pattern, locale=loc))
    match kind:
        case Kind.MONEY:
            amount = format_decimal(round(major(value, currency)), locale=loc)
            return f"{amount}\u00a0{symbol(currency, lang)}"
        case Kind.PERCENT:
            return str(format_percent(value, format="#,##0.0%", locale=loc))
        case Kind.COUNT:
            return str(format_decimal(round(value), locale=loc))
    return str(format_decimal(round(float(value), 1), format="#,##0.#", locale=loc))


def signed_percent(value: float | None, lang: str) -> str:
    """A change as +12.5% / −3.0%."""
    if value is None:
        return "—"
    text = cell(abs(value), Kind.PERCENT, "", lang)
    return ("+" if value >= 0 else "−") + text
