"""Lexicons as data: themes (what a comment is about) and sentiment (how it feels), checked on
load, every problem named at once.

An entry is a word, a prefix or a phrase, in either language:

- `доставка`, `delivery`: any form of that word (compared by stem, see words.py);
- `достав*`, `deliver*`: every word starting so (for stems that change inside the word, and
  for families: `неякісн*` takes неякісний, неякісна, неякісного ...);
- `не працю*`, `took too long`: consecutive words, each part by the rules above.

A prefix needs at least MIN_PREFIX letters, so `до*` cannot swallow half of every comment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from salesmetrics.analytics.feedback.words import normalise, stem, tokens

MIN_PREFIX = 3
LANGUAGES = ("en", "uk")


class LexiconError(ValueError):
    """A lexicon that cannot be used; `problems` holds every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class Part:
    text: str  # a stem, or a prefix of the normalised word
    prefix: bool

    def holds(self, word: str, word_stem: str) -> bool:
        return (
            word.replace("'", "").startswith(self.text) if self.prefix else word_stem == self.text
        )


@dataclass(frozen=True, slots=True)
class Pattern:
    """One lexicon entry as written (`entry`) and as compared (`parts`)."""

    entry: str
    parts: tuple[Part, ...]

    @staticmethod
    def of(entry: str) -> Pattern:
        words = normalise(entry).split()
        parts = []
        for w in words:
            if w.endswith("*"):
                parts.append(Part(w[:-1].replace("'", ""), True))
            else:
                found = tokens(w)
                parts.append(Part(stem(found[0]) if found else w, False))
        return Pattern(entry, tuple(parts))

    def length_at(self, words: Sequence[str], stems: Sequence[str], i: int) -> int:
        """How many words it covers from position i (0: it does not match there)."""
        n = len(self.parts)
        if i + n > len(words):
            return 0
        ok = all(p.holds(words[i + k], stems[i + k]) for k, p in enumerate(self.parts))
        return n if ok else 0


class Index:
    """Patterns by what their first word must be: a stem (looked up) or a prefix (looked up by
    its first MIN_PREFIX letters), so a word is compared with a handful of entries, not all;
    longest patterns first, each carrying a value (its theme or its polarity)."""

    def __init__(self, patterns: Sequence[tuple[Pattern, Any]]) -> None:
        self._by_stem: dict[str, list[tuple[Pattern, Any]]] = {}
        self._by_start: dict[str, list[tuple[Pattern, Any]]] = {}
        for p, value in sorted(patterns, key=lambda pv: -len(pv[0].parts)):
            first = p.parts[0]
            where = self._by_start if first.prefix else self._by_stem
            key = first.text[:MIN_PREFIX] if first.prefix else first.text
            where.setdefault(key, []).append((p, value))

    def at(self, words: Sequence[str], stems: Sequence[str], i: int) -> list[tuple[int, Any]]:
        """Every (length, value) of the patterns that match at word i, longest first."""
        plain = words[i].replace("'", "")
        found = [*self._by_stem.get(stems[i], ()), *self._by_start.get(plain[:MIN_PREFIX], ())]
        found.sort(key=lambda pv: -len(pv[0].parts))
        return [(n, v) for p, v in found if (n := p.length_at(words, stems, i))]


def check_entry(where: str, entry: Any, problems: list[str]) -> Pattern | None:
    if not isinstance(entry, str) or not entry.strip():
        problems.append(f"{where}: an entry is a non-empty text, not {entry!r}")
        return None
    for w in normalise(entry).split():
        body = w.rstrip("*")
        if w.count("*") > 1 or ("*" in w and not w.endswith("*")):
            problems.append(f"{where}: '{entry}': '*' may only end a word")
            return None
        if not tokens(body) or tokens(body) != [body.replace("*", "")]:
            problems.append(f"{where}: '{entry}': '{w}' is not one word of letters")
            return None
        if w.endswith("*") and len(body.replace("'", "")) < MIN_PREFIX:
            problems.append(f"{where}: '{entry}': a prefix needs at least {MIN_PREFIX} letters")
            return None
    return Pattern.of(entry)


