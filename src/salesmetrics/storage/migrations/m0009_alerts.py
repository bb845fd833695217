"""Version 9: alerts and their deliveries.

An alert is one condition met once (`rule` and `key` say which: a target's period, a rep's
last activity, a KPI's week), so the same condition never alerts twice. Each alert is shown in
the app to the people who see its rep or team (or, company-wide, to owners and viewers) and is
delivered by e-mail, webhook and Telegram as configured; a delivery waits out quiet hours.
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import CreateTable, Migration
from salesmetrics.storage.schema import ColType, Index, Table, col

ID, REF, TEXT, TS, JSON, INT = (ColType.ID, ColType.REF, ColType.TEXT, ColType.TIMESTAMP,
                                ColType.JSON, ColType.INT)  # fmt: skip

MIGRATION = Migration(
    9,
    "alerts and their deliveries",
    (
        CreateTable(
            Table(
                "alerts",
                (
                    col("id", ID, null=False),
                    col("rule", TEXT, null=False),
                    col("key", TEXT, null=False),
                    col("fired_at", TS, null=False),
                    col("severity", TEXT, null=False, default="'warning'"),
                    col("title", TEXT, null=False),
                    col("body", TEXT),
                    col("rep_id", REF, ref="reps"),
                    col("team_id", REF, ref="teams"),
                    col("data", JSON),
                ),
                (Index(("rule", "key"), unique=True, point_lookups=True), Index(("fired_at",))),
                "Conditions met: one row per rule and key, shown in the app and delivered.",
            )
        ),
        CreateTable(
            Table(
                "alert_deliveries",
                (
                    col("id", ID, null=False),
                    col("alert_id", REF, null=False, ref="alerts"),
                    col("channel", TEXT, null=False),
                    col("recipient", TEXT),
                    col("status", TEXT, null=False, default="'pending'"),
                    col("due_at", TS, null=False),
                    col("sent_at", TS),
                    col("attempts", INT, null=False, default="0"),
                    col("error", TEXT),
                ),
                (Index(("status", "due_at")),),
                "Each alert's way out: e-mail to one person, the webhook, the Telegram chat.",
            )
        ),
    ),
)
