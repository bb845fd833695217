"""Version 4: daily rollups of deals (by close day, and by creation and close day), customers,
leads and feedback, for the headline KPIs.

Like the rollups of version 3, each records the data version it was built from (rollup_state)
and is read only while that is the current one; a workspace migrated to this version reads
the base tables until its rollups are next rebuilt (after any import, or a settings change).
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import CreateTable, Migration
from salesmetrics.storage.schema import ColType, Column, Table, col, ident

TEXT, BIGINT, FLOAT, INT = ColType.TEXT, ColType.BIGINT, ColType.FLOAT, ColType.INT
DATE, CUR, REF = ColType.DATE, ColType.CURRENCY, ColType.REF


def _rollup(name: str, doc: str, groups: tuple[Column, ...], sums: tuple[str, ...]) -> Table:
    day = col("day", DATE, null=False)
    counts = (*(col(m, BIGINT) for m in sums), col("row_count", BIGINT, null=False))
    return Table(name, (*ident(source=False), day, *groups, *counts), (), doc)


MIGRATION = Migration(
    4,
    "daily rollups of deals, customers, leads and feedback",
    (
        CreateTable(
            _rollup(
                "rollup_deals_daily",
                "Closed deals counted and summed per local close day, status, currency, owner "
                "rep and channel.",
                (
                    col("status", TEXT, null=False),
                    col("currency", CUR, null=False),
                    col("owner_rep_id", REF, ref="reps"),
                    col("channel_id", REF, ref="channels"),
                ),
                ("amount_minor",),
            )
        ),
        CreateTable(
            Table(
                "rollup_deal_days",
                (
                    *ident(source=False),
                    col("created_at", DATE, null=False),
                    col("closed_at", DATE),
                    col("status", TEXT, null=False),
                    col("currency", CUR, null=False),
                    col("amount_minor", BIGINT),
                    col("row_count", BIGINT, null=False),
                ),
                (),
                "Deals counted and summed per local creation day, local close day (none while "
                "open), status and currency: the pipeline at any period's end.",
            )
        ),
        CreateTable(
            _rollup(
                "rollup_customers_daily",
                "Customers counted per local acquisition day, owner rep and channel.",
                (col("owner_rep_id", REF, ref="reps"), col("channel_id", REF, ref="channels")),
                (),
            )
        ),
        CreateTable(
            _rollup(
                "rollup_leads_daily",
                "Leads counted per local creation day, status, owner rep and channel.",
                (
                    col("status", TEXT, null=False),
                    col("owner_rep_id", REF, ref="reps"),
                    col("channel_id", REF, ref="channels"),
                ),
                (),
            )
        ),
        CreateTable(
            _rollup(
                "rollup_feedback_daily",
                "Feedback responses counted per local day, kind, score and scale.",
                (col("kind", TEXT, null=False), col("score", FLOAT), col("scale_max", INT)),
                (),
            )
        ),
    ),
)
