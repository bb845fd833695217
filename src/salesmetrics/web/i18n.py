"""Ukrainian and English for people: gettext catalogs for every string on a page, babel for
numbers, money, percentages and dates.

The catalogs are plain .po files under web/locale/<lang>/LC_MESSAGES/ (all files there are
merged, so each page area may keep its own). English is the source language: a message's id
is its English text. `scripts/i18n.py update` extracts the messages from the templates and
the web code and merges them into the catalogs; tests/test_i18n.py fails on any message
without a Ukrainian translation and on text in a template that bypasses gettext."""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent

from salesmetrics.domain.money import exponent

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("uk", "en")
_BABEL = {"uk": "uk_UA", "en": "en_US"}


class Translator:
    """One language's messages: gettext and ngettext with that language's plural rule.

    Messages may hold `{name}` fields, filled from keyword arguments after translation."""

    def __init__(
        self, locale: str, messages: dict[str, str | tuple[str, ...]], plural: Callable[[int], int]
    ) -> None:
        self.locale = locale
        self.messages = messages
        self.plural = plural

    def gettext(self, message: str, **values: object) -> str:
        found = self.messages.get(message)
        text = found if isinstance(found, str) and found else message
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        found = self.messages.get(singular)
        if isinstance(found, tuple) and all(found):
            text = found[min(self.plural(n), len(found) - 1)]
        else:
            text = singular if n == 1 else plural
        return text.format(n=n, **values)


def N_(message: str) -> str:
    """Mark a message for extraction where it is translated later (a table of names)."""
    return message


WORDS = {
    "day": N_("day"), "week": N_("week"), "month": N_("month"), "quarter": N_("quarter"),
    "year": N_("year"), "rep": N_("rep"), "team": N_("team"), "channel": N_("channel"),
    "product": N_("product"), "category": N_("category"), "region": N_("region"),
    "stage": N_("stage"), "lead_source": N_("lead source"), "pipeline": N_("pipeline"),
    "owner": N_("owner"), "manager": N_("manager"), "viewer": N_("viewer"),
    "even": N_("even"), "seasonal": N_("seasonal"), "custom": N_("custom"),
    "reps": N_("reps"), "teams": N_("teams"), "segment": N_("customer segment"),
    "negative": N_("negative"), "neutral": N_("neutral"), "positive": N_("positive"),
    "nps": N_("Net Promoter Score"), "csat": N_("Customer satisfaction (CSAT)"),
    "nps_responses": N_("NPS responses"),
}  # fmt: skip


def word(key: str, locale: str) -> str:
    """A grain or dimension name in the page's language."""
    return translator(locale).gettext(WORDS.get(key, key))


@cache
def translator(locale: str) -> Translator:
    """The merged catalogs of a language (read once per process)."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    messages: dict[str, str | tuple[str, ...]] = {}
    plural_expr = "(n != 1)"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=_BABEL.get(locale, locale))
        plural_expr = catalog.plural_expr
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            key = str(message.id if isinstance(message.id, str) else message.id[0])
            string = message.string
            messages[key] = tuple(string) if isinstance(string, (list, tuple)) else string or ""
    return Translator(locale, messages, _gettext.c2py(plural_expr))


def language(asked: str | None, default: str) -> str:
    """The page language: the one asked for if we have it, else the workspace's."""
    if asked in LANGUAGES:
        return str(asked)
    return default if default in LANGUAGES else "en"


def number(value: int | float, locale: str) -> str:
    """1234567 -> '1 234 567' in uk, '1,234,567' in en."""
    return format_decimal(value, locale=_BABEL.get(locale, "en_US"))


def day(value: object, locale: str) -> str:
    """A date in the language's medium format: '26 лист. 2026 р.' / 'Nov 26, 2026'."""
    return format_date(value, format="medium", locale=_BABEL.get(locale, "en_US"))  # type: ignore[arg-type]


def major(minor: float, currency: str) -> float:
    """Minor units in major ones for this currency (kopiyky -> hryvnias; yen stay yen)."""
    return float(minor) / float(10 ** int(exponent(currency)))


def metric_value(value: float | None, unit: str, currency: str, locale: str) -> str:
    """A KPI value for people: money from minor units with the currency, rates in percent."""
    where = _BABEL.get(locale, "en_US")
    _ = translator(locale).gettext
    if value is None:
        return "—"
    if unit in ("money", "money_per_day"):
        pattern = None if locale == "uk" else "#,##0.00\u00a0¤"  # en: 7,091,345.00 UAH
        text = format_currency(major(value, currency), currency, format=pattern, locale=where)
        return _("{value}/day", value=text) if unit == "money_per_day" else text
    if unit == "percent":
        return format_percent(value, format="#,##0.0%", locale=where)
    if unit == "days":
        return _("{value} d", value=format_decimal(value, format="#,##0.0", locale=where))
    if unit == "count":
        return format_decimal(value, locale=where)
    return format_decimal(value, format="#,##0.0", locale=where)


def change(delta: float | None, delta_pct: float | None, unit: str, locale: str) -> str:
    """The change against the previous period: points for rates and scores, else percent."""
    where = _BABEL.get(locale, "en_US")
    signed = "+#,##0.0;-#,##0.0"
    if unit == "percent":
        if delta is None:
            return "—"
        points = format_decimal(delta * 100, format=signed, locale=where)
        return translator(locale).gettext("{value} pp", value=points)
    if unit == "score":
        return "—" if delta is None else format_decimal(delta, format=signed, locale=where)
    if delta_pct is None:
        return "—"
    return format_percent(delta_pct, format="+#,##0.0%;-#,##0.0%", locale=where)
