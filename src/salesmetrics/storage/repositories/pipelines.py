"""Pipelines and stages, as imports need them."""

from __future__ import annotations

from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories.imports import allocate_ids

STARTER_STAGES = (("New", 1, "open", 0.1), ("Won", 90, "won", 1.0), ("Lost", 91, "lost", 0.0))


def default_pipeline(tx: WriteTx) -> tuple[int, int]:
    """The default pipeline and its first stage, made (Main: New, Won, Lost) when there is none."""
    found = tx.fetchall(
        "SELECT p.id, min(s.id) FROM pipelines p JOIN stages s ON s.pipeline_id = p.id "
        "GROUP BY p.id, p.is_default ORDER BY p.is_default DESC, p.id LIMIT 1"
    )
    if found:
        return int(found[0][0]), int(found[0][1])
    (pid,) = allocate_ids(tx, "pipelines", 1)
    tx.execute("INSERT INTO pipelines (id, name, is_default) VALUES (?, ?, TRUE)", [pid, "Main"])
    ids = allocate_ids(tx, "stages", len(STARTER_STAGES))
    for sid, (name, pos, kind, prob) in zip(ids, STARTER_STAGES, strict=True):
        tx.execute(
            "INSERT INTO stages (id, pipeline_id, name, position, kind, probability) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [sid, pid, name, pos, kind, prob],
        )
    return pid, ids[0]


def stage_kinds(tx: WriteTx) -> dict[int, str]:
    return {int(i): str(k) for i, k in tx.fetchall("SELECT id, kind FROM stages")}


def last_position(tx: WriteTx, pipeline_id: int) -> int:
    rows = tx.fetchall(
        "SELECT coalesce(max(position), 0) FROM stages WHERE pipeline_id = ?", [pipeline_id]
    )
    return int(rows[0][0])
