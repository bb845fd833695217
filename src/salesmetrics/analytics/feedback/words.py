"""Words of a comment as a lexicon compares them: lower case, one apostrophe, and a stem that
brings a word's forms together ("доставка", "доставки", "доставкою" -> "доставк"; "delivered",
"delivery" -> "deliver").

Ukrainian changes a word's ending for case, number, gender and person, so a lexicon listing
dictionary forms would miss most of what people write. The stemmer strips the longest known
inflectional ending that leaves at least MIN_STEM letters (then a reflexive -ся/-сь), a light
stemmer in the manner of Savoy's for Slavic languages: no dictionary, so it errs towards
leaving a word longer. Stem alternations (доставка/доставці, подруга/подрузі) are not undone:
a lexicon entry ending in `*` matches every word that starts with it, which covers them
("достав*"). English gets a light suffix stripper (Porter's step 1 in spirit: -ing, -ed, -es,
-s, -ly), enough for a lexicon of stems.
"""

from __future__ import annotations

import re
import unicodedata

MIN_STEM = 3
APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'"})
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
CYRILLIC = re.compile(r"[а-яіїєґ]")

# Inflectional endings of nouns, adjectives, participles and verbs, longest first.
UK_ENDINGS = tuple(sorted({
    # adjectives and participles
    "ими", "іми", "ого", "ому", "ої", "ою", "ею", "их", "іх", "им", "ім", "ий", "ій",
    "ая", "яя", "еє", "ее", "ії",
    # nouns
    "ами", "ями", "ові", "еві", "єві", "ах", "ях", "ом", "ем", "єм", "єю", "ів", "їв", "ей",
    # verbs
    "ували", "ювали", "увати", "ювати", "уєте", "уємо", "ують", "юють", "ує", "ює",
    "ити", "ати", "яти", "іти", "ить", "уть", "ють", "ать", "ять", "ете", "ємо", "емо",
    "ила", "ало", "али", "или", "ела", "ено", "ена", "ені",
    "ив", "ав", "ла", "ли", "ло", "ть", "ши",
    # single letters last
    "а", "я", "і", "ї", "у", "ю", "о", "е", "є", "и", "ь", "й",
}, key=lambda e: (-len(e), e)))  # fmt: skip
UK_REFLEXIVE = ("ся", "сь")
EN_SUFFIXES = ("ingly", "edly", "ness", "ment", "ing", "ies", "ied", "ed", "es", "ly", "s")


def normalise(text: str) -> str:
    """Lower case, NFC, one apostrophe character (Ukrainian writes it four ways)."""
    return unicodedata.normalize("NFC", text).lower().translate(APOSTROPHES).replace("ё", "е")


def tokens(text: str) -> list[str]:
    """The words of a text, normalised (digits and punctuation dropped)."""
    return WORD.findall(normalise(text))


def is_ukrainian(word: str) -> bool:
    return CYRILLIC.search(word) is not None


def stem(word: str) -> str:
    """The stem of one normalised word (Ukrainian or English by its letters)."""
    return _stem_uk(word) if is_ukrainian(word) else _stem_en(word)


def _stem_uk(word: str) -> str:
    w = word.replace("'", "")
    for ending in UK_REFLEXIVE:
        if w.endswith(ending) and len(w) - len(ending) >= MIN_STEM + 1:
            w = w[: -len(ending)]
            break
    for ending in UK_ENDINGS:
        if w.endswith(ending) and len(w) - len(ending) >= MIN_STEM:
            return w[: -len(ending)]
    return w


def _stem_en(word: str) -> str:
    w = word.replace("'", "")
    for suffix in EN_SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= MIN_STEM:
            w = w[: -len(suffix)]
            if suffix in ("ies", "ied"):
                w += "y"
            break
    if w.endswith("e") and len(w) > MIN_STEM + 1:
        w = w[:-1]  # deliver(e)d, late / later, price / priced / pricey
    return w


def stems(text: str) -> list[str]:
    """The stems of a text's words, in order."""
    return [stem(w) for w in tokens(text)]
