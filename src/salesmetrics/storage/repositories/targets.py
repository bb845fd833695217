"""Targets as rows: the ones a person set (a month, or a quarter or year with its months), with
the rep's or team's name, and the queries that place, replace and remove them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from salesmetrics.storage.protocol import Store, WriteTx

_SELECT = (
    "SELECT t.id, t.external_id, t.source, t.metric, t.scope, t.scope_id, t.period_start_on, "
    "t.period_end_on, t.value, t.split, t.weights, t.parent_id, coalesce(t.has_months, FALSE), "
    "CASE t.scope WHEN 'rep' THEN r.name WHEN 'team' THEN tm.name END, "
    "CASE t.scope WHEN 'rep' THEN r.team_id WHEN 'team' THEN t.scope_id END "
    "FROM targets t LEFT JOIN reps r ON t.scope = 'rep' AND r.id = t.scope_id "
    "LEFT JOIN teams tm ON t.scope = 'team' AND tm.id = t.scope_id"
)


@dataclass(frozen=True, slots=True)
class TargetRow:
    """One stored target with the name of the rep or team it is for, and that team."""

    id: int
    external_id: str | None
    source: str
    metric: str
    scope: str
    scope_id: int | None
    start: date
    end: date
    value: float
    split: str
    weights: list[float] | None
    parent_id: int | None
    has_months: bool
    scope_name: str | None
    team_id: int | None


def _row(r: tuple[Any, ...]) -> TargetRow:
    weights = json.loads(r[10]) if isinstance(r[10], str) else r[10]
    return TargetRow(
        int(r[0]), r[1], str(r[2]), str(r[3]), str(r[4]), None if r[5] is None else int(r[5]),
        r[6], r[7], float(r[8]), str(r[9]), weights, None if r[11] is None else int(r[11]),
        bool(r[12]), r[13], None if r[14] is None else int(r[14]),
    )  # fmt: skip


def overlapping(store: Store | WriteTx, start: date, end: date,
                metric: str | None = None) -> list[TargetRow]:  # fmt: skip
    """Targets whose period overlaps start..end, of one metric if given."""
    sql = _SELECT + " WHERE t.period_start_on <= ? AND t.period_end_on >= ?"
    params: list[Any] = [end, start]
    if metric is not None:
        sql += " AND t.metric = ?"
        params.append(metric)
    rows = store.fetchall(sql + " ORDER BY t.period_start_on, t.scope, t.scope_id, t.id", params)
    return [_row(r) for r in rows]


def by_id(store: Store | WriteTx, target_id: int) -> TargetRow | None:
    rows = store.fetchall(_SELECT + " WHERE t.id = ?", [target_id])
    return _row(rows[0]) if rows else None


def children(store: Store | WriteTx, parent_id: int) -> list[TargetRow]:
    rows = store.fetchall(_SELECT + " WHERE t.parent_id = ? ORDER BY t.period_start_on",
                          [parent_id])  # fmt: skip
    return [_row(r) for r in rows]


def same(tx: WriteTx, metric: str, scope: str, scope_id: int | None, start: date,
         end: date) -> list[int]:  # fmt: skip
    """Ids of the targets for exactly this metric, scope and period (however they came in)."""
    rows = tx.fetchall(
        "SELECT id FROM targets WHERE metric = ? AND scope = ? AND scope_id IS NOT DISTINCT FROM ? "
        "AND period_start_on = ? AND period_end_on = ? ORDER BY id",
        [metric, scope, scope_id, start, end],
    )
    return [int(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class NewTarget:
    external_id: str
    metric: str
    scope: str
    scope_id: int | None
    start: date
    end: date
    value: float
    split: str
    weights: list[float] | None = None
    parent_id: int | None = None
    has_months: bool = False


def put(tx: WriteTx, t: NewTarget, source: str) -> int:
    """Insert the target, or set the one with the same metric, scope and period: its id."""
    found = same(tx, t.metric, t.scope, t.scope_id, t.start, t.end)
    weights = None if t.weights is None else json.dumps(t.weights)
    values = [t.value, t.split, weights, t.parent_id, t.has_months]
    if found:
        tx.execute("UPDATE targets SET value = ?, split = ?, weights = ?, parent_id = ?, "
                   "has_months = ? WHERE id = ?", [*values, found[0]])  # fmt: skip
        remove(tx, found[1:])
        return found[0]
    rows = tx.fetchall(
        "INSERT INTO targets (external_id, source, metric, scope, scope_id, period_start_on, "
        "period_end_on, value, split, weights, parent_id, has_months) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [t.external_id, source, t.metric, t.scope, t.scope_id, t.start, t.end, *values],
    )
    return int(rows[0][0])


def remove(tx: WriteTx, ids: Sequence[int]) -> int:
    """Delete targets and the months of any plan among them; how many rows went."""
    if not ids:
        return 0
    marks = ", ".join("?" * len(ids))
    months = tx.fetchall(f"SELECT id FROM targets WHERE parent_id IN ({marks})", list(ids))
    every = [*ids, *(int(r[0]) for r in months)]
    tx.execute(f"DELETE FROM targets WHERE id IN ({', '.join('?' * len(every))})", every)
    return len(every)


def team_reps(store: Store) -> dict[int, list[int]]:
    """Each team's reps (active or not)."""
    out: dict[int, list[int]] = {}
    for team_id, rep_id in store.fetchall(
        "SELECT team_id, id FROM reps WHERE team_id IS NOT NULL ORDER BY id"
    ):
        out.setdefault(int(team_id), []).append(int(rep_id))
    return out


def managed_teams(store: Store, manager_rep_id: int) -> frozenset[int]:
    rows = store.fetchall("SELECT id FROM teams WHERE manager_rep_id = ?", [manager_rep_id])
    return frozenset(int(r[0]) for r in rows)


def teams(store: Store) -> list[tuple[int, str]]:
    return [
        (int(r[0]), str(r[1])) for r in store.fetchall("SELECT id, name FROM teams ORDER BY name")
    ]


def find_rep(store: Store, text: str) -> list[tuple[int, str]]:
    """Reps by id, external id, exact name or email (case ignored)."""
    return _find(store, "reps", text, extra="OR lower(email) = lower(?)")


def find_team(store: Store, text: str) -> list[tuple[int, str]]:
    return _find(store, "teams", text)


def _find(store: Store, table: str, text: str, extra: str = "") -> list[tuple[int, str]]:
    ident = int(text) if text.isdecimal() and len(text) < 12 else -1
    params: list[Any] = [ident, text, text] + ([text] if extra else [])
    rows = store.fetchall(
        f"SELECT id, name FROM {table} WHERE id = ? OR external_id = ? "
        f"OR lower(name) = lower(?) {extra} ORDER BY id", params,
    )  # fmt: skip
    return [(int(r[0]), str(r[1])) for r in rows]
