"""Response models: the OpenAPI contract."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    engine: str = Field(examples=["duckdb"])
    schema_version: int = Field(examples=[1])


class DateRange(BaseModel):
    first: str
    last: str


class WorkspacePublic(BaseModel):
    url: str = Field(examples=["salesmetrics.duckdb"])
    engine: str = Field(examples=["duckdb"])
    schema_version: int
    settings: dict[str, str]
    tables: dict[str, int] = Field(description="Rows per data table.")
    total_rows: int
    date_ranges: dict[str, DateRange] = Field(description="First and last record per dated table.")


class MetricSummary(BaseModel):
    name: str = Field(examples=["win_rate"])
    label: dict[str, str] = Field(examples=[{"en": "Win rate", "uk": "Частка виграних угод"}])
    description: dict[str, str]
    type: str = Field(examples=["ratio"])
    unit: str = Field(examples=["percent"], description="money: minor units of base currency; "
                      "percent: a fraction (0.25 = 25 %)")  # fmt: skip
    direction: str = Field(examples=["higher"])
    variants: dict[str, list[str]] = Field(examples=[{"basis": ["count", "value", "created"]}])
    builtin: bool


class MetricList(BaseModel):
    data: list[MetricSummary]
    count: int


class MetricQueryIn(BaseModel):
    """A KPI query: metrics x dimensions x grain x period x filters x comparison."""

    metrics: list[str] = Field(min_length=1, examples=[["revenue", "win_rate"]])
    period: str = Field(default="this_month", examples=["last_month", "2026-01-01..2026-03-31"])
    grain: str | None = Field(default=None, examples=["month"])
    by: list[str] = Field(default=[], examples=[["rep"]])
    filters: list[str] = Field(default=[], examples=[["channel!=SEO"]])
    compare: str | None = Field(default=None, examples=["previous"])
    variants: dict[str, str] = Field(default={}, examples=[{"returns": "gross"}])
    as_of: str | None = Field(default=None, description="YYYY-MM-DD; default today")


class MetricInfoOut(BaseModel):
    name: str
    label: dict[str, str]
    unit: str
    direction: str
    variants: dict[str, str]
    interval: bool


class MetricQueryOut(BaseModel):
    period: str = Field(examples=["2026-10-01..2026-10-31"])
    comparison_period: str | None = None
    grain: str | None
    by: list[str]
    metrics: list[MetricInfoOut]
    rows: list[dict[str, object]] = Field(
        description="One row per period and dimension values: `period`, each dimension, each "
        "metric, and `<metric>__low/__high` (intervals), `__previous/__delta/__delta_pct/"
        "__significant` (comparison)."
    )
    warnings: list[str]
    seconds: float
