"""A cluster's profile in plain words, in Ukrainian or English.

Only the standout features are said (the centre's largest distances from the average, in
standard units), each as a direction and the cluster's raw mean: "buy often (5.2 orders)".
Features with a known meaning have their own phrases: `recency` (days since the last purchase),
`frequency` (orders), `monetary` (total spend), `tenure` (days since the first purchase) and
`discount_share` (0..1); any other feature is said as "high"/"low" and its name, so a service
names its columns so, or passes its own display names in `names`. Nothing is said that the
numbers do not show.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salesmetrics.analytics.segments.clusters import Profile

NBSP = "\u00a0"
# feature -> language -> (said when above the average, said when below, how the mean reads)
PHRASES: dict[str, dict[str, tuple[str, str, str]]] = {
    "frequency": {"en": ("buy often", "buy rarely", "orders"),
                  "uk": ("купують часто", "купують рідко", "orders")},
    "monetary": {"en": ("spent a lot", "spent little", "money"),
                 "uk": ("витратили багато", "витратили мало", "money")},
    "recency": {"en": ("not seen for a while", "recently active", "ago"),
                "uk": ("давно не купували", "нещодавно активні", "ago")},
    "tenure": {"en": ("long-standing customers", "new customers", "days"),
               "uk": ("давні клієнти", "нові клієнти", "days")},
    "discount_share": {"en": ("buy on discount a lot", "rarely use discounts", "percent"),
                       "uk": ("часто купують зі знижкою", "рідко користуються знижками",
                              "percent")},
}  # fmt: skip
OTHER = {"en": ("high {}", "low {}"), "uk": ("високе значення «{}»", "низьке значення «{}»")}
TYPICAL = {"en": "typical customers, close to the average on every feature",
           "uk": "типові клієнти, близькі до середнього за всіма ознаками"}  # fmt: skip
# Ukrainian noun forms: one, few (2-4), many, and a fraction (genitive singular)
UK_FORMS = {"orders": ("замовлення", "замовлення", "замовлень", "замовлення"),
            "days": ("день", "дні", "днів", "дня")}  # fmt: skip
EN_FORMS = {"orders": ("order", "orders"), "days": ("day", "days")}


def number(v: float, lang: str, decimals: int = 0) -> str:
    """48200 -> "48,200" (en) or "48 200" (uk); 5.25 at one decimal -> "5.2" or "5,2"."""
    v = round(v, decimals)
    text = f"{v:,.{decimals if not float(v).is_integer() else 0}f}"
    if lang == "uk":
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def _noun(v: float, unit: str, lang: str) -> str:
    if lang == "en":
        one, many = EN_FORMS[unit]
        return one if v == 1 else many
    forms = UK_FORMS[unit]
    if not float(v).is_integer():
        return forms[3]
    n = int(v)
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    return forms[1] if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else forms[2]


def _amount(v: float, kind: str, lang: str, minor: int) -> str:
    if kind == "money":
        return number(v / minor, lang)
    if kind == "percent":
        return f"{number(100 * v, lang)}%"
    if kind == "orders":
        v = round(v, 1)
        return f"{number(v, lang, 1)} {_noun(v, 'orders', lang)}"
    if kind in ("days", "ago"):
        v = float(math.floor(v + 0.5))
        said = f"{number(v, lang)} {_noun(v, 'days', lang)}"
        return said if kind == "days" else f"{said} {'ago' if lang == 'en' else 'тому'}"
    return number(v, lang, 2)


def _phrase(feature: str, z: float, mean: float, lang: str, minor: int,
            names: Mapping[str, str]) -> str:  # fmt: skip
    known = PHRASES.get(feature, {}).get(lang)
    if known is None:
        high, low = OTHER[lang]
        said = (high if z > 0 else low).format(names.get(feature, feature))
        return f"{said} ({_amount(mean, 'plain', lang, minor)})"
    high, low, kind = known
    return f"{high if z > 0 else low} ({_amount(mean, kind, lang, minor)})"


def describe(profile: Profile, lang: str = "en", minor: int = 1,
             names: Mapping[str, str] | None = None) -> str:  # fmt: skip
    """The profile's standout features in words: "buy often (5.2 orders), spent a lot
    (48,200), recently active (12 days ago)". `minor`: monetary is in minor units, this many to
    one (100 to say hryvnias for kopecks); `names`: display names of other features."""
    if lang not in OTHER:
        raise ValueError(f"no words in {lang!r}: en or uk")
    parts = [_phrase(f, z, profile.means[f], lang, minor, names or {})
             for f, z in profile.standouts]  # fmt: skip
    return ", ".join(parts) if parts else TYPICAL[lang]
