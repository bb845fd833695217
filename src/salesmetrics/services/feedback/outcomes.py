"""Do unhappy customers stop buying? What promoters, passives and detractors bought in the
WINDOW_DAYS days after their latest answer, and NPS beside repeat purchase, churn and revenue
per customer segment.

A comparison, not a cause: customers who answer differ from those who do not, a detractor may be
unhappy because something else already went wrong, and a segment's NPS and its repeat purchase
move together with many other things. The report says so with every answer (`caveat`), and
gives the share who bought again with its 95 % interval, so small groups read as small.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from salesmetrics.domain.access import Principal
from salesmetrics.metrics.stats import wilson
from salesmetrics.services.feedback.themes import is_detractor, period_of
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import feedback_texts as repo
from salesmetrics.storage.repositories import segment_sizes

WINDOW_DAYS = 90
DEFAULT_PERIOD = "trailing_12_months"
CLASSES = ("promoter", "passive", "detractor")
CAVEAT = (
    "A comparison, not a cause: customers who answer differ from those who do not, an unhappy "
    "answer may follow a problem that would have lost the customer anyway, and segments differ "
    "in much more than their NPS. Read the intervals: small groups say little."
)
SEGMENT_METRICS = ("nps", "nps_responses", "repeat_purchase_rate", "revenue", "buying_customers")


def answer_class(kind: str, score: float, scale_max: int | None) -> str:
    """promoter (NPS 9-10, or the top fifth of another scale), detractor (is_detractor), or
    passive."""
    if is_detractor(kind, score, scale_max):
        return "detractor"
    top = score >= 9 if kind == "nps" else score >= 0.8 * (scale_max or 5)
    return "promoter" if top else "passive"


@dataclass(frozen=True, slots=True)
class ClassRow:
    answer: str
    customers: int
    bought_again: int
    low: float | None
    high: float | None
    orders_each: float | None
    revenue_each_minor: float | None

    def as_dict(self) -> dict[str, Any]:
        share = self.bought_again / self.customers if self.customers else None
        return {"answer": self.answer, "customers": self.customers,
                "bought_again": self.bought_again, "share": _r(share), "share_low": _r(self.low),
                "share_high": _r(self.high), "orders_each": _r(self.orders_each),
                "revenue_each_minor": _r(self.revenue_each_minor, 0)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Outcomes:
    answered: str  # the answers' period, cut WINDOW_DAYS before today
    window_days: int
    currency: str
    classes: list[ClassRow]
    segments: list[dict[str, Any]]
    caveat: str = CAVEAT

    def as_dict(self) -> dict[str, Any]:
        return {"answered": self.answered, "window_days": self.window_days,
                "currency": self.currency, "by_answer": [c.as_dict() for c in self.classes],
                "by_segment": self.segments, "caveat": self.caveat}  # fmt: skip


def _r(v: float | None, digits: int = 4) -> float | None:
    return None if v is None else round(float(v), digits)


def outcomes(ws: Workspace, who: Principal, period: str | None = None,
             as_of: date | None = None) -> Outcomes:  # fmt: skip
    """What each kind of answer was followed by, and NPS beside outcomes per segment, in
    `who`'s view."""
    day = as_of or ws.metrics.today()
    rng = period_of(ws, period or DEFAULT_PERIOD, day)
    zone, currency = ZoneInfo(ws.settings.time_zone), ws.settings.base_currency
    last = min(rng.end, day - timedelta(days=WINDOW_DAYS))  # a whole window after each answer
    start = datetime.combine(rng.start, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    rows = repo.after_answers(ws.store, who.scope, start, max(start, end), WINDOW_DAYS, currency)
    groups: dict[str, list[tuple[int, int]]] = {c: [] for c in CLASSES}
    for kind, score, scale_max, orders, revenue in rows:
        groups[answer_class(str(kind), float(score), scale_max)].append((int(orders), int(revenue)))
    classes = []
    for name, items in groups.items():
        n, again = len(items), sum(1 for o, _ in items if o > 0)
        band = wilson(again, n) if n else None
        classes.append(ClassRow(
            name, n, again, band[0] if band else None, band[1] if band else None,
            sum(o for o, _ in items) / n if n else None,
            sum(r for _, r in items) / n if n else None,
        ))  # fmt: skip
    return Outcomes(f"{rng.start}..{last}", WINDOW_DAYS, currency, classes,
                    _segments(ws, who, f"{rng.start}..{rng.end}", day))  # fmt: skip


def _segments(ws: Workspace, who: Principal, span: str, day: date) -> list[dict[str, Any]]:
    """Per stored segment: NPS, repeat purchase, revenue per buying customer, and the mean
    P(alive) the segments were stored with (churn's other side)."""
    if not segment_sizes.sizes(ws.store).sizes:
        return []
    names = ws.metrics.readable(SEGMENT_METRICS, who.scope)
    result = ws.metrics.query(names, period=span, by=["segment"], as_of=day, scope=who.scope)
    alive = segment_sizes.mean_p_alive(ws.store)
    out = []
    for x in result.rows():
        code = x["segment"]
        if code is None:
            continue
        buyers = x.get("buying_customers")
        out.append({"segment": code, "nps": _r(x.get("nps")), "nps_low": _r(x.get("nps__low")),
                    "nps_high": _r(x.get("nps__high")),
                    "nps_responses": int(x.get("nps_responses") or 0),
                    "repeat_purchase_rate": _r(x.get("repeat_purchase_rate")),
                    "revenue_per_buyer_minor": _r(x["revenue"] / buyers, 0)
                    if buyers and x.get("revenue") is not None else None,
                    "mean_p_alive": _r(alive.get(code))})  # fmt: skip
    return sorted(out, key=lambda s: -(s["nps"] if s["nps"] is not None else -1000))
