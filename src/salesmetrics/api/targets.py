"""Target endpoints: list, set (owners), remove (owners), status, roll-up. Thin: parse, call the
targets services."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep, WriterDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.domain.enums import TargetSplit
from salesmetrics.services.targets import plan, rollup, status

router = APIRouter(prefix="/api/v1/targets", tags=["targets"])
MAX_ID = 2**63 - 1
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
PeriodText = Annotated[str, StringConstraints(min_length=4, max_length=20,
                                              pattern=r"^[0-9Qq.-]+$")]  # fmt: skip
PERIOD_HELP = "YYYY-MM, YYYY-Qn, YYYY or YYYY-MM..YYYY-MM"
SPLIT_HELP = "How a quarter or year splits into months: even, seasonal (last year), custom"
OVERLAP_HELP = f"Targets overlapping this period ({PERIOD_HELP}); default: those holding as_of"


class TargetOut(BaseModel):
    id: int = Field(examples=[227])
    metric: str = Field(examples=["revenue"])
    scope: str = Field(examples=["rep"], description="company, team or rep")
    scope_id: int | None = Field(examples=[3])
    for_: str | None = Field(alias="for", examples=["Ірина Бондаренко"])
    period_start: date
    period_end: date
    value: float = Field(examples=[25800000], description="In the metric's unit: money in "
                         "minor units, rates as fractions (0.25)")  # fmt: skip
    split: str = Field(examples=["even"])
    weights: list[float] | None = None
    plan_id: int | None = Field(description="The quarter or year target this month is part of")
    has_months: bool = Field(description="A quarter or year target, split into monthly rows")


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: Name = Field(examples=["revenue"], description="Any metric of the workspace.")
    period: PeriodText = Field(examples=["2026-12"], description=PERIOD_HELP)
    value: Annotated[str, StringConstraints(min_length=1, max_length=40)] | float = Field(
        examples=["250000"], description="Money in major units (250000 or '250 000,50'); rates "
        "as '24%' or 0.24; counts as numbers."
    )  # fmt: skip
    rep: Name | None = Field(default=None, description="A rep's id, name or email")
    team: Name | None = Field(default=None, description="A team's id or name")
    split: TargetSplit = Field(default=TargetSplit.EVEN, description=SPLIT_HELP)
    weights: list[Annotated[float, Field(ge=0, le=1e12)]] | None = Field(
        default=None, max_length=24, description="With split=custom: one weight per month"
    )


class SetOut(BaseModel):
    ids: list[int] = Field(description="The target, then its monthly parts (if any)")


class StatusQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(default=None, description="The status day (default: today)")
    period: PeriodText | None = Field(default=None, description=OVERLAP_HELP)
    metric: Name | None = Field(default=None, description="Only this metric's targets")


class StatusOut(BaseModel):
    as_of: date
    targets: list[dict[str, Any]] = Field(
        description="Per target: achieved, attainment, expected_to_date, ahead, gap, working "
        "days, run_rate, required_run_rate, projected {value, low, high} (80 %), coverage, "
        "what_it_takes; money in minor units"
    )
    mismatches: list[dict[str, Any]] = Field(
        description="Team targets whose reps' targets add up to something else; the company's "
        "against its teams' (or reps')"
    )


def _range(q: StatusQuery, day: date) -> tuple[date, date]:
    if not q.period:
        return day, day
    p = plan.parse_target_period(q.period)
    return p.start, p.end


@router.get("", response_model=list[TargetOut], responses=problem_responses(422, 503))
def list_targets(ws: WorkspaceDep, who: PrincipalDep,
                 q: Annotated[StatusQuery, Query()]) -> Any:  # fmt: skip
    """The targets the caller sees that overlap a period (by default: hold today)."""
    day = q.as_of or ws.metrics.today()
    start, end = _range(q, day)
    return [status.target_json(t) for t in status.list_targets(ws, who, start, end, q.metric)]


@router.post("", response_model=SetOut, status_code=201,
             responses=problem_responses(403, 404, 422, 503))  # fmt: skip
def set_target(body: TargetIn, ws: WorkspaceDep, who: WriterDep) -> Any:
    """Set a target, or replace the one for the same metric, scope and period (owners)."""
    owner = plan.find_owner(ws, body.rep, body.team)
    ids = plan.set_target(ws, who, body.metric, body.period, str(body.value), owner=owner,
                          split=body.split, weights=body.weights)  # fmt: skip
    return {"ids": ids}


@router.get("/status", response_model=StatusOut, responses=problem_responses(422, 503))
def target_status(ws: WorkspaceDep, who: PrincipalDep,
                  q: Annotated[StatusQuery, Query()]) -> Any:  # fmt: skip
    """Where each target the caller sees stands on a day, and the roll-up mismatches."""
    day = q.as_of or ws.metrics.today()
    start, end = _range(q, day)
    found = status.status(ws, who, day, start=start, end=end, metric=q.metric)
    flags = rollup.mismatches(ws, who, start, end, q.metric)
    return {"as_of": day, "targets": [s.as_json() for s in found],
            "mismatches": [m.as_json() for m in flags]}  # fmt: skip


@router.delete("/{target_id}", status_code=204, response_model=None,
               responses=problem_responses(403, 404, 422, 503))  # fmt: skip
def remove_target(target_id: Annotated[int, Path(ge=1, le=MAX_ID)], ws: WorkspaceDep,
                  who: WriterDep) -> None:  # fmt: skip
    """Remove a target; a quarter or year target goes with its months (owners)."""
    plan.remove_target(ws, who, target_id)