def entries(where: str, raw: Any, problems: list[str]) -> tuple[Pattern, ...]:
    """A list of entries, or a map of language -> list (both are accepted)."""
    if isinstance(raw, Mapping):
        unknown = sorted(str(k) for k in raw if k not in LANGUAGES)
        if unknown:
            problems.append(f"{where}: languages are {', '.join(LANGUAGES)}, not {unknown}")
        items = [(f"{where}.{lang}", e) for lang in LANGUAGES for e in raw.get(lang) or []]
    elif isinstance(raw, list):
        items = [(where, e) for e in raw]
    else:
        problems.append(f"{where}: a list of words (or en/uk lists)")
        return ()
    found = [check_entry(w, e, problems) for w, e in items]
    return tuple(p for p in found if p is not None)


def texts(where: str, raw: Any, problems: list[str]) -> dict[str, str]:
    """A text in every language (`label: {en: ..., uk: ...}`)."""
    if not isinstance(raw, Mapping) or any(
        not isinstance(raw.get(lang), str) or not raw[lang].strip() for lang in LANGUAGES
    ):
        problems.append(f"{where}: a text in each of {', '.join(LANGUAGES)}")
        return {}
    return {lang: str(raw[lang]) for lang in LANGUAGES}


@dataclass(frozen=True, slots=True)
class Theme:
    code: str
    label: dict[str, str]
    patterns: tuple[Pattern, ...]


@dataclass(frozen=True, slots=True)
class ThemeTable:
    themes: tuple[Theme, ...]
    ignore: frozenset[str]  # stems left out when untagged comments are grouped

    def theme(self, code: str) -> Theme:
        return next(t for t in self.themes if t.code == code)

    @staticmethod
    def from_dict(d: Any) -> ThemeTable:
        if (
            not isinstance(d, Mapping)
            or not isinstance(d.get("themes"), Mapping)
            or not d["themes"]
        ):
            raise LexiconError(["a theme lexicon has 'themes': a map of theme code to its label "
                                "and words"])  # fmt: skip
        problems: list[str] = []
        themes = []
        for code, raw in d["themes"].items():
            where = f"themes.{code}"
            if not isinstance(code, str) or not code.isidentifier() or not code.islower():
                problems.append(f"{where}: a theme code is a lower-case name such as 'delivery'")
                continue
            if not isinstance(raw, Mapping):
                problems.append(f"{where}: needs 'label' and 'words'")
                continue
            label = texts(f"{where}.label", raw.get("label"), problems)
            patterns = entries(f"{where}.words", raw.get("words"), problems)
            if not patterns:
                problems.append(f"{where}.words: at least one word")
            themes.append(Theme(code, label, patterns))
        ignore = entries("ignore", d.get("ignore") or [], problems)
        if problems:
            raise LexiconError(problems)
        return ThemeTable(tuple(themes), frozenset(p.parts[0].text for p in ignore))


@dataclass(frozen=True, slots=True)
class SentimentTable:
    positive: tuple[Pattern, ...]
    negative: tuple[Pattern, ...]
    negators: frozenset[str]  # words that turn the next polar word within `window` around
    intensifiers: frozenset[str]  # words that make the next polar word count 1.5 times
    window: int = 3
    bare_negation: float = 0.0  # what a negator counts that turns no polar word around

    @staticmethod
    def from_dict(d: Any) -> SentimentTable:
        if not isinstance(d, Mapping):
            raise LexiconError(["a sentiment lexicon has 'positive', 'negative', 'negators' "
                                "and 'intensifiers'"])  # fmt: skip
        problems: list[str] = []
        positive = entries("positive", d.get("positive"), problems)
        negative = entries("negative", d.get("negative"), problems)
        negators = _plain("negators", d.get("negators"), problems)
        boost = _plain("intensifiers", d.get("intensifiers") or [], problems)
        window = d.get("window", 3)
        if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= 6:
            problems.append("window: 1 to 6 words")
            window = 3
        bare = d.get("bare_negation", 0.0)
        if not isinstance(bare, int | float) or isinstance(bare, bool) or not -2 <= bare <= 0:
            problems.append("bare_negation: a number from -2 to 0")
            bare = 0.0
        if problems:
            raise LexiconError(problems)
        return SentimentTable(positive, negative, negators, boost, window, float(bare))


def _plain(where: str, raw: Any, problems: list[str]) -> frozenset[str]:
    """Single words compared as written (normalised), in any language."""
    found = entries(where, raw, problems)
    bad = [p.entry for p in found if len(p.parts) != 1 or p.parts[0].prefix]
    if bad:
        problems.append(f"{where}: single words without '*', not {bad}")
    return frozenset(normalise(p.entry).replace("'", "") for p in found)
