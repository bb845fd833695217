"""Versioned migrations, as data. Never edit a released migration: add the next one."""

from __future__ import annotations

from salesmetrics.storage.migrations.base import AddColumns, CreateTable, Migration, Operation
from salesmetrics.storage.migrations.m0001_initial import MIGRATION as M0001
from salesmetrics.storage.migrations.m0002_change_ranges import MIGRATION as M0002
from salesmetrics.storage.migrations.m0003_rollups import MIGRATION as M0003
from salesmetrics.storage.migrations.m0004_more_rollups import MIGRATION as M0004
from salesmetrics.storage.migrations.m0005_events import MIGRATION as M0005
from salesmetrics.storage.migrations.m0006_external_lookup import MIGRATION as M0006
from salesmetrics.storage.migrations.m0007_access import MIGRATION as M0007
from salesmetrics.storage.migrations.m0008_target_plans import MIGRATION as M0008
from salesmetrics.storage.migrations.m0009_alerts import MIGRATION as M0009
from salesmetrics.storage.migrations.m0010_pipeline import MIGRATION as M0010
from salesmetrics.storage.migrations.m0011_lead_models import MIGRATION as M0011
from salesmetrics.storage.migrations.m0012_customer_segments import MIGRATION as M0012
from salesmetrics.storage.migrations.m0013_feedback_followups import MIGRATION as M0013

MIGRATIONS: tuple[Migration, ...] = (
    M0001,
    M0002,
    M0003,
    M0004,
    M0005,
    M0006,
    M0007,
    M0008,
    M0009,
    M0010,
    M0011,
    M0012,
    M0013,
)

__all__ = ["MIGRATIONS", "AddColumns", "CreateTable", "Migration", "Operation"]
