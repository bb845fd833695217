"""What a customer last told us, as a signal for churn risk and scoring: their latest scored
response of the last RECENT_DAYS days, and whether it was a detractor's.

On the demo this signal does not predict who buys again (its generator does not tie feedback to
buying: 46 % of the detractors and 46 % of the promoters of December to May bought again from
June), so it is used as a rule a manager can read ("told us they are unhappy"), not as a weight
learnt from data; docs/feedback.md says why and what the research says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from salesmetrics.domain.access import Principal
from salesmetrics.services.feedback.themes import is_detractor
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import feedback_texts as repo

RECENT_DAYS = 180


@dataclass(frozen=True, slots=True)
class LastSaid:
    kind: str
    score: float
    scale_max: int | None
    received_at: datetime
    comment: str | None
    detractor: bool

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "score": self.score, "scale_max": self.scale_max,
                "received_at": self.received_at.isoformat(), "comment": self.comment,
                "detractor": self.detractor}  # fmt: skip


def last_said(ws: Workspace, who: Principal, as_of: date) -> dict[int, LastSaid]:
    """Customer id -> their latest scored response in the RECENT_DAYS days up to the end of
    `as_of`, for the customers in `who`'s view."""
    zone = ZoneInfo(ws.settings.time_zone)
    end = datetime.combine(as_of + timedelta(days=1), time(), zone)
    rows = repo.latest_by_customer(ws.store, who.scope, end - timedelta(days=RECENT_DAYS), end)
    return {int(c): LastSaid(str(k), float(s), m, at, text, is_detractor(str(k), s, m))
            for c, k, s, m, at, text in rows}  # fmt: skip
