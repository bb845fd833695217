"""Suggesting new themes: the comments no theme caught, grouped by the words they share.

Each comment becomes TF-IDF weights of its word stems (the ignore list left out, stems in fewer
than MIN_DF comments dropped), normalised to unit length, and k-means groups them, k from 2 to
MAX_K chosen by the silhouette (cosine). A group is described by its heaviest stems, each shown
as the word form most often written, with its size and a few comments: what the owner reads to
decide whether it is a theme worth adding to the lexicon.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from salesmetrics.analytics.feedback.words import stem, tokens

MIN_COMMENTS = 12
MIN_DF = 2
MAX_K = 6
WORDS_SHOWN = 4
EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    words: tuple[str, ...]  # the group's heaviest words, as people wrote them
    comments: int
    examples: tuple[str, ...]


def suggest(texts: Sequence[str], ignore: frozenset[str] = frozenset(),
            seed: int = 0) -> list[Suggestion]:  # fmt: skip
    """Groups of `texts` worth a look, largest first; none for fewer than MIN_COMMENTS."""
    if len(texts) < MIN_COMMENTS:
        return []
    written: dict[str, Counter[str]] = {}

    def analyse(text: str) -> list[str]:
        out = []
        for w in tokens(text):
            s = stem(w)
            if s not in ignore and len(s) > 2:
                written.setdefault(s, Counter())[w] += 1
                out.append(s)
        return out

    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=analyse, min_df=MIN_DF)
    try:
        x = vec.fit_transform(texts)
    except ValueError:  # no stem in two comments
        return []
    keep = np.flatnonzero(x.getnnz(axis=1) > 0)
    if len(keep) < MIN_COMMENTS:
        return []
    x = x[keep]
    labels, centres = _groups(x, seed)
    names = vec.get_feature_names_out()
    out = []
    for k in range(centres.shape[0]):
        members = np.flatnonzero(labels == k)
        top = np.argsort(-centres[k])[:WORDS_SHOWN]
        words = tuple(written[names[i]].most_common(1)[0][0] for i in top if centres[k, i] > 0)
        out.append(Suggestion(words, len(members),
                              tuple(texts[keep[i]] for i in members[:EXAMPLES])))  # fmt: skip
    return sorted(out, key=lambda s: -s.comments)


def _groups(x: object, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import KMeans  # sklearn loads in ~1 s: only when used
    from sklearn.metrics import silhouette_score

    n = x.shape[0]  # type: ignore[attr-defined]
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    with threadpool_limits(1):
        for k in range(2, min(MAX_K, n // 4) + 1):
            model = KMeans(k, n_init=5, random_state=seed).fit(x)
            if len(set(model.labels_)) < 2:
                continue
            score = float(silhouette_score(x, model.labels_, metric="cosine"))
            if best is None or score > best[0]:
                best = (score, model.labels_, model.cluster_centers_)
    if best is None:
        return np.zeros(n, np.int64), np.asarray(x.mean(axis=0)).reshape(1, -1)  # type: ignore[attr-defined]
    return best[1], best[2]
