"""Planning endpoints: the revenue forecast with its backtest, and the what-if planner of next
quarter's revenue (with the check of its baseline on a past quarter). Thin: parse, call
services/strategy, answer in their JSON shapes (money in minor units, MAPE in percent, rates and
shares as fractions). Every answer is in the caller's view."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.domain.errors import InputError
from salesmetrics.services.strategy import forecast as fc
from salesmetrics.services.strategy import whatif

router = APIRouter(prefix="/api/v1", tags=["plan"])
ERRORS = problem_responses(404, 422, 503)
Lever = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"^[^\x00]+$")]
SHORT = r"^[0-9+\-−.,% dpDP]+$"  # a signed number with %, pp or d
Short = Annotated[str, StringConstraints(min_length=1, max_length=12, pattern=SHORT)]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]


class ForecastQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grain: Literal["month", "week"] = Field(
        default="month", description="Forecast by month or week"
    )
    horizon: int | None = Field(default=None, ge=1, le=26, description="Periods ahead, the "
                                "current one first (default 3 months or 13 weeks)")  # fmt: skip
    trials: bool = Field(default=False, description="List every backtest forecast too")
    as_of: date | None = Field(default=None, ge=date(1900, 1, 1), le=date(9999, 12, 30),
                               description="Forecast as if today were this day")  # fmt: skip


class ForecastPoint(BaseModel):
    period: date
    h: int = Field(description="1 = the period that holds today")
    model_minor: int = Field(description="The time-series model's forecast")
    low_minor: int = Field(description="80 % interval, low")
    high_minor: int = Field(description="80 % interval, high")
    expected_minor: int = Field(description="The forecast shown: the model blended with the "
                                "pipeline in the near months")  # fmt: skip
    to_date_minor: int | None = Field(description="Revenue so far in the current period")
    pipeline_minor: int | None = Field(description="The pipeline's expected for the month")
    pipeline_weight: float = Field(description="The pipeline's share of the deals part")


class BacktestScore(BaseModel):
    horizons: str = Field(examples=["1"])
    trials: int
    model_mape: float | None = Field(description="MAPE of the model, percent", examples=[10.7])
    naive_mape: float | None = Field(description="MAPE of seasonal naive, percent",
                                     examples=[21.4])  # fmt: skip
    rmse_log: float | None


class BacktestOut(BaseModel):
    grain: str
    per_year: int
    min_train: int = Field(description="Periods before the first origin")
    horizon: int
    step: int
    origins: list[date]
    scores: list[BacktestScore] = Field(description="Per horizon, then all")
    beats_naive: bool | None
    currency: str
    trials: list[dict[str, Any]] | None = None


class ForecastOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grain": "month", "as_of": "2026-11-26", "currency": "UAH",
        "history": [{"period": "2026-10-01", "revenue_minor": 600568100}],
        "points": [{"period": "2026-11-01", "h": 1, "model_minor": 595124119,
                    "low_minor": 599555660, "high_minor": 625854167,
                    "expected_minor": 611837112, "to_date_minor": 529988300,
                    "pipeline_minor": 138536200, "pipeline_weight": 1.0}],
        "method": {"model": "seasonal indices + exponential smoothing (damped)"},
        "deal_share": 0.31, "notes": [],
        "backtest": {"grain": "month", "per_year": 12, "min_train": 15, "horizon": 3, "step": 1,
                     "origins": ["2026-03-01"], "beats_naive": True, "currency": "UAH",
                     "scores": [{"horizons": "all", "trials": 21, "model_mape": 10.7,
                                 "naive_mape": 21.4, "rmse_log": 0.12}]},
    }]})  # fmt: skip

    grain: str
    as_of: date
    currency: str
    history: list[dict[str, Any]]
    points: list[ForecastPoint]
    method: dict[str, Any]
    deal_share: float | None = Field(description="Won deal amounts / revenue, last 12 months")
    backtest: BacktestOut | None
    notes: list[str]


@router.get("/forecast", response_model=ForecastOut, responses=ERRORS)
def forecast(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[ForecastQuery, Query()]) -> Any:
    """Revenue of the next periods with an 80 % interval, blended with the weighted pipeline in
    the current and next month, and the rolling-origin backtest against seasonal naive."""
    out = fc.revenue_forecast(ws, who, grain=q.grain, horizon=q.horizon, as_of=q.as_of).as_dict()
    if not q.trials and out["backtest"]:
        out["backtest"].pop("trials")
    return out


class WhatIfQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reps: Short | None = Field(default=None, description="Reps to add or remove", examples=["+1"])
    leads: list[Lever] = Field(default=[], max_length=20, description="CHANNEL=+20%",
                               examples=[["Instagram=+20%"]])  # fmt: skip
    stage: list[Lever] = Field(default=[], max_length=20, description="STAGE=+5pp",
                               examples=[["Пропозиція=+5pp"]])  # fmt: skip
    deal_size: Short | None = Field(default=None, description="e.g. +10%", examples=["+10%"])
    cycle: Short | None = Field(default=None, description="e.g. -5d", examples=["-5d"])
    ramp_months: int = Field(default=3, ge=1, le=24, description="A new rep's months to full speed")
    start: Month | None = Field(default=None, description="First month, YYYY-MM (default next)")
    as_of: date | None = Field(default=None, ge=date(1900, 1, 1), le=date(9999, 12, 30))


class WhatIfMonth(BaseModel):
    month: date
    baseline_minor: int
    scenario_minor: int
    baseline_deals_minor: int
    scenario_deals_minor: int
    other_minor: int = Field(description="Revenue outside deals (the same in both)")
    baseline_wins: float
    scenario_wins: float
    target_minor: int | None
    gap_minor: int | None = Field(description="scenario - target; negative: short of it")


class WhatIfOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "as_of": "2026-11-26", "currency": "UAH", "deal_share": 0.31, "notes": [],
        "months": [{"month": "2026-12-01", "baseline_minor": 613825590,
                    "scenario_minor": 645919549, "baseline_deals_minor": 189963643,
                    "scenario_deals_minor": 222057602, "other_minor": 423861947,
                    "baseline_wins": 41.1, "scenario_wins": 43.7,
                    "target_minor": 650000000, "gap_minor": -4080451}],
        "totals": {"baseline_minor": 1655435007, "scenario_minor": 1790546598,
                   "target_minor": None, "gap_minor": None},
        "levers": {"reps": 1, "ramp_months": 3, "leads": {"Instagram": 0.2},
                   "stages": {"Пропозиція": 0.05}, "deal_size": 0.1, "cycle_days": -5.0},
        "inputs": {"win_rate": 0.41, "reps": 9},
    }]})  # fmt: skip

    as_of: date
    currency: str
    months: list[WhatIfMonth]
    totals: dict[str, int | None]
    levers: dict[str, Any]
    inputs: dict[str, Any] = Field(description="The funnel read from the last 12 months")
    deal_share: float
    notes: list[str]


def _start(text: str | None) -> date | None:
    if not text:
        return None
    try:
        first = date.fromisoformat(text + "-01")
    except ValueError:
        raise InputError(f"start '{text}' is not a month (YYYY-MM, e.g. 2026-01)") from None
    if first.year < 1900:
        raise InputError(f"start '{text}' is before 1900")
    return first


@router.get("/plan/what-if", response_model=WhatIfOut, responses=ERRORS)
def what_if(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[WhatIfQuery, Query()]) -> Any:
    """Next quarter's revenue by month from the funnel model: baseline, the scenario with the
    levers given, the revenue target and the gap."""
    levers = whatif.parse_levers(reps=q.reps, leads=q.leads, stages=q.stage,
                                 deal_size=q.deal_size, cycle=q.cycle,
                                 ramp_months=q.ramp_months)  # fmt: skip
    return whatif.what_if(ws, who, levers, as_of=q.as_of, start=_start(q.start)).as_dict()


class CheckQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    origin: date = Field(description="First day of the quarter to check (it must be over)",
                         ge=date(1900, 1, 1), examples=["2026-08-01"])  # fmt: skip


class CheckMonth(BaseModel):
    month: date
    projected_minor: int
    actual_minor: int
    error: float | None = Field(description="(projected - actual) / actual; None: no revenue")


class CheckOut(BaseModel):
    origin: date
    months: list[CheckMonth]
    quarter_projected_minor: int
    quarter_actual_minor: int
    quarter_error: float | None = Field(description="(projected - actual) / actual of the "
                                        "quarter; None when it had no revenue")  # fmt: skip
    mape: float | None = Field(description="MAPE of the months, percent")


@router.get("/plan/what-if/check", response_model=CheckOut, responses=ERRORS)
def check(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[CheckQuery, Query()]) -> Any:
    """The baseline projected from the data before `origin` against the revenue that came."""
    return whatif.check_baseline(ws, who, q.origin).as_dict()
