"""The ground truth: what the generator planted, so analytics can be checked against it."""

from __future__ import annotations

from datetime import date

import numpy as np

from salesmetrics.demo.catalog import BEST_CAC_CHANNEL, BOTTLENECK_STAGE, CHANNELS, REPS, STAGES
from salesmetrics.demo.comments import PROBLEM_THEME, THEME_WORDS
from salesmetrics.demo.leads import INTERCEPT, NOISE_ATTRIBUTES, drivers
from salesmetrics.demo.spec import GROUP_SHARES, GROUPS
from salesmetrics.demo.world import World


def customer_groups(world: World) -> dict[str, list[str]]:
    """External ids of the customers in each behaviour group."""
    group = world.customers.group
    return {
        name: [f"CUS-{i + 1:07d}" for i in np.flatnonzero(group == g).tolist()]
        for g, name in enumerate(GROUPS)
    }


def build_truth(world: World, seed: int, as_of: date) -> dict[str, object]:
    """The truth file's content (plain JSON types only)."""
    products = world.products
    return {
        "seed": seed,
        "size": str(world.spec.size),
        "as_of": as_of.isoformat(),
        "data_ends_before": f"{as_of.isoformat()}T00:00 Europe/Kyiv",
        "conversion_drivers": drivers(),
        "conversion_intercept": INTERCEPT,
        "rep_conversion_effects": {name: effect for name, _, _, effect in REPS},
        "noise_attributes": list(NOISE_ATTRIBUTES),
        "bottleneck_stage": BOTTLENECK_STAGE,
        "stage_median_working_days": {s[0]: s[4] for s in STAGES if s[4] > 0},
        "best_cac_channel": BEST_CAC_CHANNEL,
        "channel_cac_uah": {name: cac for name, _, _, cac in CHANNELS},
        "behaviour_groups": dict(GROUP_SHARES),
        "customer_groups": customer_groups(world),
        "product_problem": {
            "product": products.names[products.problem],
            "sku": products.sku[products.problem],
            "theme": PROBLEM_THEME,
            "keywords": list(THEME_WORDS[PROBLEM_THEME]),
        },
    }
