"""Team endpoints: the leaderboard and one rep's numbers. Thin: parse, call the team service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.domain.errors import QueryError
from salesmetrics.services import team

router = APIRouter(prefix="/api/v1/team", tags=["team"])
MAX_ID = 2**63 - 1

PERIOD_HELP = (
    "this_month (default), last_month, this_quarter, last_30_days, or any period the metric "
    "engine reads: YYYY-MM, YYYY, YYYY-MM-DD..YYYY-MM-DD"
)
_FIGURE: dict[str, Any] = {
    "value": 61477100, "previous": 82940000, "delta": -21462900.0, "delta_pct": -0.2588,
    "low": None, "high": None, "significant": None,
}  # fmt: skip
_RATE: dict[str, Any] = {
    "value": 0.4167, "previous": 0.5385, "delta": -0.1218, "delta_pct": -0.2262,
    "low": 0.1933, "high": 0.6805, "significant": False,
}  # fmt: skip


class FigureOut(BaseModel):
    """One metric on one row: this period, the previous one, the change; rates carry a Wilson
    95 % interval (low, high) and whether the change is beyond noise (significant)."""

    value: float | None
    previous: float | None = None
    delta: float | None = None
    delta_pct: float | None = None
    low: float | None = None
    high: float | None = None
    significant: bool | None = None


class LineOut(BaseModel):
    """A rep, a team's subtotal, the sales with no rep, or the whole company."""

    rep_id: int | None = Field(examples=[3])
    rep: str | None = Field(examples=["Ірина Бондаренко"])
    team_id: int | None = Field(examples=[1])
    team: str | None = Field(examples=["HoReCa"])
    active: bool
    rank: int | None = Field(examples=[2], description="By revenue among reps; 1 = most.")
    target: FigureOut | None = Field(
        description="Revenue target in minor units of the base currency (null: none applies)"
    )
    metrics: dict[str, FigureOut] = Field(
        examples=[{"revenue": _FIGURE, "win_rate": _RATE}],
        description="revenue, deals_won, win_rate, avg_deal_size, activities, new_customers "
        "and, when a target applies, target_attainment (a fraction: 0.97 = 97 %)",
    )


class TeamOut(BaseModel):
    team_id: int | None = Field(description="null for the reps without a team")
    team: str | None
    total: LineOut
    reps: list[LineOut]


class LeaderboardOut(BaseModel):
    """Reps ranked by revenue and grouped by team, against the previous period."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "period_name": "this_month", "period": "2026-11-01..2026-11-26",
        "comparison_period": "2026-10-01..2026-10-26", "currency": "UAH", "targets": True,
        "data_version": 12, "units": {"revenue": "money", "win_rate": "percent"},
        "labels": {"revenue": {"en": "Revenue", "uk": "Виручка"}},
        "teams": [], "unassigned": None, "total": {
            "rep_id": None, "rep": None, "team_id": None, "team": None, "active": True,
            "rank": None, "target": None, "metrics": {"revenue": _FIGURE}},
        "seconds": 0.021, "warnings": [],
    }]})  # fmt: skip

    period_name: str
    period: str = Field(examples=["2026-11-01..2026-11-26"])
    comparison_period: str | None
    currency: str = Field(examples=["UAH"])
    targets: bool = Field(description="Whether revenue targets apply to the period.")
    data_version: int = Field(description="The data version the numbers were computed from.")
    units: dict[str, str] = Field(description="money: minor units; percent: a fraction")
    labels: dict[str, dict[str, str]]
    teams: list[TeamOut]
    unassigned: LineOut | None = Field(description="Sales with no rep (e.g. web-shop orders)")
    total: LineOut = Field(description="The whole company: reps plus sales with no rep")
    seconds: float
    warnings: list[str]


class RepOut(BaseModel):
    """One rep's numbers for a period."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rep": {"id": 3, "name": "Ірина Бондаренко", "email": None, "active": True,
                "hired_on": "2023-10-08", "team_id": 1, "team": "HoReCa"},
        "period_name": "this_month", "period": "2026-11-01..2026-11-26",
        "comparison_period": "2026-10-01..2026-10-26", "currency": "UAH",
        "target": 63400000, "rank": 2, "ranked": 9, "cards": [],
        "trend": [{"period": "2026-11-01", "revenue": 61477100}],
        "activities": {"call": 67, "email": 47}, "recent_won": [], "seconds": 0.05,
    }]})  # fmt: skip

    rep: dict[str, Any]
    period_name: str
    period: str
    comparison_period: str | None
    currency: str
    target: float | None = Field(description="Revenue target, minor units; null if none")
    rank: int | None
    ranked: int = Field(description="How many reps the leaderboard ranks.")
    cards: list[dict[str, Any]] = Field(
        description="KPI cards: name, label, unit, direction, value, previous, delta, "
        "delta_pct, low, high, significant, better"
    )
    trend: list[dict[str, Any]] = Field(description="Revenue by month, the last 12 months")
    activities: dict[str, int] = Field(description="Activities by kind in the period")
    recent_won: list[dict[str, Any]] = Field(
        description="The last 10 won deals: id, title, customer, amount_minor, currency, closed_at"
    )
    seconds: float


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise QueryError(f"as_of '{text}' is not a date: use YYYY-MM-DD") from None


@router.get("", response_model=LeaderboardOut, responses=problem_responses(422, 503))
def leaderboard(
    ws: WorkspaceDep,
    who: PrincipalDep,
    period: str = Query("this_month", description=PERIOD_HELP),
    sort: str = Query("revenue", description="Column: " + ", ".join(team.SORTS)),
    dir: str | None = Query(None, description="asc or desc (default: desc, names asc)"),
    as_of: str | None = Query(None, description="YYYY-MM-DD; default today"),
) -> dict[str, Any]:
    """The leaderboard: per rep and per team, revenue, deals won, win rate, average deal size,
    activities, new customers and target attainment, each against the previous period."""
    key, descending = team.parse_sort(sort, dir)
    board = team.live_leaderboard(ws, who.scope, period, _day(as_of))
    return board.sorted(key, descending).as_dict()


@router.get("/reps/{rep_id}", response_model=RepOut, responses=problem_responses(404, 422, 503))
def rep(
    rep_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The rep's id")],
    ws: WorkspaceDep,
    who: PrincipalDep,
    period: str = Query("this_month", description=PERIOD_HELP),
    as_of: str | None = Query(None, description="YYYY-MM-DD; default today"),
) -> dict[str, Any]:
    """One rep: KPI cards, 12 months of revenue, activities by kind, the last 10 won deals."""
    return team.rep_page(ws, who.scope, rep_id, period, _day(as_of)).as_dict()
