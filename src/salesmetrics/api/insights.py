"""GET /api/v1/insights: the ranked findings in the caller's view (a rep's come from their own
records only; a view narrowed to some reps gets no channel cost finding, as it cannot see the
marketing spend). Thin: parse, call services/strategy/insights, answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.services.strategy.insights import (
    DEFAULT_LIMIT,
    DEFAULT_PERIOD,
    MAX_LIMIT,
    insights,
)

router = APIRouter(prefix="/api/v1/insights", tags=["insights"])
Kind = Literal["bottleneck", "channel_cac", "product_problem", "kpi_unusual", "target_pace",
               "stale_deals", "trend"]  # fmt: skip


class InsightsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(default=DEFAULT_PERIOD, max_length=40,
                        description="The month whose KPIs are tested (a longer period: its last "
                        "month): last_month, this_month, 2026-10 …")  # fmt: skip
    as_of: date | None = Field(default=None, ge=date(1900, 1, 1), le=date(9999, 12, 30),
                               description="Read as on this day [today]")  # fmt: skip
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    lang: Literal["uk", "en"] = Field(default="en", description="Language of the texts")
    kind: list[Kind] = Field(default=[], description="Only these kinds of finding")


class SparkOut(BaseModel):
    x: list[str]
    y: list[float | None]
    low: list[float | None]
    high: list[float | None]
    unit: str


class FindingOut(BaseModel):
    rank: int = Field(examples=[1])
    kind: str = Field(examples=["bottleneck"])
    key: str = Field(description="Which occurrence: stable while the fact holds",
                     examples=["time:stages:4:"])  # fmt: skip
    score: float = Field(description="0-100; ranks the list", examples=[90.0])
    severity: Literal["high", "medium", "low"]
    title: str = Field(examples=["Deals wait longest at Пропозиція"])
    text: str = Field(
        examples=[
            "Deals wait 20.2 days at Пропозиція against 4.5 at the other "
            "stages: 3.8× as long (at least 3.5×), over 725 deals."
        ]
    )
    action: str = Field(
        examples=[
            "Review the deals now at Пропозиція and agree a dated next "
            "step for each; shorten what holds them there."
        ]
    )
    numbers: dict[str, Any] = Field(description="The figures behind the text (money in minor "
                                    "units, rates as fractions)",
                                    examples=[{"stage": "Пропозиція", "value": 20.2,
                                               "reference": 4.5, "effect": 3.8, "low": 3.5,
                                               "deals": 725}])  # fmt: skip
    chart_url: str = Field(
        examples=["/explore?metric=time_in_stage_days&period=trailing_12_months&by=stage&lang=en"]
    )
    explain_url: str = Field(
        description="Where the metric's definition and SQL are shown",
        examples=[
            "/explore?metric=time_in_stage_days&period=trailing_12_months&by=stage&lang=en#explain"
        ],
    )
    metric: str | None = Field(examples=["time_in_stage_days"])
    rep_id: int | None = None
    spark: SparkOut | None = None


class Month(BaseModel):
    start: date
    end: date


class InsightsOut(BaseModel):
    as_of: date
    month: Month
    lang: str
    count: int
    total: int = Field(description="Findings before the limit")
    data: list[FindingOut]
    seconds: dict[str, float] = Field(description="Time each rule family took")
    data_version: int


@router.get("", response_model=InsightsOut, responses=problem_responses(422, 503))
def get_insights(ws: WorkspaceDep, who: PrincipalDep,
                 q: Annotated[InsightsQuery, Query()]) -> Any:  # fmt: skip
    """The findings that matter most in the caller's view, best first, each with its numbers,
    chart and explain links and a suggested action (docs/insights.md)."""
    return insights(ws, who, period=q.period, as_of=q.as_of, lang=q.lang, limit=q.limit,
                    kinds=tuple(q.kind)).as_dict()  # fmt: skip
