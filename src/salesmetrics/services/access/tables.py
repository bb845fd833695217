"""Storing an editable YAML table as a workspace setting (segment playbooks, feedback lexicons):
owners only, in the audit log, not a data change. The caller checks the table first."""

from __future__ import annotations

from salesmetrics.domain.access import Permission, Principal
from salesmetrics.services.access.audit import record_in
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import settings as settings_repo


def store_table(ws: Workspace, who: Principal, key: str, text: str | None) -> None:
    """Store `text` as the setting `key`, or (None) go back to the built-in table."""
    who.require(Permission.WRITE)

    def work(tx: WriteTx) -> None:
        settings_repo.write(tx, {key: text or ""})
        record_in(tx, who, "settings_changed", object_type="settings", object_id=key,
                  details={key: "built-in" if text is None else "set"})  # fmt: skip

    ws.store.write(work, changes_data=False)
