"""Version 13: follow-ups of detractor responses.

A detractor response (NPS 0-6, or the bottom of a satisfaction or review scale) opens one
follow-up for the rep who owns it (the response's rep, else the customer's owner): when it was
opened and is due, when it was done, by whom and with what note. Workflow, not business data:
opening or closing one does not move the data version. `feedback_id` is not a foreign key: a
reverted import removes its responses, and their follow-ups then drop out of every list.
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import CreateTable, Migration
from salesmetrics.storage.schema import ColType, Index, Table, col

ID, TEXT, TS, INT = ColType.ID, ColType.TEXT, ColType.TIMESTAMP, ColType.INT

MIGRATION = Migration(
    13,
    "follow-ups of detractor responses",
    (
        CreateTable(
            Table(
                "feedback_followups",
                (
                    col("id", ID, null=False),
                    col("feedback_id", INT, null=False),
                    col("rep_id", INT),
                    col("customer_id", INT),
                    col("opened_at", TS, null=False),
                    col("due_at", TS, null=False),
                    col("done_at", TS),
                    col("done_by", TEXT),
                    col("note", TEXT),
                ),
                (Index(("feedback_id",), unique=True), Index(("rep_id", "done_at"))),
                "Follow-ups of detractor responses: owner rep, when opened, due and done.",
            )
        ),
    ),
)
