"""Feedback at a glance: NPS and CSAT with their intervals against the period before, by rep and
by product (the metric engine's figures, so each is explainable), how the comments feel, and
the themes that carry the most detractors (themes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from salesmetrics.domain.access import Principal
from salesmetrics.services.feedback.themes import ThemesReport, period_of, themes
from salesmetrics.services.workspace import Workspace

HEADLINE = ("nps", "nps_responses", "csat")
BY = ("rep", "product")
MIN_RESPONSES = 5  # a rep or product with fewer NPS answers is listed without a rank
TOP_THEMES = 3


@dataclass(frozen=True, slots=True)
class Figure:
    metric: str
    value: float | None
    previous: float | None
    low: float | None
    high: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "value": _r(self.value), "previous": _r(self.previous),
                "low": _r(self.low), "high": _r(self.high)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Line:
    """A rep's or product's NPS and answers, CSAT."""

    name: str | None
    nps: float | None
    low: float | None
    high: float | None
    responses: int
    csat: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "nps": _r(self.nps), "nps_low": _r(self.low),
                "nps_high": _r(self.high), "nps_responses": self.responses,
                "csat": _r(self.csat)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Summary:
    period: str
    comparison: str | None
    headline: list[Figure]
    by: dict[str, list[Line]]  # "rep" / "product" -> lines, lowest NPS first
    themes: ThemesReport

    def as_dict(self) -> dict[str, Any]:
        t = self.themes
        return {
            "period": self.period, "comparison_period": self.comparison,
            "headline": [f.as_dict() for f in self.headline],
            "by_rep": [x.as_dict() for x in self.by["rep"]],
            "by_product": [x.as_dict() for x in self.by["product"]],
            "responses": t.responses, "comments": t.comments, "detractors": t.detractors,
            "tones": t.tones,
            "top_detractor_themes": [x.as_dict() for x in t.themes[:TOP_THEMES]],
        }  # fmt: skip


def _r(v: float | None) -> float | None:
    return None if v is None else round(float(v), 4)


def summary(ws: Workspace, who: Principal, period: str | None = None, *, lang: str = "en",
            as_of: date | None = None) -> Summary:  # fmt: skip
    """NPS, CSAT and the comments of the period, in `who`'s view."""
    rng = period_of(ws, period, as_of)
    span = f"{rng.start}..{rng.end}"
    names = ws.metrics.readable(HEADLINE, who.scope)
    head = ws.metrics.query(names, period=span, compare="previous", scope=who.scope)
    row = head.rows()[0] if head.rows() else {}
    figures = [Figure(n, row.get(n), row.get(f"{n}__previous"), row.get(f"{n}__low"),
                      row.get(f"{n}__high")) for n in names]  # fmt: skip
    by = {dim: _lines(ws, who, span, dim) for dim in BY}
    cmp = head.request.comparison
    return Summary(span, str(cmp) if cmp else None, figures, by,
                   themes(ws, who, span, lang=lang, as_of=as_of))  # fmt: skip


def _lines(ws: Workspace, who: Principal, span: str, dim: str) -> list[Line]:
    result = ws.metrics.query(["nps", "nps_responses", "csat"], period=span, by=[dim],
                              scope=who.scope)  # fmt: skip
    lines = [Line(x[dim], x["nps"], x.get("nps__low"), x.get("nps__high"),
                  int(x["nps_responses"] or 0), x["csat"]) for x in result.rows()
             if x["nps_responses"] or x["csat"] is not None]  # fmt: skip
    ranked = [x for x in lines if x.responses >= MIN_RESPONSES and x.nps is not None]
    rest = [x for x in lines if x not in ranked]
    return sorted(ranked, key=lambda x: (x.nps or 0, x.name or "")) + rest
