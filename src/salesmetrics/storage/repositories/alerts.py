"""Alerts and their deliveries as rows, and the reads the alert rules need (a rep's last
activity)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from salesmetrics.storage.protocol import Store, WriteTx

_ALERT = ("SELECT id, rule, key, fired_at, severity, title, body, rep_id, team_id, data "
          "FROM alerts")  # fmt: skip


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    rule: str
    key: str
    fired_at: datetime
    severity: str
    title: str
    body: str | None
    rep_id: int | None
    team_id: int | None
    data: dict[str, Any]


def _alert(r: tuple[Any, ...]) -> AlertRow:
    data = json.loads(r[9]) if isinstance(r[9], str) else (r[9] or {})
    return AlertRow(int(r[0]), str(r[1]), str(r[2]), r[3], str(r[4]), str(r[5]), r[6],
                    None if r[7] is None else int(r[7]), None if r[8] is None else int(r[8]),
                    data)  # fmt: skip


@dataclass(frozen=True, slots=True)
class NewAlert:
    rule: str
    key: str
    severity: str
    title: str
    body: str
    rep_id: int | None = None
    team_id: int | None = None
    data: dict[str, Any] | None = None


def known_keys(tx: WriteTx | Store, rule: str, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    marks = ", ".join("?" * len(keys))
    rows = tx.fetchall(f"SELECT key FROM alerts WHERE rule = ? AND key IN ({marks})",
                       [rule, *keys])  # fmt: skip
    return {str(r[0]) for r in rows}


def insert_alert(tx: WriteTx, a: NewAlert, at: datetime) -> int:
    rows = tx.fetchall(
        "INSERT INTO alerts (rule, key, fired_at, severity, title, body, rep_id, team_id, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [a.rule, a.key, at, a.severity, a.title, a.body, a.rep_id, a.team_id,
         json.dumps(a.data or {}, ensure_ascii=False, default=str)],
    )  # fmt: skip
    return int(rows[0][0])


def insert_delivery(tx: WriteTx, alert_id: int, channel: str, recipient: str | None,
                    due: datetime) -> None:  # fmt: skip
    tx.execute("INSERT INTO alert_deliveries (alert_id, channel, recipient, due_at) "
               "VALUES (?, ?, ?, ?)", [alert_id, channel, recipient, due])  # fmt: skip


def alerts(store: Store, *, since: datetime | None = None, limit: int = 200) -> list[AlertRow]:
    """The newest alerts first (fired at or after `since`)."""
    where, params = ("WHERE fired_at >= ?", [since]) if since else ("", [])
    rows = store.fetchall(f"{_ALERT} {where} ORDER BY fired_at DESC, id DESC LIMIT ?",
                          [*params, limit])  # fmt: skip
    return [_alert(r) for r in rows]


def alert(store: Store | WriteTx, alert_id: int) -> AlertRow | None:
    rows = store.fetchall(f"{_ALERT} WHERE id = ?", [alert_id])
    return _alert(rows[0]) if rows else None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    alert_id: int
    channel: str
    recipient: str | None
    status: str
    due_at: datetime
    attempts: int


def due(store: Store, now: datetime, *, stuck_before: datetime,
        limit: int = 100) -> list[DeliveryRow]:  # fmt: skip
    """Pending deliveries due by `now`, and those claimed before `stuck_before` and never
    finished (the process sending them died)."""
    rows = store.fetchall(
        "SELECT id, alert_id, channel, recipient, status, due_at, attempts FROM alert_deliveries "
        "WHERE (status = 'pending' AND due_at <= ?) OR (status = 'sending' AND due_at <= ?) "
        "ORDER BY due_at, id LIMIT ?", [now, stuck_before, limit],
    )  # fmt: skip
    return [DeliveryRow(int(r[0]), int(r[1]), str(r[2]), r[3], str(r[4]), r[5], int(r[6]))
            for r in rows]  # fmt: skip


def deliveries(store: Store, alert_id: int | None = None) -> list[DeliveryRow]:
    where, params = ("WHERE alert_id = ?", [alert_id]) if alert_id is not None else ("", [])
    rows = store.fetchall(
        "SELECT id, alert_id, channel, recipient, status, due_at, attempts FROM alert_deliveries "
        f"{where} ORDER BY id", params,
    )  # fmt: skip
    return [DeliveryRow(int(r[0]), int(r[1]), str(r[2]), r[3], str(r[4]), r[5], int(r[6]))
            for r in rows]  # fmt: skip


def claim(delivery_id: int, now: datetime, stuck_before: datetime, tx: WriteTx) -> bool:
    """Take a due delivery for sending (or one left `sending` since before `stuck_before` by a
    process that died); False when another process has it, or it is not due."""
    rows = tx.fetchall(
        "UPDATE alert_deliveries SET status = 'sending', due_at = ? WHERE id = ? AND "
        "((status = 'pending' AND due_at <= ?) OR (status = 'sending' AND due_at <= ?)) "
        "RETURNING id", [now, delivery_id, now, stuck_before],
    )  # fmt: skip
    return bool(rows)


def mark(tx: WriteTx, delivery_id: int, status: str, at: datetime, *, error: str | None = None,
         retry_at: datetime | None = None) -> None:  # fmt: skip
    """Record an attempt: sent, failed for good, or pending again from `retry_at`."""
    tx.execute(
        "UPDATE alert_deliveries SET status = ?, sent_at = ?, attempts = attempts + 1, "
        "error = ?, due_at = coalesce(?, due_at) WHERE id = ?",
        [status, at if status == "sent" else None, error, retry_at, delivery_id],
    )


def last_activity(store: Store) -> list[tuple[int, str, date | None, date | None]]:
    """Every active rep: id, name, the day of their last activity (None: never), hired on."""
    rows = store.fetchall(
        "SELECT r.id, r.name, max(a.occurred_at), r.hired_on FROM reps r "
        "LEFT JOIN activities a ON a.rep_id = r.id WHERE coalesce(r.active, TRUE) "
        "GROUP BY r.id, r.name, r.hired_on ORDER BY r.id"
    )
    return [(int(r[0]), str(r[1]), r[2], r[3]) for r in rows]
