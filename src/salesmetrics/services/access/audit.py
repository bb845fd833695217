"""The audit log: who did what, when, from where. Append-only from the application (no
update or delete path exists in the code), readable by owners."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from salesmetrics.domain.access import Permission, Principal
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import access as repo

ACTIONS = (
    "login", "login_failed", "login_throttled", "logout", "user_added", "user_changed",
    "password_changed", "token_created", "token_revoked", "import", "import_reverted",
    "export", "settings_changed", "owner_created", "target_set", "target_removed",
    "followup_done",
)  # fmt: skip


def now() -> datetime:
    return datetime.now(UTC)


def _who(actor: Principal | None) -> tuple[int | None, str | None]:
    if actor is None:
        return None, None
    return (actor.user_id or None), actor.email


def record_in(
    tx: WriteTx, actor: Principal | None, action: str, *, object_type: str | None = None,
    object_id: str | int | None = None, details: dict[str, Any] | None = None,
    address: str | None = None,
) -> None:  # fmt: skip
    """Append an entry inside the caller's transaction (it lands with the change or not)."""
    assert action in ACTIONS, action
    user_id, name = _who(actor)
    target = None if object_id is None else str(object_id)
    repo.append_audit(tx, now(), user_id, name, action, object_type, target, details or {},
                      address)  # fmt: skip


def record(
    ws: Workspace, actor: Principal | None, action: str, *, object_type: str | None = None,
    object_id: str | int | None = None, details: dict[str, Any] | None = None,
    address: str | None = None,
) -> None:  # fmt: skip
    """Append an entry in a transaction of its own (not a data change)."""
    ws.store.write(
        lambda tx: record_in(tx, actor, action, object_type=object_type, object_id=object_id,
                             details=details, address=address),
        changes_data=False,
    )  # fmt: skip


def entries(
    ws: Workspace, viewer: Principal, *, limit: int = 100, before_id: int | None = None,
    action: str | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The newest entries first; owners only."""
    viewer.require(Permission.ADMIN)
    rows = repo.audit(ws.store, min(max(limit, 1), 1000), before_id, action)
    return [{**asdict(r), "at": r.at.isoformat()} for r in rows]
