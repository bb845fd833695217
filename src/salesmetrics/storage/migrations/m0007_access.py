"""Version 7: what sign-in needs beside version 1's users, sessions, tokens and audit log.

A token's first characters (shown in lists, so a person can tell their tokens apart without
the token itself, which is stored only as a hash), who and from where in the audit log, and
indexes for the lookups by user and by time.
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import AddColumns, AddIndex, Migration
from salesmetrics.storage.schema import ColType, Index, col

TEXT = ColType.TEXT

MIGRATION = Migration(
    7,
    "sign-in: token prefixes, the audit log's actor and address",
    (
        AddColumns("api_tokens", (col("prefix", TEXT),)),
        AddColumns("audit_log", (col("actor", TEXT), col("address", TEXT))),
        AddIndex("sessions", Index(("user_id",))),
        AddIndex("api_tokens", Index(("user_id",))),
        AddIndex("audit_log", Index(("at",))),
    ),
)
