"""Version 3: daily rollups that dashboards read instead of 10M order lines, and a data version.

Every write transaction bumps `workspace_state.data_version`; a rollup records the version it
was built from and is used only while the two agree, so a stale rollup can never be read.
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import CreateTable, Migration
from salesmetrics.storage.schema import ColType, Index, Table, col, ident

TEXT, BIGINT, FLOAT = ColType.TEXT, ColType.BIGINT, ColType.FLOAT
DATE, CUR, REF, TS = ColType.DATE, ColType.CURRENCY, ColType.REF, ColType.TIMESTAMP


def _rollup(name: str, doc: str, status: str, measures: tuple[str, ...]) -> Table:
    groups = (
        col("day", DATE, null=False),
        col(status, TEXT, null=False),
        col("currency", CUR, null=False),
        col("rep_id", REF, ref="reps"),
        col("channel_id", REF, ref="channels"),
    )
    sums = (*(col(m, BIGINT) for m in measures), col("row_count", BIGINT, null=False))
    return Table(name, (*ident(source=False), *groups, *sums), (), doc)


MIGRATION = Migration(
    3,
    "daily rollups and the data version",
    (
        CreateTable(
            Table(
                "workspace_state",
                (col("key", TEXT, null=False), col("value", BIGINT, null=False)),
                (Index(("key",), unique=True),),
                "Counters kept by the store: data_version grows with every write transaction.",
            )
        ),
        CreateTable(
            Table(
                "rollup_state",
                (
                    *ident(source=False),
                    col("name", TEXT, null=False),
                    col("data_version", BIGINT, null=False),
                    col("built_at", TS, null=False),
                ),
                (Index(("name",), unique=True),),
                "Which data version each rollup was built from.",
            )
        ),
        CreateTable(
            _rollup(
                "rollup_order_lines_daily",
                "Order lines summed per local day, order status, currency, rep and channel.",
                "order_status",
                ("line_total_minor", "quantity", "discount_minor"),
            )
        ),
        CreateTable(
            _rollup(
                "rollup_orders_daily",
                "Orders counted and summed per local day, status, currency, rep and channel.",
                "status",
                ("total_minor", "discount_minor", "tax_minor", "shipping_minor"),
            )
        ),
    ),
)
