"""Follow-ups of detractor responses (table feedback_followups): opening the missing ones,
the queue in a view, closing one, and what their timing reports read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from salesmetrics.domain.access import Scope
from salesmetrics.storage.protocol import Store, WriteTx
from salesmetrics.storage.repositories.lead_features import in_view
from salesmetrics.storage.repositories.segment_sizes import in_segment

DETRACTOR = (
    "(f.score IS NOT NULL AND ((f.kind = 'nps' AND f.score <= 6) OR "
    "(f.kind <> 'nps' AND f.score <= 0.4 * coalesce(f.scale_max, 5))))"
)  # services/feedback/themes.py is_detractor, in SQL


@dataclass(frozen=True, slots=True)
class FollowUp:
    id: int
    feedback_id: int
    rep_id: int | None
    rep: str | None
    customer_id: int | None
    customer: str | None
    opened_at: datetime
    due_at: datetime
    done_at: datetime | None
    done_by: str | None
    note: str | None
    received_at: datetime
    kind: str
    score: float | None
    scale_max: int | None
    comment: str | None
    product: str | None


def open_missing(tx: WriteTx, since: datetime, now: datetime, due_after_hours: int, *,
                 on_arrival: bool = False) -> list[int]:  # fmt: skip
    """A follow-up for every detractor response received since `since` that has none, owned
    by the response's rep or else the customer's owner, opened now (or, `on_arrival`, when the
    response arrived: a history as if the loop had been running); the new ids."""
    opened = "f.received_at" if on_arrival else "CAST(? AS TIMESTAMPTZ)"
    rows = tx.fetchall(
        "INSERT INTO feedback_followups (feedback_id, rep_id, customer_id, opened_at, due_at) "
        f"SELECT f.id, coalesce(f.rep_id, c.owner_rep_id), f.customer_id, {opened}, "
        "f.received_at + ? * INTERVAL '1 hour' FROM feedback f "
        "LEFT JOIN customers c ON c.id = f.customer_id "
        f"WHERE f.received_at >= ? AND {DETRACTOR} AND NOT EXISTS "
        "(SELECT 1 FROM feedback_followups x WHERE x.feedback_id = f.id) ORDER BY f.id "
        "RETURNING id",
        [*([] if on_arrival else [now]), due_after_hours, since],
    )
    return [int(r[0]) for r in rows]


_SELECT = (
    "SELECT x.id, x.feedback_id, x.rep_id, r.name, x.customer_id, c.name, x.opened_at, "
    "x.due_at, x.done_at, x.done_by, x.note, f.received_at, f.kind, f.score, f.scale_max, "
    "f.comment, p.name FROM feedback_followups x JOIN feedback f ON f.id = x.feedback_id "
    "LEFT JOIN reps r ON r.id = x.rep_id LEFT JOIN customers c ON c.id = x.customer_id "
    "LEFT JOIN products p ON p.id = f.product_id"
)


def listed(store: Store | WriteTx, scope: Scope, *, state: str = "open",
           since: datetime | None = None, limit: int = 200) -> list[FollowUp]:  # fmt: skip
    """Follow-ups in view (by their rep, and of its segment's customers when it has one):
    `open`, `done` or `all`; oldest due first for open ones, newest done first for done ones."""
    seen, params = in_view(scope, "x.rep_id")
    member, of = in_segment(scope, "x.customer_id")
    where, params = [seen, member], [*params, *of]
    if state == "open":
        where.append("x.done_at IS NULL")
    elif state == "done":
        where.append("x.done_at IS NOT NULL")
    if since is not None:
        where.append("x.opened_at >= ?")
        params.append(since)
    order = "x.due_at, x.id" if state == "open" else "x.done_at DESC NULLS LAST, x.id DESC"
    rows = store.fetchall(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?",
                          [*params, limit])  # fmt: skip
    return [FollowUp(*r) for r in rows]


def one(store: Store | WriteTx, followup_id: int) -> FollowUp | None:
    rows = store.fetchall(f"{_SELECT} WHERE x.id = ?", [followup_id])
    return FollowUp(*rows[0]) if rows else None


def close(tx: WriteTx, followup_id: int, at: datetime, by: str, note: str | None) -> bool:
    """Mark one done (if it is still open); whether it was."""
    rows = tx.fetchall(
        "UPDATE feedback_followups SET done_at = ?, done_by = ?, note = ? "
        "WHERE id = ? AND done_at IS NULL RETURNING id",
        [at, by, note, followup_id],
    )
    return bool(rows)


def timings(store: Store, scope: Scope, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per rep, the follow-ups opened in [start, end): opened, done, and each done one's hours
    from the response to done (listed, for medians), in view."""
    seen, params = in_view(scope, "x.rep_id")
    member, of = in_segment(scope, "x.customer_id")
    rows = store.fetchall(
        "SELECT x.rep_id, r.name, x.done_at, f.received_at, x.due_at FROM feedback_followups x "
        "JOIN feedback f ON f.id = x.feedback_id LEFT JOIN reps r ON r.id = x.rep_id "
        f"WHERE x.opened_at >= ? AND x.opened_at < ? AND {seen} AND {member}",
        [start, end, *params, *of],
    )
    return [{"rep_id": r[0], "rep": r[1], "done_at": r[2], "received_at": r[3], "due_at": r[4]}
            for r in rows]  # fmt: skip
