"""What customers' comments are about, ranked by how many unhappy customers raise it.

Every response received in the period and in the asker's view is read (analytics/feedback):
its themes, its tone and the words that said so. A theme's weight is the number of detractor
responses that raise it: an NPS of 0-6, or a satisfaction or review score in the bottom two
fifths of its scale (1-2 of 5). Each theme carries the products its detractors bought most and
a few of their comments, so the owner sees what to fix and where. Comments that no theme
catches can be grouped into suggestions for new themes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from salesmetrics.analytics.feedback.suggest import Suggestion, suggest
from salesmetrics.analytics.feedback.tagging import Reading
from salesmetrics.domain.access import Principal
from salesmetrics.domain.periods import DateRange, parse_period
from salesmetrics.services.feedback.lexicon import reader
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import feedback_texts as repo

DEFAULT_PERIOD = "last_90_days"
DETRACTOR_NPS = 6  # 0-6
BOTTOM_SHARE = 0.4  # of a satisfaction or review scale: 1-2 of 5
TOP_PRODUCTS = 3
EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class Response:
    """One response as read."""

    id: int
    received_at: datetime
    kind: str
    score: float | None
    detractor: bool
    comment: str | None
    reading: Reading
    customer: str | None
    rep: str | None
    product: str | None


@dataclass(frozen=True, slots=True)
class ThemeRow:
    code: str
    label: str
    responses: int
    detractors: int
    negative: int  # responses of a negative tone
    detractor_share: float | None  # of all detractor responses with a comment
    products: list[tuple[str, int]]  # the products its detractors bought most
    examples: list[str]  # detractors' comments first

    def as_dict(self) -> dict[str, Any]:
        return {"theme": self.code, "label": self.label, "responses": self.responses,
                "detractors": self.detractors, "negative": self.negative,
                "detractor_share": None if self.detractor_share is None
                else round(self.detractor_share, 4),
                "products": [{"product": p, "detractors": n} for p, n in self.products],
                "examples": self.examples}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ThemesReport:
    period: DateRange
    responses: int
    comments: int
    detractors: int
    detractor_comments: int
    tones: dict[str, int]
    themes: list[ThemeRow]
    untagged: int
    suggestions: list[Suggestion] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": str(self.period), "responses": self.responses, "comments": self.comments,
            "detractors": self.detractors, "detractor_comments": self.detractor_comments,
            "tones": self.tones, "themes": [t.as_dict() for t in self.themes],
            "untagged_comments": self.untagged,
            "suggestions": [{"words": list(s.words), "comments": s.comments,
                             "examples": list(s.examples)} for s in self.suggestions],
        }  # fmt: skip


def is_detractor(kind: str, score: float | None, scale_max: int | None) -> bool:
    """An NPS of 0-6, or a satisfaction or review score in the bottom two fifths of its scale
    (1-2 of 5, 1-2 of 7 would be 1-2.8: 1-2)."""
    if score is None:
        return False
    if kind == "nps":
        return score <= DETRACTOR_NPS
    return score <= BOTTOM_SHARE * (scale_max or 5)


def period_of(ws: Workspace, period: str | None, as_of: date | None = None) -> DateRange:
    day = as_of or ws.metrics.today()
    return parse_period(period or DEFAULT_PERIOD, day, ws.settings.fiscal_year_start_month)


def read_responses(ws: Workspace, who: Principal, rng: DateRange) -> list[Response]:
    """The responses of the period in `who`'s view, each read with the lexicons in force."""
    zone = ZoneInfo(ws.settings.time_zone)
    start = datetime.combine(rng.start, time(), zone)
    end = datetime.combine(rng.end + timedelta(days=1), time(), zone)
    t = repo.responses(ws.store, who.scope, start, end)
    return _read(t, reader(ws))


def _read(t: pa.Table, r: Any) -> list[Response]:
    cols = {name: t.column(name).to_pylist() for name in t.column_names}
    out = []
    for i in range(t.num_rows):
        comment = cols["comment"][i]
        out.append(Response(
            int(cols["id"][i]), cols["received_at"][i], str(cols["kind"][i]), cols["score"][i],
            is_detractor(str(cols["kind"][i]), cols["score"][i], cols["scale_max"][i]), comment,
            r.read(comment), cols["customer"][i], cols["rep"][i], cols["product"][i],
        ))  # fmt: skip
    return out


def themes(ws: Workspace, who: Principal, period: str | None = None, *, lang: str = "en",
           suggestions: bool = False, as_of: date | None = None) -> ThemesReport:  # fmt: skip
    """The themes of the period's comments in `who`'s view, most detractors first."""
    rng = period_of(ws, period, as_of)
    rows = read_responses(ws, who, rng)
    said = [x for x in rows if x.comment and x.comment.strip()]
    unhappy = [x for x in said if x.detractor]
    table = reader(ws).table
    ranked = []
    for theme in table.themes:
        about = [x for x in said if theme.code in x.reading.themes]
        if not about:
            continue
        bad = [x for x in about if x.detractor]
        products = Counter(x.product for x in bad if x.product)
        examples = [x.comment or "" for x in [*bad, *(x for x in about if not x.detractor)]]
        ranked.append(ThemeRow(
            theme.code, theme.label.get(lang) or theme.code, len(about), len(bad),
            sum(1 for x in about if x.reading.tone == "negative"),
            len(bad) / len(unhappy) if unhappy else None,
            products.most_common(TOP_PRODUCTS), examples[:EXAMPLES],
        ))  # fmt: skip
    ranked.sort(key=lambda t: (-t.detractors, -t.responses, t.code))
    untagged = [x.comment or "" for x in said if not x.reading.themes]
    found = suggest(untagged, table.ignore) if suggestions else []
    tones = Counter(x.reading.tone for x in said)
    return ThemesReport(
        rng, len(rows), len(said), sum(1 for x in rows if x.detractor), len(unhappy),
        {t: int(tones.get(t, 0)) for t in ("negative", "neutral", "positive")}, ranked,
        len(untagged), found,
    )  # fmt: skip
