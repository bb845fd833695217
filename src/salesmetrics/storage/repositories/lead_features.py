"""What lead scoring reads: each lead as it stood at its cut (its decision point, or the scoring
instant if sooner), never anything recorded after it; and the models trained so far.

A lead's cut is `decided_at` for a lead decided before the scoring instant, else the instant.
Only activities done before the cut count, a first response after the cut counts as none yet,
and the lead's status, decision and what it converted into are never features: the outcome is
read only as the label of a decided lead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from salesmetrics.domain.access import EVERYTHING, Scope
from salesmetrics.storage.protocol import Store, WriteTx

_EPOCH = "date_part('epoch', {})"
ENGAGEMENT_DAYS = 14  # touches counted in a lead's first two weeks (and before its cut)
DECIDED = "decided"
OPEN = "open"


def _e(expr: str) -> str:
    return _EPOCH.format(expr)


@dataclass(frozen=True, slots=True)
class LeadFilter:
    """Which leads: decided (the training set) or open at the instant, in a view, optionally
    some reps' or some ids."""

    which: str  # DECIDED or OPEN
    scope: Scope = EVERYTHING
    reps: tuple[int, ...] | None = None
    ids: tuple[int, ...] | None = None
    newest: int | None = None  # only the newest this many (by creation)

    def sql(self, at: datetime) -> tuple[str, list[Any]]:
        parts: list[str] = ["l.created_at < ?"]
        params: list[Any] = [at]
        if self.which == DECIDED:
            parts.append("l.status IN ('converted', 'lost') AND l.decided_at < ?")
        else:
            # open at `at`: decided later, or not decided (a converted or lost lead without
            # its decision time is neither: `undated_decisions` counts those)
            parts.append("(l.decided_at >= ? OR (l.decided_at IS NULL AND l.status = 'open'))")
        params.append(at)
        seen, seen_params = in_view(self.scope, "l.owner_rep_id")
        parts.append(seen)
        params.extend(seen_params)
        for column, values in (("l.owner_rep_id", self.reps), ("l.id", self.ids)):
            if values is not None:
                marks = ", ".join("?" * len(values))
                parts.append(f"{column} IN ({marks})" if values else "FALSE")
                params.extend(values)
        return " AND ".join(parts), params


def in_view(scope: Scope, column: str) -> tuple[str, list[Any]]:
    """The records of `column`'s owner that `scope` sees, as a condition."""
    if scope.reps is None:
        return "TRUE", []
    marks = ", ".join("?" * len(scope.reps))
    own = f"{column} IN ({marks})" if scope.reps else "FALSE"
    none = f" OR {column} IS NULL" if scope.unassigned else ""
    return f"({own}{none})", sorted(scope.reps)


def lead_rows(store: Store, f: LeadFilter, at: datetime) -> pa.Table:
    """One row per lead as of its cut: ids and names, times as epoch seconds (created, cut,
    first response if before the cut), the owner, the channel and its kind, whether an email
    and a phone are on record, the free attributes (JSON text), the done activities by kind in
    the lead's first ENGAGEMENT_DAYS (and before the cut: the same window for a lead decided
    long ago and one still open), the last done activity before the cut, the outcome (decided
    leads: converted or not), and the typical won-deal amount of the lead's channel (minor
    units, for its value) among the won deals in the same view."""
    where, params = f.sql(at)
    deals_seen, deal_params = in_view(f.scope, "d.owner_rep_id")
    cut = "CASE WHEN l.decided_at IS NOT NULL AND l.decided_at < ? THEN l.decided_at ELSE ? END"
    kinds = ", ".join(
        f"sum(CASE WHEN a.kind = '{k}' THEN 1 ELSE 0 END) AS {k}s"
        for k in ("call", "email", "meeting")
    )
    sql = (
        f"WITH l AS (SELECT l.*, {cut} AS cut FROM leads l WHERE {where}"
        f"{' ORDER BY l.created_at DESC, l.id DESC LIMIT ?' if f.newest else ''}), "
        f"a AS (SELECT a.lead_id, count(*) AS acts, {kinds} FROM activities a "
        "JOIN l ON l.id = a.lead_id WHERE a.done AND a.occurred_at < l.cut "
        f"AND {_e('a.occurred_at')} < {_e('l.created_at')} + ? GROUP BY a.lead_id), "
        "q AS (SELECT a.lead_id, max(a.occurred_at) AS last_at FROM activities a "
        "JOIN l ON l.id = a.lead_id WHERE a.done AND a.occurred_at < l.cut GROUP BY a.lead_id), "
        "v AS (SELECT d.channel_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY d.amount_minor) "
        "AS typical FROM deals d WHERE d.status = 'won' AND d.lead_id IS NOT NULL "
        f"AND d.closed_at < ? AND {deals_seen} GROUP BY d.channel_id) "
        f"SELECT l.id, l.external_id, l.name, l.company, {_e('l.created_at')} AS created, "
        f"{_e('l.cut')} AS cut, "
        f"CASE WHEN l.first_response_at < l.cut THEN {_e('l.first_response_at')} END "
        "AS first_response, l.owner_rep_id AS rep_id, r.name AS rep, c.name AS channel, "
        "c.kind AS channel_kind, (coalesce(l.email, '') <> '') AS has_email, "
        "(coalesce(l.phone, '') <> '') AS has_phone, l.attributes, "
        "coalesce(a.acts, 0) AS activities, coalesce(a.calls, 0) AS calls, "
        "coalesce(a.emails, 0) AS emails, coalesce(a.meetings, 0) AS meetings, "
        f"{_e('q.last_at')} AS last_activity, (l.status = 'converted') AS converted, "
        "CAST(v.typical AS DOUBLE PRECISION) AS typical_minor "
        "FROM l LEFT JOIN a ON a.lead_id = l.id LEFT JOIN q ON q.lead_id = l.id "
        "LEFT JOIN reps r ON r.id = l.owner_rep_id "
        "LEFT JOIN channels c ON c.id = l.channel_id LEFT JOIN v ON v.channel_id = l.channel_id "
        "ORDER BY l.created_at, l.id"
    )
    newest = [f.newest] if f.newest else []
    return store.fetch_arrow(
        sql, [at, at, *params, *newest, ENGAGEMENT_DAYS * 86400.0, at, *deal_params]
    )


