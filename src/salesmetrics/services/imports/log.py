"""Listing and describing past imports."""

from __future__ import annotations

import json
from typing import Any

from salesmetrics.domain.errors import NotFoundError
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
