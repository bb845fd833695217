"""Discounted customer lifetime value: expected purchases month by month (BG/NBD or MBG/NBD)
times expected spend per purchase (Gamma-Gamma, or any per-customer estimate) times margin,
discounted at a monthly rate.

    CLV = margin * spend * sum_{k=1..months} (E[Y(k u)] - E[Y((k-1) u)]) / (1 + d)^k

where E[Y(t)] is the conditional expectation of purchases in the next t given the history,
u is one month in the model's time unit and d the monthly discount rate: each month's purchases
are discounted from the end of that month. This is the discounted form of the KPI catalogue's
CLV (Fader, Hardie & Lee 2005 for the purchases, Fader & Hardie note 025 for the spend), the
same construction as lifetimes' `customer_lifetime_value`, except that a month here is
30.4375 days (4.348 weeks) where lifetimes takes 30 days or 4.345 weeks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from salesmetrics.analytics.clv.bgnbd import PurchaseModel
from salesmetrics.analytics.clv.errors import BadInput
from salesmetrics.analytics.clv.inputs import as_floats, histories, same_length
from salesmetrics.analytics.clv.units import DAYS_PER_MONTH, F64, units_per_month

BLOCK = 100_000  # customers per block: bounds memory at (months + 1) x BLOCK floats per table


def monthly_purchases(model: PurchaseModel, frequency: ArrayLike, recency: ArrayLike,
                      T: ArrayLike, *, months: int = 12,
                      days_per_month: float = DAYS_PER_MONTH) -> F64:  # fmt: skip
    """Expected purchases in each of the next `months` months: a (months, customers) table."""
    if months < 1:
        raise BadInput(f"the horizon must be at least one month, got {months}")
    x, t_x, big_t = histories(frequency, recency, T)
    step = units_per_month(model.time_unit, days_per_month)
    horizons = (np.arange(months + 1) * step)[:, None]
    out = np.empty((months, len(x)))
    for lo in range(0, len(x), BLOCK):
        part = slice(lo, lo + BLOCK)
        cumulative = model.conditional_expected(horizons, x[part], t_x[part], big_t[part])
        out[:, part] = np.diff(cumulative, axis=0)
    return out


def discounted_clv(model: PurchaseModel, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike,
                   spend: ArrayLike, *, months: int = 12, monthly_discount: float = 0.01,
                   margin: float = 1.0, days_per_month: float = DAYS_PER_MONTH) -> F64:  # fmt: skip
    """Each customer's discounted value over the next `months` months; `spend` is their
    expected spend per purchase (e.g. `GammaGamma.conditional_expected_spend`), `margin` the
    share of it that is profit (1.0: value in revenue)."""
    money = as_floats("spend", spend)
    same_length(frequency=np.asarray(frequency), spend=money)
    if not monthly_discount > -1:
        raise BadInput(f"the monthly discount rate must be above -1, got {monthly_discount}")
    per_month = monthly_purchases(model, frequency, recency, T, months=months,
                                  days_per_month=days_per_month)  # fmt: skip
    discount = (1 + monthly_discount) ** -np.arange(1, months + 1, dtype=np.float64)
    out: F64 = margin * money * np.sum(discount[:, None] * per_month, axis=0)
    return out
