"""Version 10: what pipeline management reads and keeps.

- `rollup_stage_visits`: one row per deal and stage it was ever in, derived from
  deal_stage_changes (first entry, last entry, when it last left, the days of its finished
  stays, how many stays). Rebuilt like the other rollups and kept fresh per deal inside event
  batches; a read of a stale one computes the same rows from the changes instead.
- `rollup_deal_reach`: per deal, the furthest open stage position it entered (null: none on
  record), derived from the visits and kept fresh with them: what every funnel counts from.
- `forecast_snapshots` gains the pipeline, what was won already, the forecast at the observed
  stage rates and the open amount; `forecast_snapshot_deals` keeps each deal a snapshot counted
  (its rep, stage, amount, both probabilities and its category), so accuracy can be read by rep
  and by stage when the period closes.
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import AddColumns, CreateTable, Migration
from salesmetrics.storage.schema import ColType, Index, Table, col, ident

REF, TEXT, TS, INT = ColType.REF, ColType.TEXT, ColType.TIMESTAMP, ColType.INT
MONEY, FLOAT = ColType.MONEY, ColType.FLOAT

MIGRATION = Migration(
    10,
    "pipeline: stage visits, how far each deal got, forecast snapshots by deal",
    (
        CreateTable(
            Table(
                "rollup_stage_visits",
                (
                    *ident(source=False),
                    col("deal_id", REF, null=False),
                    col("stage_id", REF, null=False),
                    col("entered_at", TS, null=False),
                    col("last_entered_at", TS, null=False),
                    col("left_at", TS),
                    col("days", FLOAT, null=False),
                    col("visits", INT, null=False),
                ),
                (Index(("deal_id",)),),
                "Derived from deal_stage_changes: per deal and stage, first and last entry, "
                "when it last left (null: still there), days of its finished stays, stays.",
            )
        ),
        CreateTable(
            Table(
                "rollup_deal_reach",
                (
                    *ident(source=False),
                    col("deal_id", REF, null=False),
                    col("furthest", INT),
                ),
                (Index(("deal_id",)),),
                "Derived from the stage visits: per deal, the furthest open stage position it "
                "entered (null: none on record).",
            )
        ),
        AddColumns(
            "forecast_snapshots",
            (
                col("pipeline_id", REF, ref="pipelines"),
                col("won_minor", MONEY),
                col("observed_minor", MONEY),
                col("open_minor", MONEY),
                col("how", TEXT),
            ),
        ),
        CreateTable(
            Table(
                "forecast_snapshot_deals",
                (
                    *ident(source=False),
                    col("snapshot_id", REF, null=False, ref="forecast_snapshots"),
                    col("deal_id", REF, null=False, ref="deals"),
                    col("rep_id", REF, ref="reps"),
                    col("stage_id", REF, null=False, ref="stages"),
                    col("amount_minor", MONEY, null=False),
                    col("probability", FLOAT, null=False),
                    col("observed", FLOAT, null=False),
                    col("category", TEXT, null=False),
                ),
                (Index(("snapshot_id",)),),
                "The open deals a forecast snapshot counted, for accuracy by rep and stage.",
            )
        ),
    ),
)
