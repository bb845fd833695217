"""Pipeline endpoints: stages, funnel, time in stage, observed probabilities, bottlenecks,
stale deals, hygiene, forecast, forecast accuracy, and taking snapshots (owners). Thin: parse,
call services/pipeline, answer in its JSON shapes (money in minor units, rates as fractions)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep, WriterDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.domain.access import Principal
from salesmetrics.services.pipeline import bottlenecks, care, common, forecast, funnel
from salesmetrics.services.workspace import Workspace

router = APIRouter(prefix="/api/v1/pipeline", tags=["pipeline"])
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
Period = Annotated[str, StringConstraints(min_length=4, max_length=40, pattern=r"^[0-9a-z_.-]+$")]
ERRORS = problem_responses(404, 422, 503)
Answer = dict[str, Any]


class Which(BaseModel):
    """Which deals: every reading narrows them to what the caller sees first."""

    model_config = ConfigDict(extra="forbid")

    pipeline: Text | None = Field(default=None, description="A pipeline's id or name; default: "
                                  "the default pipeline")  # fmt: skip
    period: Period | None = Field(default=None, description="YYYY-MM, YYYY, a named period "
                                  "(this_quarter, last_90_days …) or YYYY-MM-DD..YYYY-MM-DD; "
                                  "default: the last 365 days (forecast: this month)")  # fmt: skip
    rep: Text | None = Field(default=None, description="A rep's id, name or e-mail")
    team: Text | None = Field(default=None, description="A team's id or name")
    channel: Text | None = Field(default=None, description="A channel's id or name")
    as_of: date | None = Field(default=None, description="Read as at the end of this day")


class FunnelQuery(Which):
    by: Literal["rep", "team", "channel", "month"] | None = Field(
        default=None, description="A funnel per rep, team, channel or month of creation"
    )


class StaleQuery(Which):
    quiet_days: int = Field(
        default=care.QUIET_DAYS, ge=1, le=365,
        description="No activity for this many days makes a deal stale",
    )  # fmt: skip
    limit: int = Field(default=100, ge=1, le=1000)


class ListQuery(Which):
    limit: int = Field(default=100, ge=1, le=1000)


class AccuracyQuery(Which):
    months: int = Field(default=6, ge=1, le=36, description="Closed months to look back on")


def _ask(ws: Workspace, who: Principal, q: Which, *, period: bool = True) -> common.Ask:
    return common.ask(ws, who, pipeline=q.pipeline, period=q.period if period else None,
                      rep=q.rep, team=q.team, channel=q.channel, as_of=q.as_of)  # fmt: skip


@router.get("/stages", response_model=Answer, responses=ERRORS)
def stages(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[Which, Query()]) -> Any:
    """The pipeline's stages as configured: position, kind, probability, rotting days."""
    a = _ask(ws, who, q)
    return {**a.about(), "stages": [
        {"id": s.id, "name": s.name, "position": s.position, "kind": s.kind,
         "probability": s.probability, "rotting_days": s.rotting_days} for s in a.stages
    ]}  # fmt: skip


@router.get("/funnel", response_model=Answer, responses=ERRORS)
def get_funnel(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[FunnelQuery, Query()]) -> Any:
    """The funnel of the deals created in the period: reached, step and cumulative conversion
    with Wilson intervals, drop-off counts and value; per group with `by`."""
    return funnel.funnel(_ask(ws, who, q), q.by)


@router.get("/time-in-stage", response_model=Answer, responses=ERRORS)
def time_in_stage(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[Which, Query()]) -> Any:
    """Days in each stage (median, mean, p90) of the deals that left it in the period, and the
    won deals' cycle by month with its trend."""
    return funnel.times(_ask(ws, who, q))


@router.get("/probabilities", response_model=Answer, responses=ERRORS)
def probabilities(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[Which, Query()]) -> Any:
    """Per stage: the configured probability, the observed stage-to-won rate of the deals
    closed in the last 365 days (Wilson interval), and a suggested recalibration."""
    return funnel.probabilities(_ask(ws, who, q))


@router.get("/bottlenecks", response_model=Answer, responses=ERRORS)
def get_bottlenecks(ws: WorkspaceDep, who: PrincipalDep,
                    q: Annotated[ListQuery, Query()]) -> Any:  # fmt: skip
    """Stages where deals wait longer or convert worse than at the other stages, than in
    their own history, or than at other reps and teams; ranked, each with its evidence."""
    return bottlenecks.bottlenecks(_ask(ws, who, q), q.limit)


@router.get("/stale", response_model=Answer, responses=ERRORS)
def stale(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[StaleQuery, Query()]) -> Any:
    """Open deals past their stage's rotting days or quiet for `quiet_days`, largest first."""
    return care.stale(_ask(ws, who, q), q.quiet_days, q.limit)


@router.get("/hygiene", response_model=Answer, responses=ERRORS)
def hygiene(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[ListQuery, Query()]) -> Any:
    """Per rep: open deals with a past or slipping close date, no amount, no close date or no
    next activity, and a score (the share of open deals with none of these)."""
    return care.hygiene(_ask(ws, who, q), q.limit)


@router.get("/forecast", response_model=Answer, responses=ERRORS)
def get_forecast(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[Which, Query()]) -> Any:
    """The weighted forecast of a period (default: this month) with configured and observed
    probabilities, commit and best case, by rep and stage, against the revenue target."""
    a = _ask(ws, who, q, period=False)
    return forecast.forecast(a, forecast.period_of(a, q.period))


@router.get("/forecast/accuracy", response_model=Answer, responses=ERRORS)
def accuracy(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[AccuracyQuery, Query()]) -> Any:
    """Each stored snapshot of the closed months against what was won, by rep and stage."""
    return forecast.accuracy(_ask(ws, who, q, period=False), q.months)


class SnapshotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period | None = Field(default=None, description="The period to snapshot (default: "
                                  "this month)")  # fmt: skip
    pipeline: Text | None = None
    rebuild_weeks: int = Field(default=0, ge=0, le=104, description="Also rebuild this many "
                               "past weekly snapshots from the deals' history")  # fmt: skip


class SnapshotOut(BaseModel):
    ids: list[int]


@router.post("/forecast/snapshots", response_model=SnapshotOut, status_code=201,
             responses=problem_responses(403, 404, 422, 503))  # fmt: skip
def snapshot(body: SnapshotIn, ws: WorkspaceDep, who: WriterDep) -> Any:
    """Store the forecast as it stands now (owners; the server also takes one every week)."""
    a = common.ask(ws, who, pipeline=body.pipeline)
    ids = forecast.rebuild_history(a, body.rebuild_weeks) if body.rebuild_weeks else []
    ids.append(forecast.take_snapshot(a, forecast.period_of(a, body.period)))
    return {"ids": ids}
