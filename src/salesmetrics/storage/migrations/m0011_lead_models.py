"""Version 11: lead scoring models.

`lead_models` keeps every model trained on the workspace's decided leads, newest in force: its
kind (`model` once there is enough history, `rules` before), how many decided leads it learnt
from, its parameters as JSON (encodings, coefficients, calibration, the rule table it blends
with; never a pickle) and its evaluation on a time split (AUC, lift, calibration table, the
baselines), so the model card can always show what the scores are worth.
"""

from __future__ import annotations

from salesmetrics.storage.migrations.base import CreateTable, Migration
from salesmetrics.storage.schema import ColType, Index, Table, col

ID, TEXT, TS, JSON, INT = (ColType.ID, ColType.TEXT, ColType.TIMESTAMP, ColType.JSON,
                           ColType.INT)  # fmt: skip

MIGRATION = Migration(
    11,
    "lead scoring models with their evaluation",
    (
        CreateTable(
            Table(
                "lead_models",
                (
                    col("id", ID, null=False),
                    col("trained_at", TS, null=False),
                    col("as_of", TS, null=False),
                    col("kind", TEXT, null=False),
                    col("decided_leads", INT, null=False),
                    col("params", JSON, null=False),
                    col("evaluation", JSON, null=False),
                ),
                (Index(("trained_at",)),),
                "Lead scoring models, newest in force: parameters and evaluation as JSON.",
            )
        ),
    ),
)
