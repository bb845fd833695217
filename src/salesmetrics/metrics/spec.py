"""The metric definition spec: frozen pydantic models that YAML files are parsed into."""

from __future__ import annotations

import enum
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MetricType(enum.StrEnum):
    SIMPLE = "simple"
    RATIO = "ratio"
    DERIVED = "derived"
    CONVERSION = "conversion"
    CUMULATIVE = "cumulative"


class Agg(enum.StrEnum):
    SUM = "sum"
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    COUNT_TRUE = "count_true"
    MEAN = "mean"
    MEDIAN = "median"
    MIN = "min"
    MAX = "max"


class Unit(enum.StrEnum):
    MONEY = "money"
    MONEY_PER_DAY = "money_per_day"
    COUNT = "count"
    PERCENT = "percent"
    RATIO = "ratio"
    DAYS = "days"
    SCORE = "score"


class Direction(enum.StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class Text(_Frozen):
    """A text in both languages of the product."""

    en: str = Field(min_length=1)
    uk: str = Field(min_length=1)


class Measure(_Frozen):
    """What is aggregated: an expression over the source's columns (none for count), and how."""

    expr: str | None = None
    agg: Agg = Agg.SUM
    per: str | None = Field(
        default=None, description="aggregate `expr` per value of this column first, then `agg`"
    )


class Option(_Frozen):
    """One option of a variant axis: the fields it changes."""

    description: Text | None = None
    source: str | None = None
    measure: Measure | None = None
    expr: str | None = None
    agg: Agg | None = None
    filters: list[str] | None = None
    time: str | None = None
    numerator: Name | None = None
    denominator: Name | None = None
    proportion: bool | None = None
    converted: str | None = None
    params: dict[str, float] | None = None
    unit: Unit | None = None


class Axis(_Frozen):
    """A variant axis (for example `returns: net | gross`) with its default option."""

    default: str
    options: dict[str, Option] = Field(min_length=1)


class Interval(_Frozen):
    """A non-Wilson interval, from named component metrics."""

    kind: Literal["nps"]
    promoters: Name
    detractors: Name
    total: Name


class MetricDef(_Frozen):
    """One metric. Which fields apply depends on `type`; the validator checks the combination."""

    name: Name
    label: Text
    description: Text
    type: MetricType
    unit: Unit
    direction: Direction = Direction.HIGHER
    source: str | None = None
    measure: Measure | None = None
    filters: list[str] = []
    time: str | None = None
    at_period_end: str | None = Field(
        default=None, description="a state measured at each period's end instead of a flow"
    )
    window: str | None = Field(default=None, description="row filter for `at_period_end` style")
    params: dict[str, float] = {}
    numerator: Name | None = None
    denominator: Name | None = None
    proportion: bool = False
    converted: str | None = Field(default=None, description="conversion: the converted condition")
    expr: str | None = None
    interval: Interval | None = None
    metric: Name | None = Field(default=None, description="cumulative: the metric added up")
    reset: Literal["year", "never"] = Field(
        default="year", description="cumulative: restart at each fiscal year, or never"
    )
    dimensions: list[str] | None = None
    variants: dict[Name, Axis] = {}
    hidden: bool = False


class MetricFile(_Frozen):
    """A YAML file of metric definitions."""

    metrics: list[dict[str, Any]]


def json_schema() -> str:
    """The JSON Schema of a metrics file, generated from the spec."""
    schema = MetricDef.model_json_schema()
    wrapper = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "salesmetrics metric definitions",
        "type": "object",
        "properties": {"metrics": {"type": "array", "items": {"$ref": "#/$defs/MetricDef"}}},
        "required": ["metrics"],
        "additionalProperties": False,
        "$defs": {**schema.pop("$defs", {}), "MetricDef": schema},
    }
    return json.dumps(wrapper, indent=2, ensure_ascii=False)
