"""Alert endpoints: the alerts the caller sees. Checking and sending run in the server's loop
(services/alerts/scheduler.py) and from `salesmetrics alerts`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.services.alerts import service
from salesmetrics.services.alerts.channels import alert_json

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


class AlertOut(BaseModel):
    id: int
    rule: str = Field(examples=["target_pace"], description="target_pace, rep_inactive, "
                      "kpi_unusual or digest")  # fmt: skip
    key: str = Field(examples=["221:2026-11-01"], description="Which occurrence: one alert each")
    fired_at: datetime
    severity: str = Field(examples=["warning"])
    title: str = Field(examples=["Максим Ткаченко: revenue projected at 69% of target"])
    body: str | None
    rep_id: int | None
    team_id: int | None
    data: dict[str, Any]


@router.get("", response_model=list[AlertOut], responses=problem_responses(422, 503))
def list_alerts(
    ws: WorkspaceDep,
    who: PrincipalDep,
    days: Annotated[int, Query(ge=1, le=366, description="How far back")] = 30,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """The alerts of the last `days` days about what the caller sees, newest first."""
    return [alert_json(a) for a in service.visible(ws, who, days=days, limit=limit)]
