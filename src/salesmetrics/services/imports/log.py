"""Listing and describing past imports."""

from __future__ import annotations

import json
from typing import Any

from salesmetrics.domain.errors import NotFoundError
from salesmetrics.ingest.kinds import KINDS
from salesmetrics.services.imports import uploads
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import imports as repo


def list_imports(ws: Workspace, limit: int = 100) -> list[dict[str, Any]]:
    """The newest imports first, with counts, status and when."""
    return [_public(r) for r in repo.listing(ws.store, limit)]


def show_import(ws: Workspace, import_id: int) -> dict[str, Any]:
    """One import: its log row, its mapping and what it changed per table."""
    found = repo.one(ws.store, import_id)
    if found is None:
        raise NotFoundError(f"no import {import_id}; `salesmetrics imports list` shows them")
    return {**_public(found), "changes": repo.change_counts(ws.store, import_id)}


def _public(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if isinstance(out.get("mapping"), str):
        out["mapping"] = json.loads(out["mapping"])
    for key in ("started_at", "finished_at"):
        if out.get(key) is not None:
            out[key] = out[key].isoformat(timespec="seconds")
    return out


def summary(ws: Workspace, import_id: int) -> dict[str, Any]:
    """One import for the Data page and the API: its log row with the rows it inserted and
    updated in the kind's own table, and what it changed in every table."""
    found = repo.one(ws.store, import_id)
    if found is None:
        raise NotFoundError(f"no import {import_id}; `salesmetrics imports list` shows them")
    return _summary(ws, found)


def page(ws: Workspace, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """A page of imports, newest first, and how many there are in all."""
    # Imports are user actions (hundreds, not millions): one read of the log is enough.
    rows = repo.listing(ws.store, limit=10**9)
    return [_summary(ws, r) for r in rows[offset : offset + limit]], len(rows)


def _summary(ws: Workspace, row: dict[str, Any]) -> dict[str, Any]:
    out = _public(row)
    changes = repo.change_counts(ws.store, int(row["id"]))
    kind = KINDS.get(str(row["kind"]))
    main = changes.get(kind.table, {}) if kind else {}
    out.update(
        changes=changes,
        inserted=main.get("insert", 0),
        updated=main.get("update", 0),
        reverted=row["status"] == "reverted",
        errors_file=uploads.import_errors_file(ws, int(row["id"])).is_file(),
    )
    return out
