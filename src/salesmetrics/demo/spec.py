"""Sizes, shares and planted constants of the demo business, declared once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesmetrics.domain.enums import DemoSize

CURRENCY = "UAH"
SOURCE = "demo"
TIME_ZONE = "Europe/Kyiv"
MONTHS = 24

GROUP_SHARES: dict[str, float] = {"loyal": 0.15, "one_off": 0.55, "churned": 0.2, "new": 0.1}
GROUPS: tuple[str, ...] = tuple(GROUP_SHARES)
LOYAL, ONE_OFF, CHURNED, NEW = range(4)

# Day windows, counted back from the data cut (the start of as_of, Kyiv time).
NEW_WINDOW_DAYS = 75  # "new" customers were acquired within these last days (~2.5 months)
LOYAL_ACQUIRED_BEFORE = 180  # loyal customers have had at least half a year to show it
CHURNED_ACQUIRED_BEFORE = 300
CHURNED_QUIET_DAYS = 200  # > 6 months: no order of a churned customer after cut - 200 days


@dataclass(frozen=True, slots=True)
class SizeSpec:
    """How big one demo size is; order lines follow from customers through their behaviour."""

    size: DemoSize
    customers: int
    leads: int
    products: int
    chunk_rows: int  # rows per Arrow batch for tables not cut by month


SIZES: dict[DemoSize, SizeSpec] = {
    DemoSize.SMALL: SizeSpec(DemoSize.SMALL, 3_900, 3_400, 60, 50_000),
    DemoSize.MEDIUM: SizeSpec(DemoSize.MEDIUM, 80_000, 90_000, 90, 250_000),
    DemoSize.LARGE: SizeSpec(DemoSize.LARGE, 760_000, 1_650_000, 120, 250_000),
    # ~10.5 times large's customers and orders (100M order lines); the sales side stays as large
    DemoSize.XLARGE: SizeSpec(DemoSize.XLARGE, 8_010_000, 1_650_000, 150, 500_000),
}

# Random sub-streams: one integer per purpose, mixed with the seed (and a month or chunk index)
# so that a part of the data never depends on how much of another part was drawn.
STREAM_CATALOG = 1
STREAM_LEADS = 2
STREAM_DEALS = 3
STREAM_CUSTOMERS = 4
STREAM_ORDERS = 5
STREAM_LINES = 6
STREAM_FEEDBACK = 7
STREAM_ACTIVITIES = 8
STREAM_PLANNING = 9
STREAM_BASKETS = 10


def rng(seed: int, stream: int, *index: int) -> np.random.Generator:
    """The generator of one sub-stream: the same (seed, stream, index) always draws the same."""
    return np.random.default_rng([seed & 0xFFFF_FFFF_FFFF_FFFF, stream, *index])
