"""Known answers: every public KPI of the catalog on a small hand-computed dataset, both engines.

The dataset is tests/metric_fixture.yaml. Every number below was worked out by hand from its rows
(not from the engine); the comments show the arithmetic where it is not obvious. Reading aid:

- Periods are cut in Europe/Kyiv (UTC+2, UTC+3 from 2025-03-30). A bucket's `period` is its own
  start, even before the range: the ISO week holding 2025-01-01 is 2024-12-30.
- Each table lists the buckets that hold data; every other bucket of the time spine must show the
  metric's `empty` value: 0 for sums and counts, None for ratios, medians and derived metrics.
- Money is exact integers in kopiyky; other numbers compare with rel=1e-9.
- Order dates (Kyiv): o2 01-06, o3 01-20, o4 02-01 (UTC 01-31), o6 02-17, o7 03-01 (UTC 02-28,
  USD), o9 03-12, o10 04-02, o12 04-21. Orders 5 (cancelled), 8 (refunded), 11 (pending) are not
  paid; orders 1 (2024-08-15) and 13 (05-01 in Kyiv) lie outside the range.
- Deals (Kyiv dates): d1 won 01-08 -> 02-10 200 000; d2 won 01-13 -> 03-05 300 000 (skips
  Proposal); d3 lost 02-03 -> 03-20 100 000 (goes back); d4 open since 02-20 400 000 in Proposal;
  d5 open since 03-18 500 000 in Negotiation; d6 lost 01-20 -> 02-01 (UTC 01-31) 150 000;
  d7 won 04-03 -> 04-24 250 000 (skips Negotiation).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pytest
import yaml

import salesmetrics
from metric_fixture import fixture, load_fixture
from salesmetrics.services.workspace import Workspace, init_workspace, open_workspace
from salesmetrics.storage.repositories import bulk

ENGINES = ("duckdb", "postgres")
RANGE = "2025-01-01..2025-04-30"
DAY_RANGE = "2025-01-27..2025-02-02"  # Monday..Sunday around the Jan 31 / Feb 1 Kyiv midnight
GRAINS: tuple[str | None, ...] = ("day", "week", "month", "quarter", "year", None)

MONTHS = ("2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01")
SPINE: dict[str | None, tuple[str, ...]] = {
    "day": (*(f"2025-01-{d}" for d in range(27, 32)), "2025-02-01", "2025-02-02"),
    # ISO weeks from the one holding 2025-01-01 to the one holding 2025-04-30.
    "week": (
        "2024-12-30",
        "2025-01-06",
        "2025-01-13",
        "2025-01-20",
        "2025-01-27",
        "2025-02-03",
        "2025-02-10",
        "2025-02-17",
        "2025-02-24",
        "2025-03-03",
        "2025-03-10",
        "2025-03-17",
        "2025-03-24",
        "2025-03-31",
        "2025-04-07",
        "2025-04-14",
        "2025-04-21",
        "2025-04-28",
    ),
    "month": MONTHS,
    "quarter": ("2025-01-01", "2025-04-01"),
    "year": ("2025-01-01",),
    None: ("2025-01-01",),
}

Value = int | float | None
Q, P, N = "Qualified", "Proposal", "Negotiation"  # the open stages, by position


@dataclass(frozen=True)
class Known:
    """Expected values of one metric per grain; `total` is both the year and the None bucket.

    With `by`, each value is a mapping from the dimension's value to the metric's value.
    """

    empty: Value
    day: Mapping[str, Any] = field(default_factory=dict)
    week: Mapping[str, Any] = field(default_factory=dict)
    month: Mapping[str, Any] = field(default_factory=dict)
    quarter: Mapping[str, Any] = field(default_factory=dict)
    total: Any = None
    by: tuple[str, ...] = ()

    def table(self, grain: str | None) -> Mapping[str, Any]:
        if grain in ("year", None):
            return {"2025-01-01": self.total} if self.total is not None else {}
        tables: dict[str, Mapping[str, Any]] = {
            "day": self.day,
            "week": self.week,
            "month": self.month,
            "quarter": self.quarter,
        }
        return tables[grain]


def weeks(value: Value, *starts: str) -> dict[str, Value]:
    return dict.fromkeys(starts, value)


KNOWN: dict[str, Known] = {}

# ---------------------------------------------------------------- orders and revenue
# Revenue per paid order (lines, kopiyky): o2 90 000 + 15 000 = 105 000; o3 400 000;
# o4 50 000 + 100 000 = 150 000; o6 60 000;
# o7 USD at the 2025-03-01 rate (its Kyiv date; the UTC date 02-28 would take 42.0):
#     1001 x 41.4 + 1999 x 41.4 = 41 441.4 + 82 758.6 = 124 200;
# o9 150 000 + 20 000 - 15 000 (returned mug) = 155 000; o10 50 000; o12 30 000 + 50 000 = 80 000.
ORDER_WEEKS = ("2025-01-06", "2025-01-20", "2025-01-27", "2025-02-17", "2025-02-24")
ORDER_WEEKS += ("2025-03-10", "2025-03-31", "2025-04-21")  # one paid order in each

KNOWN["revenue"] = Known(
    empty=0,
    day={"2025-02-01": 150_000},
    week={
        "2025-01-06": 105_000,
        "2025-01-20": 400_000,
        "2025-01-27": 150_000,
        "2025-02-17": 60_000,
        "2025-02-24": 124_200,
        "2025-03-10": 155_000,
        "2025-03-31": 50_000,
        "2025-04-21": 80_000,
    },
    month={
        "2025-01-01": 505_000,  # 105 000 + 400 000
        "2025-02-01": 210_000,  # 150 000 + 60 000
        "2025-03-01": 279_200,  # 124 200 + 155 000
        "2025-04-01": 130_000,  # 50 000 + 80 000
    },
    quarter={"2025-01-01": 994_200, "2025-04-01": 130_000},
    total=1_124_200,
)

# ---------------------------------------------------------------- cumulative
# revenue_ytd: revenue from the fiscal year's start (2025-01-01) through each bucket's end, so
# every bucket is listed (none is empty). Running sums of the revenue table above.
ALL_WEEKS = ("2024-12-30", "2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27",
             "2025-02-03", "2025-02-10", "2025-02-17", "2025-02-24", "2025-03-03",
             "2025-03-10", "2025-03-17", "2025-03-24", "2025-03-31", "2025-04-07",
             "2025-04-14", "2025-04-21", "2025-04-28")  # fmt: skip
DAYS = ("2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",
        "2025-02-01", "2025-02-02")  # fmt: skip
KNOWN["revenue_ytd"] = Known(
    empty=0,
    # Jan 1-26: 105 000 + 400 000; Feb 1 adds 150 000
    day=dict(zip(DAYS, (505_000,) * 5 + (655_000,) * 2, strict=True)),
    week=dict(
        zip(
            ALL_WEEKS,
            (
                0,
                105_000,
                105_000,
                505_000,
                655_000,
                655_000,
                655_000,
                715_000,
                839_200,
                839_200,
                994_200,
                994_200,
                994_200,
                1_044_200,
                1_044_200,
                1_044_200,
                1_124_200,
                1_124_200,
            ),
            strict=True,
        )
    ),
    month=dict(zip(MONTHS, (505_000, 715_000, 994_200, 1_124_200), strict=True)),
    quarter={"2025-01-01": 994_200, "2025-04-01": 1_124_200},
    total=1_124_200,
)
# new_customers_to_date never resets: Anna (2024-08-10) counts from the start. Kyiv dates:
# Bohdan 01-05, Vira 02-01, Halyna 02-14, Dmytro 04-01 (21:30Z on 03-31, UTC+3), Yevhen 04-20.
KNOWN["new_customers_to_date"] = Known(
    empty=0,
    day=dict(zip(DAYS, (2,) * 5 + (3,) * 2, strict=True)),
    week=dict(zip(ALL_WEEKS, (2, 2, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 6, 6, 6), strict=True)),
    month=dict(zip(MONTHS, (2, 4, 4, 6), strict=True)),
    quarter={"2025-01-01": 4, "2025-04-01": 6},
    total=6,
)

KNOWN["orders"] = Known(
    empty=0,
    day={"2025-02-01": 1},
    week=weeks(1, *ORDER_WEEKS),
    month=dict.fromkeys(MONTHS, 2),
    quarter={"2025-01-01": 6, "2025-04-01": 2},
    total=8,
)

KNOWN["aov"] = Known(
    empty=None,
    day={"2025-02-01": 150_000.0},
    week={  # one order a week
        "2025-01-06": 105_000.0,
        "2025-01-20": 400_000.0,
        "2025-01-27": 150_000.0,
        "2025-02-17": 60_000.0,
        "2025-02-24": 124_200.0,
        "2025-03-10": 155_000.0,
        "2025-03-31": 50_000.0,
        "2025-04-21": 80_000.0,
    },
    month={
        "2025-01-01": 505_000 / 2,
        "2025-02-01": 210_000 / 2,
        "2025-03-01": 279_200 / 2,
        "2025-04-01": 130_000 / 2,
    },
    quarter={"2025-01-01": 994_200 / 6, "2025-04-01": 130_000 / 2},
    total=1_124_200 / 8,
)

# Paid orders per customer (Kyiv dates): c2 01-06, 01-20; c3 02-01, 04-02;
# c4 02-17, 03-01, 03-12; c6 04-21.
KNOWN["buying_customers"] = Known(
    empty=0,
    day={"2025-02-01": 1},
    week=weeks(1, *ORDER_WEEKS),
    month={"2025-01-01": 1, "2025-02-01": 2, "2025-03-01": 1, "2025-04-01": 2},
    quarter={"2025-01-01": 3, "2025-04-01": 2},  # Q1 c2 c3 c4; Q2 c3 c6
    total=4,
)

KNOWN["repeat_customers"] = Known(
    empty=0,
    month={"2025-01-01": 1, "2025-03-01": 1},  # c2 in January, c4 in March
    quarter={"2025-01-01": 2},  # c2, c4 (c3 has one Q1 order)
    total=3,  # c2, c3, c4
)

KNOWN["repeat_purchase_rate"] = Known(
    empty=None,
    day={"2025-02-01": 0.0},
    week=weeks(0.0, *ORDER_WEEKS),
    month={"2025-01-01": 1.0, "2025-02-01": 0.0, "2025-03-01": 1.0, "2025-04-01": 0.0},
    quarter={"2025-01-01": 2 / 3, "2025-04-01": 0.0},
    total=3 / 4,
)

KNOWN["purchase_frequency"] = Known(
    empty=None,
    day={"2025-02-01": 1.0},
    week=weeks(1.0, *ORDER_WEEKS),
    month={"2025-01-01": 2.0, "2025-02-01": 1.0, "2025-03-01": 2.0, "2025-04-01": 1.0},
    quarter={"2025-01-01": 6 / 3, "2025-04-01": 2 / 2},
    total=8 / 4,
)

# Gross margin per paid order, line_total - quantity x unit cost (beans 20 000, grinder 150 000,
# mug 5 000, gift card none = 0): o2 (90 000 - 40 000) + (15 000 - 5 000) = 60 000;
# o3 400 000 - 150 000 = 250 000; o4 (50 000 - 20 000) + 100 000 = 130 000;
# o6 60 000 - 4 x 5 000 = 40 000; o7 124 200 (gift cards, no cost);
# o9 (150 000 - 60 000) + (20 000 - 10 000) + (-15 000 - (-1 x 5 000)) = 90 000;
# o10 50 000 - 20 000 = 30 000; o12 (30 000 - 10 000) + (50 000 - 20 000) = 50 000.
KNOWN["gross_margin"] = Known(
    empty=0,
    day={"2025-02-01": 130_000},
    week={
        "2025-01-06": 60_000,
        "2025-01-20": 250_000,
        "2025-01-27": 130_000,
        "2025-02-17": 40_000,
        "2025-02-24": 124_200,
        "2025-03-10": 90_000,
        "2025-03-31": 30_000,
        "2025-04-21": 50_000,
    },
    month={
        "2025-01-01": 310_000,
        "2025-02-01": 170_000,
        "2025-03-01": 214_200,
        "2025-04-01": 80_000,
    },
    quarter={"2025-01-01": 694_200, "2025-04-01": 80_000},
    total=774_200,
)

KNOWN["gross_margin_rate"] = Known(
    empty=None,
    day={"2025-02-01": 130_000 / 150_000},
    week={
        "2025-01-06": 60_000 / 105_000,
        "2025-01-20": 250_000 / 400_000,
        "2025-01-27": 130_000 / 150_000,
        "2025-02-17": 40_000 / 60_000,
        "2025-02-24": 124_200 / 124_200,
        "2025-03-10": 90_000 / 155_000,
        "2025-03-31": 30_000 / 50_000,
        "2025-04-21": 50_000 / 80_000,
    },
    month={
        "2025-01-01": 310_000 / 505_000,
        "2025-02-01": 170_000 / 210_000,
        "2025-03-01": 214_200 / 279_200,
        "2025-04-01": 80_000 / 130_000,
    },
    quarter={"2025-01-01": 694_200 / 994_200, "2025-04-01": 80_000 / 130_000},
    total=774_200 / 1_124_200,
)

# ---------------------------------------------------------------- customers, spend, CAC
# Acquired (Kyiv): c2 01-05; c3 02-01 (UTC 01-31 23:30); c4 02-14; c5 04-01 (UTC 03-31 21:30,
# after the switch to UTC+3); c6 04-20. c1 (2024) is outside the range.
KNOWN["new_customers"] = Known(
    empty=0,
    day={"2025-02-01": 1},
    week=weeks(1, "2024-12-30", "2025-01-27", "2025-02-10", "2025-03-31", "2025-04-14"),
    month={"2025-01-01": 1, "2025-02-01": 2, "2025-04-01": 2},
    quarter={"2025-01-01": 3, "2025-04-01": 2},
    total=5,
)

# Spend per day: Jan 1-3 10 000 + 3 000 (the Dec 25 - Jan 3 row, 30 000 / 10 days);
# Jan 4-26 10 000; Jan 27 - Feb 5 10 000 + 5 000 (50 000 / 10 days); Feb 6-28 10 000;
# Mar 1 - Apr 30 2 000 (122 000 / 61 days).
KNOWN["marketing_spend"] = Known(
    empty=0,
    day=dict.fromkeys(SPINE["day"], 15_000),
    week={
        "2024-12-30": 59_000,  # Jan 1-3 3 x 13 000 + Jan 4-5 2 x 10 000 (Dec 30-31 outside)
        "2025-01-06": 70_000,
        "2025-01-13": 70_000,
        "2025-01-20": 70_000,
        "2025-01-27": 105_000,  # 7 x 15 000
        "2025-02-03": 85_000,  # Feb 3-5 3 x 15 000 + Feb 6-9 4 x 10 000
        "2025-02-10": 70_000,
        "2025-02-17": 70_000,
        "2025-02-24": 54_000,  # Feb 24-28 5 x 10 000 + Mar 1-2 2 x 2 000
        **weeks(14_000, *SPINE["week"][9:17]),  # 2025-03-03 .. 2025-04-21: 7 x 2 000
        "2025-04-28": 6_000,  # Apr 28-30 only
    },
    month={
        "2025-01-01": 344_000,  # 310 000 + 5 x 5 000 + 3 x 3 000
        "2025-02-01": 305_000,  # 280 000 + 5 x 5 000
        "2025-03-01": 62_000,  # 31 x 2 000
        "2025-04-01": 60_000,  # 30 x 2 000
    },
    quarter={"2025-01-01": 711_000, "2025-04-01": 60_000},
    total=771_000,
)

KNOWN["cac"] = Known(
    empty=None,
    day={"2025-02-01": 15_000.0},
    week={
        "2024-12-30": 59_000 / 1,
        "2025-01-27": 105_000 / 1,
        "2025-02-10": 70_000 / 1,
        "2025-03-31": 14_000 / 1,
        "2025-04-14": 14_000 / 1,
    },
    month={"2025-01-01": 344_000 / 1, "2025-02-01": 305_000 / 2, "2025-04-01": 60_000 / 2},
    quarter={"2025-01-01": 711_000 / 3, "2025-04-01": 60_000 / 2},
    total=771_000 / 5,
)

# ---------------------------------------------------------------- churn and lifetime value
# 180-day window. c1's only paid order is 2024-08-15, so c1 is active at a start up to
# 2025-02-11 (Aug 15 + 180 days) and churns in the bucket whose end passes that date. Everyone
# else orders in 2025 and never churns within the range. Active at the start:
#   c1 while start <= 02-11; c2 from start 01-07; c3 from 02-02; c4 from 02-18; c6 from 04-22.
KNOWN["churn_rate"] = Known(
    empty=None,
    day=dict.fromkeys(SPINE["day"], 0.0),  # Jan 27 - Feb 1: 0 / 2 (c1 c2); Feb 2: 0 / 3
    week={
        **weeks(0.0, *SPINE["week"]),
        "2025-02-10": 1 / 3,  # active c1 c2 c3; c1 has no order in [Aug 21, Feb 17)
    },
    month={
        "2025-01-01": 0 / 1,  # c1 active; its Aug 15 order is within [Aug 5, Feb 1)
        "2025-02-01": 1 / 2,  # c1 c2 active; c1 has no order in [2024-09-02, Mar 1)
        "2025-03-01": 0 / 3,  # c2 c3 c4
        "2025-04-01": 0 / 3,  # c2 c3 c4 (c6 orders on 04-21)
    },
    quarter={"2025-01-01": 1 / 1, "2025-04-01": 0 / 3},  # Q1: start Jan 1 (c1), end Apr 1
    total=1 / 1,
)

# clv = aov x purchase_frequency / churn_rate: None where churn is 0 (division by zero) or aov
# is None (the churn week 02-10 has no orders).
KNOWN["clv"] = Known(
    empty=None,
    month={"2025-02-01": 105_000 * 1.0 / 0.5},
    quarter={"2025-01-01": 165_700 * 2.0 / 1.0},
    total=140_525 * 2.0 / 1.0,
)

KNOWN["ltv_cac"] = Known(
    empty=None,
    month={"2025-02-01": 210_000 / 152_500},
    quarter={"2025-01-01": 331_400 / 237_000},
    total=281_050 / 154_200,
)

# ---------------------------------------------------------------- deals
CLOSE_WEEKS = {"d1": "2025-02-10", "d2": "2025-03-03", "d7": "2025-04-21"}  # won deals
KNOWN["deals_won"] = Known(
    empty=0,
    week=weeks(1, *CLOSE_WEEKS.values()),
    month={"2025-02-01": 1, "2025-03-01": 1, "2025-04-01": 1},
    quarter={"2025-01-01": 2, "2025-04-01": 1},
    total=3,
)

# Closed: d6 lost 02-01 (Kyiv; UTC 01-31), d1 won 02-10, d2 won 03-05, d3 lost 03-20, d7 won 04-24.
KNOWN["deals_closed"] = Known(
    empty=0,
    day={"2025-02-01": 1},
    week=weeks(1, "2025-01-27", "2025-02-10", "2025-03-03", "2025-03-17", "2025-04-21"),
    month={"2025-02-01": 2, "2025-03-01": 2, "2025-04-01": 1},
    quarter={"2025-01-01": 4, "2025-04-01": 1},
    total=5,
)

KNOWN["won_amount"] = Known(
    empty=0,
    week={"2025-02-10": 200_000, "2025-03-03": 300_000, "2025-04-21": 250_000},
    month={"2025-02-01": 200_000, "2025-03-01": 300_000, "2025-04-01": 250_000},
    quarter={"2025-01-01": 500_000, "2025-04-01": 250_000},
    total=750_000,
)

KNOWN["avg_deal_size"] = Known(
    empty=None,
    week={"2025-02-10": 200_000.0, "2025-03-03": 300_000.0, "2025-04-21": 250_000.0},
    month={"2025-02-01": 200_000.0, "2025-03-01": 300_000.0, "2025-04-01": 250_000.0},
    quarter={"2025-01-01": 500_000 / 2, "2025-04-01": 250_000 / 1},
    total=750_000 / 3,
)

# Created (Kyiv): d1 01-08, d2 01-13, d6 01-20, d3 02-03, d4 02-20, d5 03-18, d7 04-03.
KNOWN["deals_created"] = Known(
    empty=0,
    week=weeks(
        1,
        "2025-01-06",
        "2025-01-13",
        "2025-01-20",
        "2025-02-03",
        "2025-02-17",
        "2025-03-17",
        "2025-03-31",
    ),
    month={"2025-01-01": 3, "2025-02-01": 2, "2025-03-01": 1, "2025-04-01": 1},
    quarter={"2025-01-01": 6, "2025-04-01": 1},
    total=7,
)

KNOWN["win_rate"] = Known(
    empty=None,
    day={"2025-02-01": 0 / 1},
    week={
        "2025-01-27": 0 / 1,
        "2025-02-10": 1 / 1,
        "2025-03-03": 1 / 1,
        "2025-03-17": 0 / 1,
        "2025-04-21": 1 / 1,
    },
    month={"2025-02-01": 1 / 2, "2025-03-01": 1 / 2, "2025-04-01": 1 / 1},
    quarter={"2025-01-01": 2 / 4, "2025-04-01": 1 / 1},
    total=3 / 5,
)

# days(closed_at - created_at) of won deals, on UTC instants:
# d1 01-08 09:00 -> 02-10 12:00 = 33 days 3 h = 33.125; d2 01-13 10:00 -> 03-05 10:00 = 51;
# d7 04-03 10:00 -> 04-24 10:00 = 21.
KNOWN["sales_cycle_days"] = Known(
    empty=None,
    week={"2025-02-10": 33.125, "2025-03-03": 51.0, "2025-04-21": 21.0},
    month={"2025-02-01": 33.125, "2025-03-01": 51.0, "2025-04-01": 21.0},
    quarter={"2025-01-01": (33.125 + 51.0) / 2, "2025-04-01": 21.0},  # median of two
    total=33.125,  # median of 21, 33.125, 51
)

# ---------------------------------------------------------------- pipeline at period end
# A deal counts when created before the bucket's end (next local midnight) and open then.
# Stage probability is the CURRENT stage's: won deals 1.0, lost 0.0, d4 Proposal 0.3,
# d5 Negotiation 0.6. A week ends next Monday 00:00 Kyiv (the last one at May 1 00:00): in the
# week of 02-03, d1 (closed 02-10 14:00) is still open at the end.
KNOWN["open_deals"] = Known(
    empty=0,
    day={**dict.fromkeys(SPINE["day"][:5], 3), "2025-02-01": 2, "2025-02-02": 2},
    week={
        "2024-12-30": 0,
        "2025-01-06": 1,  # d1
        "2025-01-13": 2,  # d1 d2
        "2025-01-20": 3,  # d1 d2 d6
        "2025-01-27": 2,  # d1 d2
        "2025-02-03": 3,  # d1 d2 d3
        "2025-02-10": 2,  # d2 d3
        "2025-02-17": 3,  # d2 d3 d4
        "2025-02-24": 3,  # d2 d3 d4
        "2025-03-03": 2,  # d3 d4
        "2025-03-10": 2,  # d3 d4
        "2025-03-17": 2,  # d4 d5
        "2025-03-24": 2,  # d4 d5
        "2025-03-31": 3,  # d4 d5 d7
        "2025-04-07": 3,  # d4 d5 d7
        "2025-04-14": 3,  # d4 d5 d7
        "2025-04-21": 2,  # d4 d5
        "2025-04-28": 2,  # d4 d5
    },
    month={
        "2025-01-01": 3,  # d1 d2 d6 (d6 closed Feb 1 00:30 Kyiv, after Feb 1 00:00)
        "2025-02-01": 3,  # d2 d3 d4
        "2025-03-01": 2,  # d4 d5
        "2025-04-01": 2,  # d4 d5
    },
    quarter={"2025-01-01": 2, "2025-04-01": 2},
    total=2,
)

KNOWN["pipeline_value"] = Known(
    empty=0,
    # Jan 27-31: d1 + d2 + d6 = 200 000 + 300 000 + 150 000; Feb 1-2: d1 + d2.
    day={**dict.fromkeys(SPINE["day"][:5], 650_000), "2025-02-01": 500_000, "2025-02-02": 500_000},
    week={
        "2024-12-30": 0,
        "2025-01-06": 200_000,
        "2025-01-13": 500_000,
        "2025-01-20": 650_000,
        "2025-01-27": 500_000,
        "2025-02-03": 600_000,
        "2025-02-10": 400_000,
        "2025-02-17": 800_000,
        "2025-02-24": 800_000,
        "2025-03-03": 500_000,
        "2025-03-10": 500_000,
        "2025-03-17": 900_000,
        "2025-03-24": 900_000,
        "2025-03-31": 1_150_000,
        "2025-04-07": 1_150_000,
        "2025-04-14": 1_150_000,
        "2025-04-21": 900_000,
        "2025-04-28": 900_000,
    },
    month={
        "2025-01-01": 650_000,  # d1 d2 d6
        "2025-02-01": 800_000,  # 300 000 + 100 000 + 400 000
        "2025-03-01": 900_000,  # 400 000 + 500 000
        "2025-04-01": 900_000,
    },
    quarter={"2025-01-01": 900_000, "2025-04-01": 900_000},
    total=900_000,
)

KNOWN["weighted_pipeline"] = Known(
    empty=0,
    # d1 x 1.0 + d2 x 1.0 (+ d6 x 0.0 through Jan 31) = 500 000 every day.
    day=dict.fromkeys(SPINE["day"], 500_000),
    week={
        "2024-12-30": 0,
        "2025-01-06": 200_000,
        "2025-01-13": 500_000,
        "2025-01-20": 500_000,
        "2025-01-27": 500_000,
        "2025-02-03": 500_000,
        "2025-02-10": 300_000,
        "2025-02-17": 420_000,  # d2 300 000 x 1.0 + d3 100 000 x 0.0 + d4 400 000 x 0.3
        "2025-02-24": 420_000,
        "2025-03-03": 120_000,  # d3 0 + d4 120 000
        "2025-03-10": 120_000,
        "2025-03-17": 420_000,  # d4 120 000 + d5 500 000 x 0.6
        "2025-03-24": 420_000,
        "2025-03-31": 670_000,  # + d7 250 000 x 1.0
        "2025-04-07": 670_000,
        "2025-04-14": 670_000,
        "2025-04-21": 420_000,
        "2025-04-28": 420_000,
    },
    month={
        "2025-01-01": 500_000,  # 200 000 + 300 000 + 0
        "2025-02-01": 420_000,  # 300 000 + 0 + 120 000
        "2025-03-01": 420_000,  # 120 000 + 300 000
        "2025-04-01": 420_000,
    },
    quarter={"2025-01-01": 420_000, "2025-04-01": 420_000},
    total=420_000,
)

# open_deals x avg_deal_size x win_rate / mean sales cycle; None wherever a term is None.
KNOWN["pipeline_velocity"] = Known(
    empty=None,
    week={
        "2025-02-10": 2 * 200_000 * 1.0 / 33.125,
        "2025-03-03": 2 * 300_000 * 1.0 / 51.0,
        "2025-04-21": 2 * 250_000 * 1.0 / 21.0,
    },
    month={
        "2025-02-01": 3 * 200_000 * 0.5 / 33.125,
        "2025-03-01": 2 * 300_000 * 0.5 / 51.0,
        "2025-04-01": 2 * 250_000 * 1.0 / 21.0,
    },
    quarter={
        "2025-01-01": 2 * 250_000 * 0.5 / 42.0625,
        "2025-04-01": 2 * 250_000 * 1.0 / 21.0,
    },
    total=2 * 250_000 * 0.6 / ((33.125 + 51.0 + 21.0) / 3),
)

# Open deals by expected close date: d5 2025-03-28 (slipped, still open), d4 2025-04-15.
KNOWN["pipeline_due"] = Known(
    empty=0,
    week={"2025-03-24": 500_000, "2025-04-14": 400_000},
    month={"2025-03-01": 500_000, "2025-04-01": 400_000},
    quarter={"2025-01-01": 500_000, "2025-04-01": 400_000},
    total=900_000,
)

# ---------------------------------------------------------------- targets
# Company revenue targets start 01-01 500 000, 02-01 300 000, 03-01 300 000, 04-01 400 000
# (the rep, team and orders targets do not count without a breakdown).
TARGET_WEEKS = {"2024-12-30": 500_000, "2025-01-27": 300_000, "2025-02-24": 300_000}
TARGET_WEEKS["2025-03-31"] = 400_000
KNOWN["revenue_target"] = Known(
    empty=0,
    day={"2025-02-01": 300_000},
    week=TARGET_WEEKS,
    month=dict(zip(MONTHS, (500_000, 300_000, 300_000, 400_000), strict=True)),
    quarter={"2025-01-01": 1_100_000, "2025-04-01": 400_000},
    total=1_500_000,
)

KNOWN["target_attainment"] = Known(
    empty=None,
    day={"2025-02-01": 150_000 / 300_000},
    week={
        "2024-12-30": 0 / 500_000,  # no order Jan 1-5
        "2025-01-27": 150_000 / 300_000,
        "2025-02-24": 124_200 / 300_000,
        "2025-03-31": 50_000 / 400_000,
    },
    month={
        "2025-01-01": 505_000 / 500_000,
        "2025-02-01": 210_000 / 300_000,
        "2025-03-01": 279_200 / 300_000,
        "2025-04-01": 130_000 / 400_000,
    },
    quarter={"2025-01-01": 994_200 / 1_100_000, "2025-04-01": 130_000 / 400_000},
    total=1_124_200 / 1_500_000,
)

# pipeline_due / positive(revenue_target - revenue): None when the gap is <= 0, which is every
# bucket without a target (and January, whose target was beaten by 5 000).
KNOWN["pipeline_coverage"] = Known(
    empty=None,
    day={"2025-02-01": 0 / (300_000 - 150_000)},
    week={
        "2024-12-30": 0 / (500_000 - 0),
        "2025-01-27": 0 / (300_000 - 150_000),
        "2025-02-24": 0 / (300_000 - 124_200),
        "2025-03-31": 0 / (400_000 - 50_000),
    },
    month={
        "2025-02-01": 0 / (300_000 - 210_000),
        "2025-03-01": 500_000 / (300_000 - 279_200),
        "2025-04-01": 400_000 / (400_000 - 130_000),
    },
    quarter={
        "2025-01-01": 500_000 / (1_100_000 - 994_200),
        "2025-04-01": 400_000 / (400_000 - 130_000),
    },
    total=900_000 / (1_500_000 - 1_124_200),
)

# ---------------------------------------------------------------- leads
# Created (Kyiv): l1 01-03 conv, l2 01-10 conv, l3 01-29 conv, l4 02-10 lost, l5 02-15 conv,
# l6 04-01 open (UTC 03-31 21:15, UTC+3), l7 04-05 lost.
KNOWN["leads_created"] = Known(
    empty=0,
    day={"2025-01-29": 1},
    week={"2024-12-30": 1, "2025-01-06": 1, "2025-01-27": 1, "2025-02-10": 2, "2025-03-31": 2},
    month={"2025-01-01": 3, "2025-02-01": 2, "2025-04-01": 2},
    quarter={"2025-01-01": 5, "2025-04-01": 2},
    total=7,
)

KNOWN["leads_converted"] = Known(
    empty=0,
    day={"2025-01-29": 1},
    week={"2024-12-30": 1, "2025-01-06": 1, "2025-01-27": 1, "2025-02-10": 1},
    month={"2025-01-01": 3, "2025-02-01": 1},
    quarter={"2025-01-01": 4},
    total=4,
)

KNOWN["lead_conversion_rate"] = Known(
    empty=None,
    day={"2025-01-29": 1.0},
    week={
        "2024-12-30": 1 / 1,
        "2025-01-06": 1 / 1,
        "2025-01-27": 1 / 1,
        "2025-02-10": 1 / 2,
        "2025-03-31": 0 / 2,
    },
    month={"2025-01-01": 3 / 3, "2025-02-01": 1 / 2, "2025-04-01": 0 / 2},
    quarter={"2025-01-01": 4 / 5, "2025-04-01": 0 / 2},
    total=4 / 7,
)

# ---------------------------------------------------------------- stage funnel (by stage)
# Open stages Qualified -> Proposal -> Negotiation, then won. "All stages": a deal reached a stage
# if it entered it or a later one, or won. Rows (stage: reached next?) per deal:
#   d1 Q+ P+ N+ | d2 Q+ P+ N+ (skipped P) | d6 Q- | d3 Q+ P- | d4 Q+ P- | d5 Q+ P+ N- |
#   d7 Q+ P+ N+ (skipped N, won). Timed by deal creation.
KNOWN["stage_conversion"] = Known(
    empty=None,
    by=("stage",),
    week={
        "2025-01-06": {Q: 1.0, P: 1.0, N: 1.0},  # d1
        "2025-01-13": {Q: 1.0, P: 1.0, N: 1.0},  # d2
        "2025-01-20": {Q: 0.0},  # d6
        "2025-02-03": {Q: 1.0, P: 0.0},  # d3
        "2025-02-17": {Q: 1.0, P: 0.0},  # d4
        "2025-03-17": {Q: 1.0, P: 1.0, N: 0.0},  # d5
        "2025-03-31": {Q: 1.0, P: 1.0, N: 1.0},  # d7
    },
    month={
        "2025-01-01": {Q: 2 / 3, P: 2 / 2, N: 2 / 2},  # d1 d2 d6
        "2025-02-01": {Q: 2 / 2, P: 0 / 2},  # d3 d4
        "2025-03-01": {Q: 1.0, P: 1.0, N: 0.0},  # d5
        "2025-04-01": {Q: 1.0, P: 1.0, N: 1.0},  # d7
    },
    quarter={
        "2025-01-01": {Q: 5 / 6, P: 3 / 5, N: 2 / 3},
        "2025-04-01": {Q: 1.0, P: 1.0, N: 1.0},
    },
    total={Q: 6 / 7, P: 4 / 6, N: 3 / 4},
)

# Stays (entered -> left at the deal's next change, UTC), by the Kyiv date they ended:
#   Q: d1 7 (01-15), d2 14 (01-27), d6 11 + 9.5/24 (01-20 13:00 -> 01-31 22:30Z = Feb 1 Kyiv),
#      d3 9 (02-12), d3 11 (03-03), d4 18 (03-10), d5 7 (03-25), d7 7 (04-10)
#   P: d1 14 (01-29), d3 8 (02-20), d3 17 + 7/24 (03-03 08:00 -> 03-20 15:00), d5 14 (04-08),
#      d7 14 (04-24)
#   N: d1 12.125 (01-29 09:00 -> 02-10 12:00), d2 37 (01-27 -> 03-05)
# Final stays (won, lost, still open) have no next change and do not count.
D6_Q = 11 + 9.5 / 24
D3_P2 = 17 + 7 / 24
KNOWN["time_in_stage_days"] = Known(
    empty=None,
    by=("stage",),
    day={"2025-01-27": {Q: 14.0}, "2025-01-29": {P: 14.0}, "2025-02-01": {Q: D6_Q}},
    week={
        "2025-01-13": {Q: 7.0},
        "2025-01-27": {Q: (14.0 + D6_Q) / 2, P: 14.0},
        "2025-02-10": {Q: 9.0, N: 12.125},
        "2025-02-17": {P: 8.0},
        "2025-03-03": {Q: 11.0, N: 37.0},
        "2025-03-10": {Q: 18.0},
        "2025-03-17": {P: D3_P2},
        "2025-03-24": {Q: 7.0},
        "2025-04-07": {Q: 7.0, P: 14.0},
        "2025-04-21": {P: 14.0},
    },
    month={
        "2025-01-01": {Q: (7.0 + 14.0) / 2, P: 14.0},
        "2025-02-01": {Q: (9.0 + D6_Q) / 2, P: 8.0, N: 12.125},
        "2025-03-01": {Q: 11.0, P: D3_P2, N: 37.0},  # Q: median of 7, 11, 18
        "2025-04-01": {Q: 7.0, P: 14.0},
    },
    quarter={
        # Q: 7 7 9 [11] 11.4 14 18; P: 8 [14] 17.3; N: (12.125 + 37) / 2
        "2025-01-01": {Q: 11.0, P: 14.0, N: (12.125 + 37.0) / 2},
        "2025-04-01": {Q: 7.0, P: 14.0},
    },
    # Q: 7 7 7 [9 11] 11.4 14 18; P: 8 14 [14] 14 17.3
    total={Q: (9.0 + 11.0) / 2, P: 14.0, N: (12.125 + 37.0) / 2},
)

# ---------------------------------------------------------------- activities
# Done, not notes (Kyiv): 01-08 call, 01-28 email, 03-04 call, 04-01 email (UTC 03-31), 04-22
# call. The 02-05 note and the 02-11 call that was not done never count.
KNOWN["activities"] = Known(
    empty=0,
    day={"2025-01-28": 1},
    week=weeks(1, "2025-01-06", "2025-01-27", "2025-03-03", "2025-03-31", "2025-04-21"),
    month={"2025-01-01": 2, "2025-03-01": 1, "2025-04-01": 2},
    quarter={"2025-01-01": 3, "2025-04-01": 2},
    total=5,
)

KNOWN["activities_per_won_deal"] = Known(
    empty=None,
    week={"2025-02-10": 0 / 1, "2025-03-03": 1 / 1, "2025-04-21": 1 / 1},
    month={"2025-02-01": 0 / 1, "2025-03-01": 1 / 1, "2025-04-01": 2 / 1},  # January: 2 / 0
    quarter={"2025-01-01": 3 / 2, "2025-04-01": 2 / 1},
    total=5 / 3,
)

# ---------------------------------------------------------------- feedback
# NPS (Kyiv): 01-10 10, 01-20 9, 02-01 6 (UTC 01-31 22:45), 02-15 8, 03-05 3, 03-06 no score
# (not a response), 04-10 10.
KNOWN["nps_responses"] = Known(
    empty=0,
    day={"2025-02-01": 1},
    week=weeks(
        1, "2025-01-06", "2025-01-20", "2025-01-27", "2025-02-10", "2025-03-03", "2025-04-07"
    ),
    month={"2025-01-01": 2, "2025-02-01": 2, "2025-03-01": 1, "2025-04-01": 1},
    quarter={"2025-01-01": 5, "2025-04-01": 1},
    total=6,
)

KNOWN["nps"] = Known(
    empty=None,
    day={"2025-02-01": -100.0},
    week={
        "2025-01-06": 100.0,
        "2025-01-20": 100.0,
        "2025-01-27": -100.0,
        "2025-02-10": 0.0,  # an 8 is passive
        "2025-03-03": -100.0,
        "2025-04-07": 100.0,
    },
    month={
        "2025-01-01": (2 - 0) * 100 / 2,
        "2025-02-01": (0 - 1) * 100 / 2,
        "2025-03-01": (0 - 1) * 100 / 1,
        "2025-04-01": (1 - 0) * 100 / 1,
    },
    quarter={"2025-01-01": (2 - 2) * 100 / 5, "2025-04-01": 100.0},
    total=(3 - 2) * 100 / 6,
)

# CSAT, satisfied = score >= 0.7 x 5 = 3.5: 01-15 5 yes, 02-20 3 no, 03-15 4 yes, 03-20 2 no,
# 04-05 4 yes (no scale_max: 5 assumed).
KNOWN["csat"] = Known(
    empty=None,
    week={
        "2025-01-13": 1.0,
        "2025-02-17": 0.0,
        "2025-03-10": 1.0,
        "2025-03-17": 0.0,
        "2025-03-31": 1.0,
    },
    month={"2025-01-01": 1.0, "2025-02-01": 0.0, "2025-03-01": 1 / 2, "2025-04-01": 1.0},
    quarter={"2025-01-01": 2 / 4, "2025-04-01": 1.0},
    total=3 / 5,
)


# Response rate = distinct orders feedback received in the bucket is linked to / paid orders in
# the bucket. Linked: f1 (01-10) and f2 (01-20) both to o2, f9 (02-20) to o4, f10 (03-15) to o9.
# Months: {o2}/2, {o4}/2, {o9}/2, 0/2; Q1 {o2, o4, o9}/6; all 3/8. Weeks: 1 of 1 where a linked
# answer fell, 0 of 1 in the other order weeks; 02-01: o4, no linked answer that day.
KNOWN["feedback_response_rate"] = Known(
    empty=None,
    day={"2025-02-01": 0.0},
    week={**weeks(0.0, *ORDER_WEEKS),
          **weeks(1.0, "2025-01-06", "2025-01-20", "2025-02-17", "2025-03-10")},
    month={"2025-01-01": 0.5, "2025-02-01": 0.5, "2025-03-01": 0.5, "2025-04-01": 0.0},
    quarter={"2025-01-01": 3 / 6, "2025-04-01": 0.0},
    total=3 / 8,
)  # fmt: skip

# ---------------------------------------------------------------- machinery


@pytest.fixture(scope="module", params=ENGINES)
def known_ws(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    """The fixture loaded once per engine (module scope: every known-answer test reads it)."""
    if request.param == "duckdb":
        url = str(tmp_path_factory.mktemp("known") / "ws.duckdb")
        yield from _loaded(url)
        return
    admin: str = request.getfixturevalue("pg_admin_url")
    name = f"sm_known_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield from _loaded(f"{admin.rpartition('/')[0]}/{name}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _loaded(url: str) -> Iterator[Workspace]:
    load_fixture(url)
    ws = open_workspace(url)
    try:
        yield ws
    finally:
        ws.close()


def _same(got: Any, want: Value) -> bool:
    if want is None:
        return got is None
    if isinstance(want, int):  # money and counts: exact integers
        return isinstance(got, int) and not isinstance(got, bool) and got == want
    return isinstance(got, int | float) and got == pytest.approx(want, rel=1e-9)


def _query(
    ws: Workspace,
    metric: str,
    grain: str | None,
    *,
    period: str | None = None,
    by: tuple[str, ...] = (),
    variants: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    period = period or (DAY_RANGE if grain == "day" else RANGE)
    res = ws.metrics.query([metric], period=period, grain=grain, by=by, variants=variants)
    rows: list[dict[str, Any]] = res.rows()
    return rows


def check(
    rows: list[dict[str, Any]],
    column: str,
    spine: tuple[str, ...],
    expected: Mapping[str, Any],
    empty: Value,
    by: tuple[str, ...] = (),
) -> None:
    """Compare a result with a hand table, reporting every differing bucket at once."""
    periods = [row["period"] for row in rows]
    assert periods == sorted(periods), "rows are not sorted by period"
    want_periods = [date.fromisoformat(p) for p in spine]
    problems: list[str] = []
    if not by:
        assert periods == want_periods, f"time spine: got {periods}, expected {want_periods}"
        for row in rows:
            want = expected.get(row["period"].isoformat(), empty)
            if not _same(row[column], want):
                problems.append(f"{row['period']}: got {row[column]!r}, expected {want!r}")
    else:
        assert set(periods) <= set(want_periods), f"periods outside the spine: {periods}"
        got: dict[tuple[str, Any], Any] = {}
        for row in rows:
            key = (row["period"].isoformat(), row[by[0]])
            assert key not in got, f"two rows for {key}"
            got[key] = row[column]
        for period, values in expected.items():
            for dim, want in values.items():
                if (period, dim) not in got:
                    problems.append(f"{period} {by[0]}={dim}: missing, expected {want!r}")
                elif not _same(got[(period, dim)], want):
                    wrong = got[(period, dim)]
                    problems.append(f"{period} {by[0]}={dim}: got {wrong!r}, expected {want!r}")
        # Buckets without data may be left out or shown empty, but never with a value.
        for (period, dim), value in got.items():
            if dim not in expected.get(period, {}) and not _same(value, empty):
                problems.append(f"{period} {by[0]}={dim}: got {value!r}, expected {empty!r}")
    assert not problems, f"{column}: {len(problems)} wrong bucket(s)\n" + "\n".join(problems)


def _grain_id(grain: str | None) -> str:
    return grain or "none"


# ---------------------------------------------------------------- tests


def test_fixture_loads(store_url: str) -> None:
    load_fixture(store_url)
    ws = open_workspace(store_url)
    try:
        for table, rows in fixture()["tables"].items():
            (count,) = ws.store.fetchall(f'SELECT count(*) FROM "{table}"')[0]
            assert count == len(rows), table
        assert ws.settings.base_currency == "UAH"
        assert ws.settings.time_zone == "Europe/Kyiv"
    finally:
        ws.close()


def test_every_public_metric_has_a_known_answer() -> None:
    path = Path(salesmetrics.__file__).parent / "metrics" / "catalog" / "sales.yaml"
    catalog = yaml.safe_load(path.read_text(encoding="utf-8"))
    public = {m["name"] for m in catalog["metrics"] if not m.get("hidden")}
    assert set(KNOWN) == public


@pytest.mark.parametrize("grain", GRAINS, ids=_grain_id)
@pytest.mark.parametrize("metric", sorted(KNOWN))
def test_known_answer(known_ws: Workspace, metric: str, grain: str | None) -> None:
    known = KNOWN[metric]
    rows = _query(known_ws, metric, grain, by=known.by)
    check(rows, metric, SPINE[grain], known.table(grain), known.empty, known.by)


def test_empty_buckets(known_ws: Workspace) -> None:
    """The week of 02-10 has no order: 0 revenue and no average order value (not 0)."""
    week = date(2025, 2, 10)
    res = known_ws.metrics.query(["revenue", "aov"], period=RANGE, grain="week")
    rows = {r["period"]: r for r in res.rows()}
    assert rows[week]["revenue"] == 0
    assert rows[week]["aov"] is None
    # March: no customer acquired, so its 62 000 of spend buys no CAC.
    res = known_ws.metrics.query(["new_customers", "cac"], period=RANGE, grain="month")
    rows = {r["period"]: r for r in res.rows()}
    assert rows[date(2025, 3, 1)]["new_customers"] == 0
    assert rows[date(2025, 3, 1)]["cac"] is None


def test_range_inside_buckets(known_ws: Workspace) -> None:
    """2025-01-15..2025-02-10 by month: periods are the month starts, only in-range data counts."""
    spine = ("2025-01-01", "2025-02-01")
    cases: dict[str, tuple[dict[str, Value], Value]] = {
        # o3 (01-20) in January; o4 (02-01) in February; o2 (01-06) is before the range.
        "revenue": ({"2025-01-01": 400_000, "2025-02-01": 150_000}, 0),
        "new_customers": ({"2025-02-01": 1}, 0),  # c3 (02-01); c2 (01-05) and c4 (02-14) outside
        # Jan 15-26 12 x 10 000 + Jan 27-31 5 x 15 000; Feb 1-5 5 x 15 000 + Feb 6-10 5 x 10 000.
        "marketing_spend": ({"2025-01-01": 195_000, "2025-02-01": 125_000}, 0),
        # End of February clipped to Feb 11 00:00: d1 closed Feb 10, so d2 d3.
        "open_deals": ({"2025-01-01": 3, "2025-02-01": 2}, 0),
        # January starts at Jan 15: c1 (2024-08-15) and c2 (01-06) active, nobody churns; February
        # ends at Feb 11 00:00, 180 days after Aug 15 00:00: c1's order is still in the window.
        "churn_rate": ({"2025-01-01": 0 / 2, "2025-02-01": 0 / 2}, None),
    }
    for metric, (expected, empty) in cases.items():
        rows = _query(known_ws, metric, "month", period="2025-01-15..2025-02-10")
        check(rows, metric, spine, expected, empty)


def test_revenue_by_rep(known_ws: Workspace) -> None:
    # Olena: o2 o6 o7 o12; Petro: o3 o4 o9 o10.
    month = {
        "2025-01-01": {"Olena": 105_000, "Petro": 400_000},
        "2025-02-01": {"Olena": 60_000, "Petro": 150_000},
        "2025-03-01": {"Olena": 124_200, "Petro": 155_000},
        "2025-04-01": {"Olena": 80_000, "Petro": 50_000},
    }
    rows = _query(known_ws, "revenue", "month", by=("rep",))
    check(rows, "revenue", MONTHS, month, 0, by=("rep",))
    rows = _query(known_ws, "revenue", None, by=("rep",))
    total = {"2025-01-01": {"Olena": 369_200, "Petro": 755_000}}
    check(rows, "revenue", SPINE[None], total, 0, by=("rep",))


def test_revenue_by_product(known_ws: Workspace) -> None:
    total = {
        "2025-01-01": {
            "Coffee beans": 390_000,  # 90 000 + 50 000 + 150 000 + 50 000 + 50 000
            "Grinder": 400_000,  # o3 (the refunded and cancelled grinders do not count)
            "Mug": 110_000,  # 15 000 + 60 000 + (20 000 - 15 000) + 30 000
            "Gift card": 224_200,  # 100 000 + 124 200 (USD)
        }
    }
    rows = _query(known_ws, "revenue", None, by=("product",))
    check(rows, "revenue", SPINE[None], total, 0, by=("product",))


def test_revenue_target_by_rep_and_team(known_ws: Workspace) -> None:
    rows = _query(known_ws, "revenue_target", None, by=("rep",))
    by_rep = {"2025-01-01": {"Olena": 200_000, "Petro": 300_000}}
    check(rows, "revenue_target", SPINE[None], by_rep, 0, by=("rep",))
    rows = _query(known_ws, "revenue_target", None, by=("team",))
    check(rows, "revenue_target", SPINE[None], {"2025-01-01": {"North": 400_000}}, 0, by=("team",))


def test_rep_targets_by_team_and_rep_sit_under_each_rep_s_team(store_url: str) -> None:
    """A rep row's team is the rep's team, not the team whose id equals the rep's (the two
    ids differ here on purpose: rep 1 is in team 2 and rep 2 in team 1)."""
    init_workspace(store_url, {"name": "Targets"})
    tables = {
        "teams": pa.table({"id": [1, 2], "name": ["North", "South"]}),
        "reps": pa.table({"id": [1, 2, 3], "name": ["Olena", "Petro", "Iryna"],
                          "team_id": pa.array([2, 1, None], pa.int64())}),
        "targets": pa.table({
            "id": [1, 2, 3, 4, 5], "metric": ["revenue"] * 5,
            "scope": ["rep", "rep", "rep", "team", "company"],
            "scope_id": pa.array([1, 2, 3, 1, None], pa.int64()),
            "period_start_on": [date(2025, 1, 1)] * 5, "period_end_on": [date(2025, 1, 31)] * 5,
            "value": [100_000.0, 200_000.0, 50_000.0, 700_000.0, 900_000.0],
        }),
    }  # fmt: skip
    ws = open_workspace(store_url)
    try:
        ws.store.write(lambda tx: [bulk.load(tx, n, t) for n, t in tables.items()])
        rows = _query(ws, "revenue_target", None, by=("team", "rep"))
        got = {(r["team"], r["rep"]): r["revenue_target"] for r in rows}
        assert got == {("South", "Olena"): 100_000, ("North", "Petro"): 200_000,
                       (None, "Iryna"): 50_000}  # fmt: skip
        rows = _query(ws, "revenue_target", None, by=("team",))
        assert {r["team"]: r["revenue_target"] for r in rows} == {"North": 700_000}
        assert _query(ws, "revenue_target", None)[0]["revenue_target"] == 900_000
    finally:
        ws.close()


def test_win_rate_wilson_interval(known_ws: Workspace) -> None:
    # 3 won of 5 closed; Wilson 95 %: (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n),
    # p = 0.6, n = 5, z = 1.959963984540054 (the 97.5 % normal quantile, not rounded).
    (row,) = _query(known_ws, "win_rate", None)
    assert row["win_rate"] == pytest.approx(0.6, rel=1e-9)
    assert row["win_rate__low"] == pytest.approx(0.2307242812760128, rel=1e-9)
    assert row["win_rate__high"] == pytest.approx(0.882379225767352, rel=1e-9)


VARIANTS: dict[str, tuple[str, dict[str, str], Known]] = {
    # Paid and refunded orders, positive lines only: March adds refunded o8 (400 000) and the
    # returned mug's -15 000 drops out: 124 200 + 400 000 + 170 000.
    "revenue-gross": (
        "revenue",
        {"returns": "gross"},
        Known(
            empty=0,
            month=dict(zip(MONTHS, (505_000, 210_000, 694_200, 130_000), strict=True)),
            quarter={"2025-01-01": 1_409_200, "2025-04-01": 130_000},
            total=1_539_200,
        ),
    ),
    # Won amount / closed amount: February d1 200 000 of d1 + d6 350 000; March d2 300 000 of
    # d2 + d3 400 000.
    "win_rate-value": (
        "win_rate",
        {"basis": "value"},
        Known(
            empty=None,
            month={
                "2025-02-01": 200_000 / 350_000,
                "2025-03-01": 300_000 / 400_000,
                "2025-04-01": 250_000 / 250_000,
            },
            quarter={"2025-01-01": 500_000 / 750_000, "2025-04-01": 1.0},
            total=750_000 / 1_000_000,
        ),
    ),
    # Only stages actually entered: d1 Q+ P+ N+ | d2 Q- N+ | d6 Q- | d3 Q+ P- | d4 Q+ P- |
    # d5 Q+ P+ N- | d7 Q+ P- (never entered Negotiation).
    "stage_conversion-any_stage": (
        "stage_conversion",
        {"funnel": "any_stage"},
        Known(
            empty=None,
            by=("stage",),
            month={
                "2025-01-01": {Q: 1 / 3, P: 1 / 1, N: 2 / 2},
                "2025-02-01": {Q: 2 / 2, P: 0 / 2},
                "2025-03-01": {Q: 1.0, P: 1.0, N: 0.0},
                "2025-04-01": {Q: 1.0, P: 0.0},
            },
            quarter={
                "2025-01-01": {Q: 4 / 6, P: 2 / 4, N: 2 / 3},
                "2025-04-01": {Q: 1.0, P: 0.0},
            },
            total={Q: 5 / 7, P: 2 / 5, N: 2 / 3},
        ),
    ),
    "sales_cycle_days-mean": (
        "sales_cycle_days",
        {"statistic": "mean"},
        Known(
            empty=None,
            month={"2025-02-01": 33.125, "2025-03-01": 51.0, "2025-04-01": 21.0},
            quarter={"2025-01-01": (33.125 + 51.0) / 2, "2025-04-01": 21.0},
            total=(33.125 + 51.0 + 21.0) / 3,
        ),
    ),
    # 90-day window. January: nobody ordered in [2024-10-03, Jan 1). February: c2 active, orders in
    # [Dec 1, Mar 1). March: c2 c3 c4, all order in [Jan 1, Apr 1). April: c2 c3 c4 active, c2's
    # last order (01-20) is before [Jan 31, May 1): churned. Q1 and the whole range start Jan 1.
    "churn_rate-d90": (
        "churn_rate",
        {"window": "d90"},
        Known(
            empty=None,
            month={"2025-02-01": 0 / 1, "2025-03-01": 0 / 3, "2025-04-01": 1 / 3},
            quarter={"2025-04-01": 1 / 3},
        ),
    ),
}


@pytest.mark.parametrize("grain", ["month", "quarter", None], ids=_grain_id)
@pytest.mark.parametrize("case", sorted(VARIANTS))
def test_variant_known_answer(known_ws: Workspace, case: str, grain: str | None) -> None:
    metric, variants, known = VARIANTS[case]
    rows = _query(known_ws, metric, grain, by=known.by, variants=variants)
    check(rows, metric, SPINE[grain], known.table(grain), known.empty, known.by)


@pytest.mark.parametrize("metric", sorted(m for m, known in KNOWN.items() if not known.by))
def test_a_comparison_gives_both_months_known_answers(known_ws: Workspace, metric: str) -> None:
    """With a comparison one statement reads both months (period-end states: both ends in one
    scan); each side still equals its month's hand value."""
    known = KNOWN[metric]
    months = known.table("month")
    res = known_ws.metrics.query([metric], period="2025-04", compare="previous")
    (row,) = res.rows()
    for column, month in ((metric, "2025-04-01"), (f"{metric}__previous", "2025-03-01")):
        want = months.get(month, known.empty)
        assert _same(row[column], want), f"{column}: got {row[column]!r}, expected {want!r}"
