"""Currency signs and codes written inside cells and header names: ₴, грн, $, USD, €, zł …"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.domain.money import CURRENCY_SIGNS, ISO_4217
from salesmetrics.ingest.model import CellIssue
from salesmetrics.ingest.vector import issues_where, mask, text_array

# Lower-case token -> ISO 4217 code. "$" alone is read as US dollars.
TOKENS: dict[str, str] = {
    **{sign.lower(): code for code, sign in CURRENCY_SIGNS.items()},
    **{code.lower(): code for code in CURRENCY_SIGNS},
    "грн": "UAH",
    "грн.": "UAH",
    "гривня": "UAH",
    "гривні": "UAH",
    "гривень": "UAH",
    "us$": "USD",
    "дол.": "USD",
    "долар": "USD",
    "доларів": "USD",
    "євро": "EUR",
    "euro": "EUR",
    "zl": "PLN",
    "злотих": "PLN",
    "c$": "CAD",
    "a$": "AUD",
    "chf": "CHF",
    "kč": "CZK",
}
_KNOWN = "|".join(re.escape(t) for t in sorted(TOKENS, key=len, reverse=True))
# Known tokens in any case; any other ISO 4217 code only in capitals ("CHF", not "abc", and
# not "QQQ", which names no currency, so '5.00 QQQ' is not a number).
_ISO_ALTERNATIVES = "|".join(sorted(ISO_4217))
TOKEN = rf"(?:(?i:{_KNOWN})|(?:{_ISO_ALTERNATIVES}))"
SPACE = r"[\s\x{00A0}\x{202F}]"
_LEAD = rf"^(?P<t>{TOKEN})(?:$|[\d\s\x{{00A0}}\x{{202F}}.,(+\-−])"
_TRAIL = rf"(?:^|[\d\s\x{{00A0}}\x{{202F}}.,)])(?P<t>{TOKEN})$"
_TOKEN_LIST = pa.array(list(TOKENS))
_CODE_LIST = pa.array(list(TOKENS.values()))
_HEADER = re.compile(rf"(?<![\w$€£₴])({_KNOWN})(?![\w])", re.IGNORECASE)


def strip_currency(text: pa.Array) -> pa.Array:
    """Remove a currency sign or code at the start or end of each cell (with its spaces)."""
    return pc.replace_substring_regex(text, rf"^{TOKEN}{SPACE}*|{SPACE}*{TOKEN}$", "")


def detect_currency(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, list[CellIssue]]:
    """The ISO code named in each cell ('1 234,50 грн' -> 'UAH'), null where none is named."""
    text = text_array(values)
    lead = _codes(pc.struct_field(pc.extract_regex(text, _LEAD), "t"))
    trail = _codes(pc.struct_field(pc.extract_regex(text, _TRAIL), "t"))
    clash = mask(pc.and_(pc.is_valid(lead), pc.not_equal(lead, pc.fill_null(trail, lead))))
    codes = pc.coalesce(lead, trail)
    issues = issues_where(clash, text, lambda v: f"'{v}' names two different currencies")
    if clash.any():
        codes = pc.if_else(pa.array(clash), pa.scalar(None, pa.string()), codes)
    return codes, issues


_ISO = pa.array(sorted(ISO_4217))


def _codes(tokens: pa.Array) -> pa.Array:
    known = pc.take(_CODE_LIST, pc.index_in(pc.utf8_lower(tokens), value_set=_TOKEN_LIST))
    generic = pc.is_in(tokens, value_set=_ISO)  # an unknown 'QQQ' names no currency
    return pc.if_else(pc.and_(pc.is_null(known), generic), tokens, known)


def currency_in_text(text: str) -> str | None:
    """The currency a header names ('Сума, грн' -> 'UAH', 'Amount (USD)' -> 'USD'), if one."""
    found = {TOKENS[m.group(1).lower()] for m in _HEADER.finditer(text)}
    return found.pop() if len(found) == 1 else None
