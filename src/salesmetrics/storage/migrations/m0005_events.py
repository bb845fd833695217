"""Version 5: the events API's inbox columns, per-field versions, and stage moves by event.

An event is applied once, in any order: each entity an event touched keeps, per field, the
(occurred_at, event id) of the event that last set it, so a late older event cannot undo a
newer one, and the state is the same whatever order the events arrived in.
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import AddColumns, AddIndex, CreateTable, Migration
from salesmetrics.storage.schema import ColType, Index, Table, col, ident

TEXT, INT, TS, JSON, REF = ColType.TEXT, ColType.INT, ColType.TIMESTAMP, ColType.JSON, ColType.REF

MIGRATION = Migration(
    5,
    "events: inbox order and attempts, field versions, stage moves by event",
    (
        AddColumns(
            "event_inbox",
            (
                col("occurred_at", TS),
                col("source", TEXT),
                col("attempts", INT, default="0"),
                col("waiting_for", TEXT),
            ),
        ),
        AddIndex("event_inbox", Index(("status",))),
        CreateTable(
            Table(
                "event_versions",
                (
                    *ident(source=False),
                    col("table_name", TEXT, null=False),
                    col("row_id", REF, null=False),
                    col("versions", JSON, null=False),
                ),
                (Index(("table_name", "row_id"), unique=True),),
                "Per field of a row events set: the (occurred_at, event id) that set it last.",
            )
        ),
        AddColumns("deal_stage_changes", (col("event_id", TEXT),)),
    ),
)
