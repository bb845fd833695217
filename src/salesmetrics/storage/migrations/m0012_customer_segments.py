"""Version 12: customer segments.

`customer_segments` holds each customer's segment as last computed (one row per customer with a
purchase, `id` being the customer's id): the RFM scores and named segment, the behaviour
cluster, and the CLV model's P(alive) and predicted value, with the day they are as of. It is
derived data, rebuilt whole by `salesmetrics segments refresh` (and the demo), and what the
metric engine's `segment` dimension and the pages' segment filter read.
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import CreateTable, Migration
from salesmetrics.storage.schema import ColType, Index, Table, col

ID, TEXT, TS, DATE, INT, FLOAT, MONEY = (ColType.ID, ColType.TEXT, ColType.TIMESTAMP,
                                         ColType.DATE, ColType.INT, ColType.FLOAT,
                                         ColType.MONEY)  # fmt: skip

MIGRATION = Migration(
    12,
    "customer segments: RFM, cluster and lifetime value per customer",
    (
        CreateTable(
            Table(
                "customer_segments",
                (
                    col("id", ID, null=False),
                    col("as_of", DATE, null=False),
                    col("computed_at", TS, null=False),
                    col("segment", TEXT, null=False),
                    col("r", INT, null=False),
                    col("f", INT, null=False),
                    col("m", INT, null=False),
                    col("cluster", INT),
                    col("p_alive", FLOAT),
                    col("clv_minor", MONEY),
                ),
                (Index(("segment",)),),
                "Each customer's segment as last computed (id = the customer's id): RFM "
                "scores and segment, behaviour cluster, P(alive) and lifetime value.",
            )
        ),
    ),
)
