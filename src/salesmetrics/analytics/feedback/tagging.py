"""Reading one comment: which themes it is about and how it feels, with the words that said so
(every tag explainable).

Themes: a comment is about a theme when any of the theme's entries occurs in it; it may be about
several. Sentiment: each positive entry counts +1 and each negative one -1, times 1.5 after an
intensifier ("дуже", "very"), turned around when a negator ("не", "not") came within the window
before it ("не сподобалось" is negative, "not bad" positive). Phrases are matched before single
words and take their words, so "не працює" counts once, as the negative phrase it is. The sum
becomes a score in (-1, 1) through tanh(sum / 2); a comment is negative below -0.2, positive
above 0.2, and neutral between (no polar word, or as many of each).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from salesmetrics.analytics.feedback.lexicon import Index, SentimentTable, ThemeTable
from salesmetrics.analytics.feedback.words import stem, tokens

TONE_LINE = 0.2
CLAUSE = re.compile(r"[.,;:!?()\n\u2014\u2013]+|\s-\s")
BOOST = 1.5


@dataclass(frozen=True, slots=True)
class Reading:
    themes: tuple[str, ...]  # theme codes, in the table's order
    hits: dict[str, tuple[str, ...]]  # theme -> the words of the comment that named it
    sentiment: float  # -1 .. 1
    tone: str  # negative, neutral or positive
    cues: tuple[str, ...] = field(default=())  # the polar words, "-" marking a negative one


class Reader:
    """Reads comments with one theme table and one sentiment table (patterns indexed once)."""

    def __init__(self, themes: ThemeTable, sentiment: SentimentTable) -> None:
        self.table = themes
        self.sentiment = sentiment
        self._order = [t.code for t in themes.themes]
        self._themes = Index([(p, t.code) for t in themes.themes for p in t.patterns])
        self._polar = Index([(p, 1.0) for p in sentiment.positive]
                            + [(p, -1.0) for p in sentiment.negative])  # fmt: skip

    def read(self, text: str | None) -> Reading:
        hits: dict[str, list[str]] = {}
        score, cues = 0.0, list[str]()
        for clause in CLAUSE.split(text or ""):  # no phrase or negation crosses punctuation
            words = tokens(clause)
            stems = [stem(w) for w in words]
            for i in range(len(words)):
                for n, code in self._themes.at(words, stems, i):
                    said = " ".join(words[i : i + n])
                    if said not in hits.setdefault(code, []):
                        hits[code].append(said)
            part, said_so = self._polarity(words, stems)
            score += part
            cues += said_so
        ordered = {code: tuple(hits[code]) for code in self._order if code in hits}
        value = math.tanh(score / 2)
        tone = "negative" if value < -TONE_LINE else "positive" if value > TONE_LINE else "neutral"
        return Reading(tuple(ordered), ordered, round(value, 4), tone, tuple(cues))

    def _polarity(self, words: list[str], stems: list[str]) -> tuple[float, list[str]]:
        s = self.sentiment
        score, cues = 0.0, list[str]()
        negated_until, boost, i = -1, 1.0, 0
        while i < len(words):
            plain = words[i].replace("'", "")
            found = self._polar.at(words, stems, i)  # a phrase first: "не працює"
            if not found:
                if plain in s.negators:
                    if negated_until >= i:  # the one before turned nothing around
                        score, cues = score + s.bare_negation, [*cues, "-" + words[i]]
                    negated_until = i + s.window
                elif plain in s.intensifiers:
                    boost = BOOST
                i += 1
                continue
            length, weight = found[0]
            value = weight * boost * (-1 if i <= negated_until else 1)
            score += value
            cues.append(("-" if value < 0 else "") + " ".join(words[i : i + length]))
            negated_until, boost, i = -1, 1.0, i + length
        if negated_until >= 0 and s.bare_negation:  # "не вийшло", "did not reply": a let-down
            score += s.bare_negation
            cues.append("-" + next(w for w in reversed(words) if w.replace("'", "") in s.negators))
        return score, cues
