"""Undo an import exactly: delete what it inserted, put back what it updated or deleted."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pyarrow as pa

from salesmetrics.domain.access import LOCAL, Principal
from salesmetrics.domain.errors import ConflictError, NotFoundError
from salesmetrics.services.access import audit
from salesmetrics.services.metrics import refresh_rollups
from salesmetrics.services.segments import refresh as segments
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage import catalog
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import imports as repo


def revert_import(
    ws: Workspace, import_id: int, *, cascade: bool = False, actor: Principal = LOCAL
) -> list[int]:
    """Revert one import (and, with cascade, the later ones that touched its rows, newest first).

    Returns the imports reverted, in the order they were undone.
    """
    found = repo.one(ws.store, import_id)
    if found is None:
        raise NotFoundError(f"no import {import_id}; `salesmetrics imports list` shows them")
    if found["status"] not in ("applied",):
        raise ConflictError(
            f"import {import_id} is {found['status']}: only an applied import can be reverted"
        )

    def work(tx: WriteTx) -> list[int]:
        later = repo.later_touching(tx, import_id)
        if later and not cascade:
            ids = ", ".join(str(i) for i in later)
            raise ConflictError(
                f"later import(s) {ids} changed rows of import {import_id}: revert them first "
                f"(newest first), or pass --cascade to revert {ids} and then {import_id}"
            )
        order = [*sorted(later, reverse=True), import_id]
        for one in order:
            _undo(tx, one)
        return order

    reverted = ws.store.write(work)
    refresh_rollups(ws)
    segments.after_import(ws)
    audit.record(ws, actor, "import_reverted", object_type="import", object_id=import_id,
                 details={"reverted": reverted})  # fmt: skip
    return reverted


def _undo(tx: WriteTx, import_id: int) -> None:
    inserted: list[tuple[str, int, int]] = []
    restore: dict[str, list[str]] = defaultdict(list)
    reinsert: dict[str, list[str]] = defaultdict(list)
    for table, first, last, action, prior in repo.changes(tx, import_id):
        if action == "insert":
            inserted.append((table, first, last))
        elif action == "update" and prior:
            restore[table].append(prior)
        elif action == "delete" and prior:
            reinsert[table].append(prior)
    for table, first, last in inserted:
        repo.delete_range(tx, table, first, last)
    for table, priors in reinsert.items():
        tx.load_arrow(table, _images(table, priors))
    for table, priors in restore.items():
        tx.update_from_arrow(table, _images(table, priors))
    repo.set_status(tx, import_id, "reverted", finished_at=datetime.now(UTC))


def _images(table: str, priors: list[str]) -> pa.Table:
    rows = [repo.from_json(table, p) for p in priors]
    return pa.Table.from_pylist(rows, schema=catalog.table(table).arrow_schema())
