"""Customer segment endpoints: RFM segments, behaviour clusters and lifetime value, for the
customers in the caller's view. Thin: parse, call services/segments, answer in their JSON shapes
(shares as fractions, money in minor units of the base currency)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.services.segments import clusters as cl
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments.rfm import rfm as rfm_report
from salesmetrics.services.workspace import Workspace

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])
Lang = Literal["uk", "en"]
ERRORS = problem_responses(422, 503)
Answer = dict[str, Any]


def _day(ws: Workspace, as_of: date | None) -> date:
    return as_of or ws.metrics.today()


class RfmQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(default=None, description="As at the end of this day [today]")
    k: int = Field(default=5, ge=3, le=10, description="Score steps (5: quintiles)")
    lang: Lang = Field(default="en", description="Language of segment names")


@router.get("/rfm", response_model=Answer, responses=ERRORS)
def rfm(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[RfmQuery, Query()]) -> Any:
    """RFM segments: sizes, revenue and means per segment, the R x FM grid, and the moves
    between segments since the end of last month."""
    return rfm_report(ws, who, _day(ws, q.as_of), k=q.k, lang=q.lang).as_dict()


class ClusterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(default=None, description="As at the end of this day [today]")
    k: int | None = Field(default=None, ge=2, le=12, description="Force this many clusters")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed")
    lang: Lang = Field(default="en", description="Language of the descriptions")
    customers: bool = Field(default=False, description="List every customer's cluster")


@router.get("/clusters", response_model=Answer, responses=ERRORS)
def clusters(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[ClusterQuery, Query()]) -> Any:
    """Behaviour clusters with k chosen by the silhouette, each described in words."""
    r = cl.clusters(ws, who, _day(ws, q.as_of), seed=q.seed, k=q.k, lang=q.lang)
    return r.as_dict(customers=q.customers)


class ClvQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(default=None, description="As at the end of this day [today]")
    calibration_end: date | None = Field(
        default=None, description="Learn up to this day; the days after it check the models"
    )
    time_unit: Literal["day", "week", "month"] = Field(default="week")
    months: int = Field(default=12, ge=1, le=120, description="Horizon of the value")
    discount: float = Field(default=0.01, gt=-1, le=1, description="Monthly discount rate")
    margin: float = Field(default=1.0, gt=0, le=1, description="Profit share of revenue")
    customers: bool = Field(default=True, description="List every customer's figures")


@router.get("/clv", response_model=Answer, responses=ERRORS)
def clv(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[ClvQuery, Query()]) -> Any:
    """BG/NBD and Gamma-Gamma parameters, the holdout check, each customer's P(alive),
    expected purchases, expected spend and discounted value, and the valuable customers at
    risk."""
    day = _day(ws, q.as_of)
    settings = value.Settings(day, q.calibration_end or day, q.time_unit, q.months, q.discount,
                              q.margin)  # fmt: skip
    return value.clv(ws, who, settings).as_dict(customers=q.customers)
