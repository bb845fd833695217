"""Values a file may leave out but the data model needs: derived, never invented at random."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import pipelines


def fill(tx: WriteTx, table: str, rows: pa.Table) -> pa.Table:
    """Fill the NOT NULL columns a kind's file may omit, from what the row does say."""
    match table:
        case "orders":
            return _set_default(rows, "status", pa.scalar("paid"))
        case "deals":
            return _deals(tx, rows)
        case "leads":
            status = pc.if_else(_has(rows, "decided_at"), "lost", "open")
            return _set_default(rows, "status", status)
        case "targets":
            scope = pc.if_else(_has(rows, "scope_id"), "rep", "company")
            rows = _set_default(rows, "scope", scope)
            return _set_default(rows, "period_end_on", _month_end(rows["period_start_on"]))
        case "marketing_spend":
            return _set_default(rows, "period_end_on", _month_end(rows["period_start_on"]))
        case "feedback":
            return _set_default(rows, "kind", _feedback_kind(rows))
    return rows


def _has(rows: pa.Table, column: str) -> pa.Array:
    if column not in rows.column_names:
        return pa.repeat(pa.scalar(False), rows.num_rows)
    return pc.is_valid(rows[column])


def _set_default(rows: pa.Table, column: str, value: pa.Scalar | pa.Array) -> pa.Table:
    if isinstance(value, pa.Scalar):
        value = pa.repeat(value, rows.num_rows)
    if column not in rows.column_names:
        return rows.append_column(column, value)
    filled = pc.coalesce(rows[column], value)
    return rows.set_column(rows.column_names.index(column), column, filled)


def _month_end(starts: pa.ChunkedArray) -> pa.Array:
    """The last day of each start's month (a monthly report's period)."""

    def end(d: date | None) -> date | None:
        if d is None:
            return None
        first_next = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first_next - timedelta(days=1) if d.day == 1 else d

    return pa.array([end(d) for d in starts.to_pylist()], pa.date32())


def _feedback_kind(rows: pa.Table) -> pa.Array:
    """No kind given: a 0-10 score is NPS, a 1-5 score CSAT, no score a review."""
    if "score" not in rows.column_names:
        return pa.repeat(pa.scalar("review"), rows.num_rows)
    score = rows["score"]
    return pc.if_else(pc.is_null(score), "review", pc.if_else(pc.greater(score, 5), "nps", "csat"))


def _deals(tx: WriteTx, rows: pa.Table) -> pa.Table:
    """Pipeline and first stage by default; status from the stage's kind (won, lost, open)."""
    pipeline, first_stage = pipelines.default_pipeline(tx)
    rows = _set_default(rows, "pipeline_id", pa.scalar(pipeline, pa.int64()))
    rows = _set_default(rows, "stage_id", pa.scalar(first_stage, pa.int64()))
    kinds = pipelines.stage_kinds(tx)
    stage_kind = pa.array([kinds.get(s, "open") for s in rows["stage_id"].to_pylist()])
    return _set_default(rows, "status", stage_kind)