def typical_won_amount(store: Store, at: datetime,
                       scope: Scope = EVERYTHING) -> tuple[int | None, str | None]:  # fmt: skip
    """The median amount of the won deals in view that came from leads, and their usual
    currency."""
    seen, params = in_view(scope, "owner_rep_id")
    rows = store.fetchall(
        "SELECT CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY amount_minor) AS DOUBLE "
        "PRECISION), mode() WITHIN GROUP (ORDER BY currency) FROM deals "
        f"WHERE status = 'won' AND lead_id IS NOT NULL AND closed_at < ? AND {seen}",
        [at, *params],
    )
    amount, currency = rows[0] if rows else (None, None)
    return (None if amount is None else round(float(amount)), currency)


def undated_decisions(store: Store, at: datetime) -> int:
    """Decided leads without a decision time: they cannot be cut, so they are not learnt."""
    rows = store.fetchall(
        "SELECT count(*) FROM leads WHERE status IN ('converted', 'lost') AND decided_at IS NULL "
        "AND created_at < ?",
        [at],
    )
    return int(rows[0][0])


@dataclass(frozen=True, slots=True)
class StoredModel:
    id: int
    trained_at: datetime
    as_of: datetime
    kind: str
    decided_leads: int
    params: dict[str, Any]
    evaluation: dict[str, Any]


def _model(row: tuple[Any, ...]) -> StoredModel:
    i, trained, as_of, kind, n, params, evaluation = row
    return StoredModel(int(i), trained, as_of, str(kind), int(n), _json(params), _json(evaluation))


def _json(value: Any) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return dict(loaded or {})


_MODEL_COLUMNS = "id, trained_at, as_of, kind, decided_leads, params, evaluation"


def latest_model(store: Store) -> StoredModel | None:
    rows = store.fetchall(
        f"SELECT {_MODEL_COLUMNS} FROM lead_models ORDER BY trained_at DESC, id DESC LIMIT 1"
    )
    return _model(rows[0]) if rows else None


def latest_model_id(store: Store) -> int | None:
    rows = store.fetchall("SELECT max(id) FROM lead_models")
    return None if not rows or rows[0][0] is None else int(rows[0][0])


def models(store: Store, limit: int = 20) -> list[tuple[int, datetime, str, int]]:
    """The models trained so far, newest first: id, when, kind, decided leads."""
    rows = store.fetchall(
        "SELECT id, trained_at, kind, decided_leads FROM lead_models "
        "ORDER BY trained_at DESC, id DESC LIMIT ?",
        [limit],
    )
    return [(int(i), t, str(k), int(n)) for i, t, k, n in rows]


def save_model(tx: WriteTx, trained_at: datetime, as_of: datetime, kind: str, decided: int,
               params: dict[str, Any], evaluation: dict[str, Any]) -> int:  # fmt: skip
    rows = tx.fetchall(
        "INSERT INTO lead_models (trained_at, as_of, kind, decided_leads, params, evaluation) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        [trained_at, as_of, kind, decided, json.dumps(params, ensure_ascii=False),
         json.dumps(evaluation, ensure_ascii=False)],
    )  # fmt: skip
    return int(rows[0][0])


def find_lead(store: Store, text: str) -> list[tuple[int, int | None, str]]:
    """Leads by id or external id: (id, owner rep, status)."""
    ident = int(text) if text.isdecimal() and len(text) < 12 else -1
    rows = store.fetchall(
        "SELECT id, owner_rep_id, status FROM leads WHERE id = ? OR external_id = ? ORDER BY id",
        [ident, text],
    )
    return [(int(i), None if r is None else int(r), str(s)) for i, r, s in rows]
