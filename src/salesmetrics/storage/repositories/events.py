"""The event inbox, per-field versions, and the keyed lookups applying events needs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from salesmetrics.storage.dialect import Dialect, q
from salesmetrics.storage.protocol import Store, WriteTx
from salesmetrics.storage.repositories.bulk import load

INBOX_COLUMNS = (
    "id", "event_id", "type", "source", "occurred_at", "received_at", "status", "attempts",
    "error", "waiting_for", "applied_at", "payload",
)  # fmt: skip
_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    event_id: str
    type: str
    source: str | None
    occurred_at: datetime | None
    received_at: datetime
    status: str
    attempts: int
    error: str | None
    waiting_for: str | None
    applied_at: datetime | None
    payload: dict[str, Any]


def _row(values: Sequence[Any]) -> InboxRow:
    raw = dict(zip(INBOX_COLUMNS, values, strict=True))
    payload = raw["payload"]
    raw["payload"] = json.loads(payload) if isinstance(payload, str | bytes) else payload
    raw["attempts"] = int(raw["attempts"] or 0)
    return InboxRow(**raw)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def known_event_ids(tx: WriteTx, event_ids: Sequence[str]) -> set[str]:
    """Which of these event ids the inbox already holds."""
    out: set[str] = set()
    for part in _chunks(event_ids):
        rows = tx.fetchall(
            f"SELECT event_id FROM event_inbox WHERE event_id IN ({_marks(part)})", part
        )
        out.update(str(r[0]) for r in rows)
    return out


_APPLIER_LOCK = 7405002  # PostgreSQL advisory lock: one events applier at a time, any process


def claim(tx: WriteTx, rows: Sequence[InboxRow]) -> list[InboxRow]:
    """Inside an applier's transaction: wait for any other process's applier to finish
    (PostgreSQL; a DuckDB file has one process), then the rows still in the status they were
    read in: another process may have applied them since."""
    if tx.dialect is not Dialect.POSTGRES or not rows:
        return list(rows)
    # read committed whatever the database's default: the re-read below must see what the
    # other applier committed while this one waited for the lock
    tx.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
    tx.execute("SELECT pg_advisory_xact_lock(?)", [_APPLIER_LOCK])
    now: dict[int, str] = {}
    for part in _chunks([r.id for r in rows]):
        found = tx.fetchall(
            f"SELECT id, status FROM event_inbox WHERE id IN ({_marks(part)})", part
        )
        now.update((int(i), str(s)) for i, s in found)
    return [r for r in rows if now.get(r.id) == r.status]


def add(tx: WriteTx, rows: pa.Table) -> int:
    """Append new inbox rows (event_id, type, source, occurred_at, received_at, payload)."""
    return load(tx, "event_inbox", rows)


def next_batch(
    tx: Store | WriteTx, statuses: Sequence[str], limit: int, *, after: int = 0
) -> list[InboxRow]:
    """The oldest events in these statuses with an inbox id above `after`, in arrival order
    (page through them all by passing the last id seen)."""
    cols = ", ".join(q(c) for c in INBOX_COLUMNS)
    rows = tx.fetchall(
        f"SELECT {cols} FROM event_inbox WHERE status IN ({_marks(statuses)}) AND id > ? "
        f"ORDER BY id LIMIT {int(limit)}",
        [*statuses, int(after)],
    )
    return [_row(r) for r in rows]


def set_outcomes(tx: WriteTx, outcomes: pa.Table) -> int:
    """Set status, error, waiting_for, attempts and applied_at of inbox rows by id."""
    if not outcomes.num_rows:
        return 0
    return tx.update_from_arrow("event_inbox", outcomes)


def listing(
    store: Store, status: str | None, limit: int, offset: int
) -> tuple[list[InboxRow], int]:
    """A page of the inbox, newest first, and how many match in all."""
    cols = ", ".join(q(c) for c in INBOX_COLUMNS)
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    rows = store.fetchall(
        f"SELECT {cols} FROM event_inbox {where} ORDER BY id DESC "
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
        params,
    )
    total = store.fetchall(f"SELECT count(*) FROM event_inbox {where}", params)
    return [_row(r) for r in rows], int(total[0][0])


def one(store: Store, event_id: str) -> InboxRow | None:
    cols = ", ".join(q(c) for c in INBOX_COLUMNS)
    rows = store.fetchall(f"SELECT {cols} FROM event_inbox WHERE event_id = ?", [event_id])
    return _row(rows[0]) if rows else None


def counts(store: Store) -> dict[str, int]:
    rows = store.fetchall("SELECT status, count(*) FROM event_inbox GROUP BY status")
    return {str(s): int(n) for s, n in rows}


def requeue(tx: WriteTx, event_ids: Sequence[str] | None, statuses: Sequence[str]) -> list[str]:
    """Set events in these statuses (all of them, or those named) back to pending."""
    params: list[Any] = list(statuses)
    where = f"status IN ({_marks(statuses)})"
    if event_ids is not None:
        if not event_ids:
            return []
        where += f" AND event_id IN ({_marks(event_ids)})"
        params += list(event_ids)
    found = [
        str(r[0]) for r in tx.fetchall(f"SELECT event_id FROM event_inbox WHERE {where}", params)
    ]
    if found:
        tx.execute(
            f"UPDATE event_inbox SET status = 'pending', waiting_for = NULL WHERE {where}", params
        )
    return found


def ids_by_key(tx: WriteTx, table: str, source: str, external_ids: Sequence[str]) -> dict[str, int]:
    """external_id -> id of a source's rows (the unique key every entity table has). The
    source is compared here on DuckDB, which scans an index of one column only and only for an
    IN list alone (the tables events look up have an index on external_id, migration 6; up to
    2,048 matches a statement it still scans it, index_scan_max_count, hence chunks of 1,000).
    PostgreSQL finds the rows by the (source, external_id) index itself."""
    out: dict[str, int] = {}
    by_pair = tx.dialect is Dialect.POSTGRES
    for part in _chunks(list(external_ids)):
        where = f"external_id IN ({_marks(part)})"
        rows = tx.fetchall(
            f"SELECT external_id, id, source FROM {q(table)} "
            + (f"WHERE source = ? AND {where}" if by_pair else f"WHERE {where}"),
            [source, *part] if by_pair else part,
        )
        out.update({str(e): int(i) for e, i, s in rows if s == source})
    return out


def ids_by_external(tx: WriteTx, table: str, values: Sequence[str]) -> dict[str, int]:
    """external_id -> id in any source, exact match (the smallest id when several)."""
    out: dict[str, int] = {}
    for part in _chunks(list(values)):
        rows = tx.fetchall(
            f"SELECT external_id, min(id) FROM {q(table)} "
            f"WHERE external_id IN ({_marks(part)}) GROUP BY external_id",
            part,
        )
        out.update({str(e): int(i) for e, i in rows})
    return out


def rows(tx: WriteTx, table: str, ids: Sequence[int], columns: Sequence[str]) -> pa.Table:
    """Some columns of rows by id."""
    cols = ", ".join(q(c) for c in columns)
    parts = [
        tx.fetch_arrow(f"SELECT {cols} FROM {q(table)} WHERE id IN ({_marks(p)})", list(p))
        for p in _chunks(list(ids))
    ]
    return pa.concat_tables(parts) if parts else pa.table({})


def versions(tx: WriteTx, table: str, row_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """row id -> (version row id, versions JSON text) of the rows events have set."""
    out: dict[int, tuple[int, str]] = {}
    for part in _chunks(list(row_ids)):
        found = tx.fetchall(
            f"SELECT row_id, id, versions FROM event_versions "
            f"WHERE table_name = ? AND row_id IN ({_marks(part)})",
            [table, *part],
        )
        for row_id, vid, text in found:
            out[int(row_id)] = (int(vid), text if isinstance(text, str) else json.dumps(text))
    return out


def stages(tx: WriteTx) -> list[tuple[int, int, str, int]]:
    """(id, pipeline_id, kind, position) of every stage."""
    found = tx.fetchall("SELECT id, pipeline_id, kind, position FROM stages ORDER BY position, id")
    return [(int(i), int(p), str(k), int(n)) for i, p, k, n in found]


def delete_lines(tx: WriteTx, order_ids: Sequence[int]) -> None:
    for part in _chunks(list(order_ids)):
        tx.execute(f"DELETE FROM order_lines WHERE order_id IN ({_marks(part)})", list(part))


def line_totals(tx: WriteTx, order_ids: Sequence[int]) -> dict[int, int]:
    """order id -> the sum of its lines."""
    out: dict[int, int] = {}
    for part in _chunks(list(order_ids)):
        found = tx.fetchall(
            f"SELECT order_id, sum(line_total_minor) FROM order_lines "
            f"WHERE order_id IN ({_marks(part)}) GROUP BY order_id",
            list(part),
        )
        out.update({int(o): int(t or 0) for o, t in found})
    return out
