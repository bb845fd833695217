"""Channel economics and budget allocation: GET /api/v1/channels and GET /api/v1/plan/allocate.
Thin: parse, call services/strategy (channels.py, allocation.py), answer in their shapes (money
in minor units, rates as fractions). The allocation needs a view of every record (403 else)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.services.strategy.allocation import allocate as allocate_budget
from salesmetrics.services.strategy.allocation import minor_per_unit
from salesmetrics.services.strategy.channels import DEFAULT_PERIOD, channel_economics

router = APIRouter(prefix="/api/v1", tags=["channels"])
AS_OF = Field(default=None, ge=date(1900, 1, 1), le=date(9999, 12, 30),
              description="Periods seen from this day [today]")  # fmt: skip


class ChannelsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(
        default=DEFAULT_PERIOD,
        max_length=40,
        description="A named period or YYYY-MM-DD..YYYY-MM-DD",
    )
    as_of: date | None = AS_OF


class ChannelLineOut(BaseModel):
    channel: str | None = Field(
        examples=["Instagram"],
        description="None: the records with no channel (in `total`: all records)",
    )
    spend_minor: int | None = Field(
        examples=[5660200],
        description="None outside a view of every record: spend belongs to no rep",
    )
    leads: int = Field(examples=[183])
    leads_converted: int = Field(examples=[42])
    new_customers: int = Field(examples=[413])
    cac_minor: int | None = Field(examples=[13705])
    cac_low_minor: int | None = Field(examples=[12445], description="95 % (Poisson, Garwood)")
    cac_high_minor: int | None = Field(examples=[15129])
    lead_conversion: float | None = Field(examples=[0.2295])
    lead_conversion_low: float | None = Field(examples=[0.1745], description="Wilson 95 %")
    lead_conversion_high: float | None = Field(examples=[0.2956])
    revenue_minor: int | None = Field(examples=[898878700])
    gross_margin_minor: int | None = Field(examples=[336661500])
    buying_customers: int = Field(examples=[888])
    clv_minor: int | None = Field(examples=[1458440])
    ltv_cac: float | None = Field(examples=[106.4])
    ltv_cac_low: float | None = None
    ltv_cac_high: float | None = None
    payback_months: float | None = Field(
        examples=[0.43],
        description="CAC / the channel's average monthly gross margin per buying customer "
        "(every buyer through the channel, not only new customers)",
    )
    payback_low: float | None = None
    payback_high: float | None = None
    roi: float | None = Field(
        examples=[58.5],
        description="(gross margin - spend) / spend, a multiple; the margin of every order "
        "through the channel in the period, including customers won earlier",
    )
    small: bool = Field(description="Fewer than 30 new customers or leads")


class EconomicsOut(BaseModel):
    period: str = Field(examples=["2025-11-01..2026-10-31"])
    months: float = Field(examples=[12.0])
    currency: str = Field(examples=["UAH"])
    spend_visible: bool
    channels: list[ChannelLineOut]
    total: ChannelLineOut
    explain: dict[str, str] = Field(
        description="Figure -> the KPI explorer page of its metric "
        "by channel (POST /api/v1/metrics/explain for the SQL)"
    )
    derived: dict[str, str] = Field(description="The formulas of the figures computed here")


@router.get("/channels", response_model=EconomicsOut, responses=problem_responses(422, 503))
def channels(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[ChannelsQuery, Query()]) -> Any:
    """Per channel over the period: spend, leads, new customers, CAC with its 95 % interval,
    lead conversion (Wilson), revenue, gross margin, CLV:CAC, payback months and ROI."""
    return channel_economics(ws, who, q.period, as_of=q.as_of).as_dict()


class AllocateQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget: float | None = Field(
        default=None,
        gt=0,
        le=1e12,
        examples=[60000],
        description="The month's budget in major units of the base currency [the spend of the "
        "last month with spend imported]",
    )
    goal: Literal["customers", "revenue"] = Field(default="customers")
    period: str | None = Field(
        default=None,
        max_length=40,
        description="The history the curves learn from [the 24 full months before this one]",
    )
    as_of: date | None = AS_OF
    lang: Literal["uk", "en"] = Field(default="en", description="Language of the moves' text")


class HeldOutOut(BaseModel):
    months: int
    curve_wape: float | None = Field(description="Error on the last months, fitted without them")
    constant_cac_wape: float | None = Field(description="The same for a constant CAC")


class ChannelPlanOut(BaseModel):
    channel: str = Field(examples=["Instagram"])
    fitted: bool
    unfitted: Literal["few_months", "steady_spend"] | None = Field(
        description="Why there is no curve: fewer than 6 months with spend, or spend that "
        "hardly varies (under 10 %); the channel keeps its current spend"
    )
    paused: bool = Field(description="No spend in the current month: its floor is 0")
    a: float | None = Field(description="Outcome of a month at `scale_minor` spend")
    b: float | None = Field(examples=[0.93], description="Elasticity, 0 < b <= 1")
    b_low: float | None = None
    b_high: float | None = None
    scale_minor: float | None = None
    months: int
    held_out: HeldOutOut | None
    value_per_customer_minor: int | None
    current_minor: int = Field(examples=[465700])
    recommended_minor: int = Field(examples=[1007000])
    change_minor: int
    low_minor: int
    high_minor: int
    at_cap: bool
    at_floor: bool
    marginal_per_1000: float | None = Field(
        description="Outcome of 1,000 more (major units) at the recommended spend"
    )
    spend_seen_minor: list[int]
    customers_seen: list[int]


class MoveOut(BaseModel):
    from_: str = Field(alias="from", examples=["Google Ads"])
    to: str = Field(examples=["Instagram"])
    amount_minor: int = Field(examples=[510752])
    gain: float = Field(examples=[19.8])
    gain_low: float | None = Field(examples=[16.0], description="None: no bootstrap curves")
    gain_high: float | None = Field(examples=[23.5])
    text: str = Field(
        examples=["move 5,108 UAH from Referral to Instagram: +20 customers (range 16 to 23)"]
    )


class AllocationOut(BaseModel):
    goal: str = Field(examples=["customers"])
    history: str = Field(examples=["2024-11-01..2026-10-31"])
    current_month: str = Field(
        examples=["2026-10"], description="The last month with spend: the current split"
    )
    currency: str = Field(examples=["UAH"])
    budget_minor: int = Field(examples=[5377200])
    default_budget: bool = Field(description="The budget is the spend of `current_month`")
    unplaced_minor: int
    best_channel: str | None = Field(
        examples=["Instagram"],
        description="The most for more spend at the recommended split, among channels that "
        "spend now",
    )
    expected_current: float | None
    expected_recommended: float | None
    gain: float | None
    gain_low: float | None
    gain_high: float | None
    interval: float = Field(examples=[0.8])
    low_share: float
    high_multiple: float
    channels: list[ChannelPlanOut]
    moves: list[MoveOut]
    notes: list[str]


@router.get(
    "/plan/allocate",
    response_model=AllocationOut,
    response_model_by_alias=True,
    responses=problem_responses(403, 422, 503),
)
def allocate(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[AllocateQuery, Query()]) -> Any:
    """The split of a month's budget across channels for the most new customers (or lifetime
    revenue), from each channel's diminishing-returns curve, with the moves and 80 % ranges."""
    minor = (
        None if q.budget is None else round(q.budget * minor_per_unit(ws.settings.base_currency))
    )
    return allocate_budget(
        ws, who, budget_minor=minor, goal=q.goal, period=q.period, as_of=q.as_of, lang=q.lang
    ).as_dict()
