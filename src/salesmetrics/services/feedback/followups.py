"""The detractor loop: every detractor response opens a follow-up for the rep who owns it, due
DUE_HOURS after the response arrived; the rep's manager is alerted (the `detractor` alert rule);
the rep (or their manager, or the owner) closes it with a note; the time from the response to
the follow-up is reported per rep.

Follow-ups are opened for responses received in the last LOOKBACK_DAYS days, by the server's
loop (every alert check, so half a minute after an import or an event) and by `salesmetrics
feedback followups --open-new`: importing five years of history does not open five years of
follow-ups.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from salesmetrics.domain.access import ForbiddenError, Principal, Role
from salesmetrics.domain.errors import ConflictError, InputError, NotFoundError
from salesmetrics.services.access.audit import record_in
from salesmetrics.services.feedback.themes import period_of
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import followups as repo
from salesmetrics.storage.repositories.followups import FollowUp as FollowUp

LOOKBACK_DAYS = 14
DUE_HOURS = 48
MAX_NOTE = 2000
STATES = ("open", "done", "all")


def open_new(ws: Workspace, now: datetime | None = None, *, on_arrival: bool = False) -> list[int]:
    """Open the follow-ups of the recent detractor responses that have none (dated now, or
    when each response arrived: the demo's history); their ids."""
    at = now or datetime.now(UTC)
    since = at - timedelta(days=LOOKBACK_DAYS)
    return ws.store.write(
        lambda tx: repo.open_missing(tx, since, at, DUE_HOURS, on_arrival=on_arrival),
        changes_data=False,
    )


def queue(ws: Workspace, who: Principal, state: str = "open", limit: int = 200) -> list[FollowUp]:
    """The follow-ups `who` sees (their own reps'), open ones oldest due first."""
    if state not in STATES:
        raise InputError(f"follow-up state '{state}': use {', '.join(STATES)}")
    return repo.listed(ws.store, who.scope, state=state, limit=limit)


def close(ws: Workspace, who: Principal, followup_id: int, note: str | None,
          now: datetime | None = None) -> FollowUp:  # fmt: skip
    """Mark a follow-up done, with what was done: its rep, their manager or the owner (not a
    viewer, who changes nothing). The follow-up as it now is."""
    found = repo.one(ws.store, followup_id)
    if found is None or not who.scope.sees(found.rep_id):
        raise NotFoundError(f"no follow-up {followup_id} in your view")
    if who.role is Role.VIEWER:
        raise ForbiddenError("a viewer may not close follow-ups: ask the rep or their manager")
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise InputError(f"a note is at most {MAX_NOTE} characters, not {len(text)}")
    at = now or datetime.now(UTC)

    def work(tx: WriteTx) -> bool:
        done = repo.close(tx, followup_id, at, who.email, text or None)
        if done:
            details = {"feedback_id": found.feedback_id}
            record_in(tx, who, "followup_done", object_type="feedback_followup",
                      object_id=followup_id, details=details)  # fmt: skip
        return done

    if not ws.store.write(work, changes_data=False):
        raise ConflictError(f"follow-up {followup_id} was done already ({found.done_at})")
    closed = repo.one(ws.store, followup_id)
    assert closed is not None
    return closed


def is_overdue(f: FollowUp, now: datetime) -> bool:
    return f.done_at is None and f.due_at < now


@dataclass(frozen=True, slots=True)
class RepTiming:
    rep_id: int | None
    rep: str | None
    opened: int
    done: int
    on_time: int  # done by their due time
    open_overdue: int
    median_hours: float | None  # from the response to done, over the done ones

    def as_dict(self) -> dict[str, Any]:
        return {"rep_id": self.rep_id, "rep": self.rep, "opened": self.opened,
                "done": self.done, "on_time": self.on_time, "open_overdue": self.open_overdue,
                "median_hours": None if self.median_hours is None
                else round(self.median_hours, 1)}  # fmt: skip


def timing(ws: Workspace, who: Principal, period: str | None = None,
           now: datetime | None = None) -> list[RepTiming]:  # fmt: skip
    """Per rep in view, the follow-ups opened in the period: how many were done, on time, how
    long they took (median hours from the response), how many are open past due; slowest
    first."""
    now = now or datetime.now(UTC)
    rng = period_of(ws, period)
    zone = ZoneInfo(ws.settings.time_zone)
    rows = repo.timings(ws.store, who.scope, datetime.combine(rng.start, time(), zone),
                        datetime.combine(rng.end + timedelta(days=1), time(), zone))  # fmt: skip
    by: dict[int | None, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["rep_id"], []).append(r)
    out = []
    for rep_id, items in by.items():
        done = [x for x in items if x["done_at"] is not None]
        hours = [(x["done_at"] - x["received_at"]).total_seconds() / 3600 for x in done]
        out.append(RepTiming(
            rep_id, items[0]["rep"], len(items), len(done),
            sum(1 for x in done if x["done_at"] <= x["due_at"]),
            sum(1 for x in items if x["done_at"] is None and x["due_at"] < now),
            statistics.median(hours) if hours else None,
        ))  # fmt: skip
    return sorted(out, key=lambda t: (-(t.median_hours or 0), -t.open_overdue, t.rep or ""))
