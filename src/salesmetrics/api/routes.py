"""Workspace and health endpoints."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.api.schemas import Health, OverviewOut, WorkspacePublic
from salesmetrics.services.overview import keys, overview
from salesmetrics.services.workspace import describe, schema_version

router = APIRouter()
PROCESS = secrets.token_hex(4)  # names this server process in /healthz


@router.get("/healthz", response_model=Health, tags=["health"], responses=problem_responses(503))
def health(ws: WorkspaceDep) -> Health:
    """Liveness and a database round trip."""
    return Health(status="ok", engine=ws.store.dialect.value, schema_version=schema_version(ws),
                  process=PROCESS)  # fmt: skip


@router.get(
    "/api/v1/overview", response_model=OverviewOut, tags=["overview"],
    responses=problem_responses(503),
)  # fmt: skip
def overview_data(ws: WorkspaceDep, who: PrincipalDep) -> dict[str, Any]:
    """The Overview page as JSON: KPI cards against last month, revenue trend, reps; over
    the records the caller sees."""
    return overview(ws, keys(ws, who.scope)).as_dict()


@router.get(
    "/api/v1/workspace", response_model=WorkspacePublic, tags=["workspace"],
    responses=problem_responses(503),
)  # fmt: skip
def workspace_info(ws: WorkspaceDep, who: PrincipalDep) -> WorkspacePublic:
    """Settings, tables with row counts, and date ranges of the workspace (for the owner and
    viewers: the counts cover every rep's records)."""
    who.require_everything("the workspace summary")
    return WorkspacePublic.model_validate(describe(ws).as_dict())
