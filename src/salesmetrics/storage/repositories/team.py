"""Reps and teams as the Team pages list them, and a rep's recently won deals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from salesmetrics.storage.protocol import Store

_REPS = (
    "SELECT r.id, r.name, r.email, r.active, r.hired_on, r.team_id, t.name "
    "FROM reps r LEFT JOIN teams t ON t.id = r.team_id"
)


@dataclass(frozen=True, slots=True)
class RepRow:
    """A rep with their team's name (None without a team)."""

    id: int
    name: str
    email: str | None
    active: bool
    hired_on: date | None
    team_id: int | None
    team: str | None


@dataclass(frozen=True, slots=True)
class WonDeal:
    id: int
    title: str | None
    customer: str | None
    amount_minor: int
    currency: str
    closed_at: datetime | None


def _rep(row: tuple[Any, ...]) -> RepRow:
    rid, name, email, active, hired, team_id, team = row
    return RepRow(
        int(rid), str(name), email, bool(active), hired,
        None if team_id is None else int(team_id), team,
    )  # fmt: skip


def reps(store: Store) -> list[RepRow]:
    """Every rep, active or not, ordered by id."""
    return [_rep(r) for r in store.fetchall(_REPS + " ORDER BY r.id")]


def rep(store: Store, rep_id: int) -> RepRow | None:
    rows = store.fetchall(_REPS + " WHERE r.id = ?", (rep_id,))
    return _rep(rows[0]) if rows else None


def recent_won_deals(store: Store, rep_id: int, limit: int = 10) -> list[WonDeal]:
    """The rep's latest won deals, newest close first."""
    rows = store.fetchall(
        "SELECT d.id, d.title, c.name, d.amount_minor, d.currency, d.closed_at "
        "FROM deals d LEFT JOIN customers c ON c.id = d.customer_id "
        "WHERE d.owner_rep_id = ? AND d.status = 'won' "
        "ORDER BY d.closed_at DESC NULLS LAST, d.id DESC LIMIT ?",
        (rep_id, limit),
    )
    return [
        WonDeal(int(i), title, customer, int(amount), str(cur), closed)
        for i, title, customer, amount, cur, closed in rows
    ]
