"""Time units of the summaries and models: a model's parameters only mean something in the unit
its T and recency were measured in, so the unit travels with the parameters.

A month is 365.25 / 12 = 30.4375 days (the mean Gregorian month), not a calendar month: the
models need a fixed length, and calendar months differ by up to three days."""

from __future__ import annotations

from typing import Literal, cast, get_args

import numpy as np
from numpy.typing import NDArray

from salesmetrics.analytics.clv.errors import BadInput

F64 = NDArray[np.float64]
TimeUnit = Literal["day", "week", "month"]
DAYS_PER_MONTH = 365.25 / 12
DAYS: dict[TimeUnit, float] = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH}


def unit_of(value: str) -> TimeUnit:
    """The value as a TimeUnit, or a BadInput naming the choices."""
    if value not in get_args(TimeUnit):
        raise BadInput(f"time unit {value!r} is not one of: day, week, month")
    return cast(TimeUnit, value)


def units_per_month(unit: TimeUnit, days_per_month: float = DAYS_PER_MONTH) -> float:
    """How many `unit`s make a month (4.348 weeks with the default month)."""
    return days_per_month / DAYS[unit]
