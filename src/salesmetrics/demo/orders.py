"""When each customer orders: the order plan, drawn whole, before any line is written.

The plan holds one row per order (time, customer, kind, line count, status, channel), sorted by
time, so that orders and their lines can then be generated month by month with bounded memory.
B2B customers' first orders are the baskets their deals were won with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from salesmetrics.demo.catalog import CHANNELS, Products
from salesmetrics.demo.customers import SHOP_SEASON, SHOP_WEEK, Customers
from salesmetrics.demo.deals import Deals, LeadOutcome
from salesmetrics.demo.leads import B2B_SEASON, B2B_WEEK
from salesmetrics.demo.spec import CHURNED, LOYAL, NEW, STREAM_BASKETS, STREAM_ORDERS, rng
from salesmetrics.demo.timeline import F64, SHOP_HOURS, Timeline, clock, office_clock, sample_days
from salesmetrics.domain.enums import OrderStatus

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
I8 = NDArray[np.int8]

SHOP, B2B_FIRST, B2B_REPEAT = 0, 1, 2
STATUSES = (OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.PENDING)
PAID, CANCELLED, REFUNDED, PENDING = range(4)
PRICE_RISE_PER_YEAR = 0.09  # list prices went up; older orders carry older prices
DIRECT_BASKET_UAH = 8_000.0


@dataclass(slots=True)
class Baskets:
    """The first order of each B2B customer, line by line (rows follow customer order)."""

    customer: I64  # customer index of each basket
    offsets: I64  # basket b owns lines offsets[b]:offsets[b+1]
    product: I64
    quantity: I64
    unit_price: I64
    discount: I64

    def totals(self) -> I64:
        """Each basket's total (sum of its line totals), minor units."""
        line = self.quantity * self.unit_price - self.discount
        out: I64 = np.add.reduceat(line, self.offsets[:-1]) if len(line) else np.zeros(0, np.int64)
        return out


@dataclass(slots=True)
class OrderPlan:
    """One row per order, sorted by time (id = position + 1)."""

    at: F64
    customer: I32
    kind: I8
    lines: I8
    status: I8
    channel: I8
    basket: I32  # basket index of B2B first orders, -1 otherwise
    month_starts: I64  # first order of each month, then the order count

    @property
    def n(self) -> int:
        return len(self.at)


def price_at(list_price: I64, t: F64, tl: Timeline) -> I64:
    """The price an item had at local time t, to the whole hryvnia."""
    factor = 1.0 - PRICE_RISE_PER_YEAR * (tl.days - t) / 365.0
    out: I64 = (np.round(list_price * factor / 100.0) * 100).astype(np.int64)
    return out


def build_baskets(
    customers: Customers,
    deals: Deals,
    outcome: LeadOutcome,
    products: Products,
    tl: Timeline,
    seed: int,
) -> Baskets:
    """What each B2B customer bought when they converted, sized to the deal in talks."""
    gen = rng(seed, STREAM_BASKETS)
    who = np.flatnonzero(customers.b2b)
    deal = outcome.deal[customers.lead[who]]
    with_deal = deal >= 0
    target = np.where(
        with_deal,
        deals.target_minor[np.maximum(deal, 0)].astype(np.float64),
        gen.lognormal(np.log(DIRECT_BASKET_UAH), 0.6, len(who)) * 100.0,
    )
    count = np.where(
        with_deal,
        2 + np.minimum(gen.poisson(2.5, len(who)), 6),
        1 + np.minimum(gen.poisson(1.2, len(who)), 4),
    )
    offsets = np.concatenate([[0], np.cumsum(count)]).astype(np.int64)
    owner = np.repeat(np.arange(len(who)), count)
    at = customers.acquired[who][owner]
    product = np.zeros(len(owner), np.int64)
    months = tl.cal_month[np.floor(at).astype(np.int64)]
    for month in range(1, 13):
        rows = np.flatnonzero(months == month)
        product[rows] = gen.choice(
            len(products.names), size=len(rows), p=products.weights(month, True)
        )
    unit = price_at(products.price[product], at, tl)
    quantity = np.clip(np.round(target[owner] / count[owner] / unit), 1, 500).astype(np.int64)
    gross = quantity * unit
    discount = (np.round(gross * gen.uniform(0.05, 0.12, len(owner)) / 100.0) * 100).astype(
        np.int64
    )
    return Baskets(who, offsets, product, quantity, unit, discount)


def _repeats(customers: Customers, tl: Timeline, gen: np.random.Generator) -> tuple[I64, F64]:
    """Later orders of each customer: a Poisson count over its buying window, spread by season."""
    lo = np.floor(customers.acquired) + 1.0  # later orders fall on later days than the first
    span = np.maximum(customers.buys_until - lo, 0.0)
    rate = np.divide(
        span, customers.gap_days, out=np.zeros_like(span), where=customers.gap_days > 0
    )
    # Customers differ in appetite: a gamma-mixed Poisson (negative binomial).
    count = gen.poisson(rate * gen.gamma(3.0, 1.0 / 3.0, customers.n))
    count = np.where((customers.group == CHURNED) & (span > 0), np.maximum(count, 2), count)
    count = np.where((customers.group == LOYAL) & (span > 0), np.maximum(count, 3), count)
    count = np.where(customers.group == NEW, np.minimum(count, 3), count)
    who = np.repeat(np.arange(customers.n), count)
    b2b = customers.b2b[who]
    shop_w = tl.day_weights(0.4, SHOP_SEASON, SHOP_WEEK)
    b2b_w = tl.day_weights(0.4, B2B_SEASON, B2B_WEEK)
    day = np.empty(len(who))
    for mask, weights in ((~b2b, shop_w), (b2b, b2b_w)):
        rows = np.flatnonzero(mask)
        day[rows] = sample_days(weights, lo[who[rows]], customers.buys_until[who[rows]], gen)
    at = np.where(b2b, office_clock(day, gen), clock(day, SHOP_HOURS, gen))
    return who, at


def build_plan(customers: Customers, baskets: Baskets, tl: Timeline, seed: int) -> OrderPlan:
    """Every order of the demo: first orders at acquisition, then the repeats."""
    gen = rng(seed, STREAM_ORDERS)
    who, at = _repeats(customers, tl, gen)
    when = np.concatenate([customers.acquired, at])
    order = np.argsort(when, kind="stable")
    del at
    when = when[order]
    customer = np.concatenate([np.arange(customers.n, dtype=np.int32), who.astype(np.int32)])[order]
    is_first = order < customers.n
    del who, order
    b2b = customers.b2b[customer]
    kind = np.where(b2b, np.where(is_first, B2B_FIRST, B2B_REPEAT), SHOP).astype(np.int8)
    del b2b
    basket_of = np.full(customers.n, -1, np.int32)
    basket_of[baskets.customer] = np.arange(len(baskets.customer), dtype=np.int32)
    basket = np.where(kind == B2B_FIRST, basket_of[customer], np.int32(-1))
    n = len(when)
    extra = np.where(kind == SHOP, np.minimum(gen.poisson(0.9, n), 5), 0)
    extra = np.where(kind == B2B_REPEAT, 1 + np.minimum(gen.poisson(1.5, n), 6), extra)
    sizes = np.diff(baskets.offsets)
    lines = np.where(kind == B2B_FIRST, sizes[np.maximum(basket, 0)], 1 + extra).astype(np.int8)
    return OrderPlan(
        at=when,
        customer=customer,
        kind=kind,
        lines=lines,
        status=_statuses(when, is_first, tl, gen),
        channel=_channels(customers.channel[customer], kind, is_first, gen),
        basket=basket,
        month_starts=np.searchsorted(when, tl.month_starts.astype(np.float64)).astype(np.int64),
    )


def _statuses(at: F64, is_first: NDArray[np.bool_], tl: Timeline, gen: np.random.Generator) -> I8:
    """Mostly paid; the acquiring order always is. Only the last days still have pending ones."""
    status = gen.choice(3, size=len(at), p=[0.925, 0.04, 0.035])
    recent = (at >= tl.days - 3) & (gen.random(len(at)) < 0.5)
    status = np.where(recent, PENDING, status)
    out: I8 = np.where(is_first, PAID, status).astype(np.int8)
    return out


def _channels(
    home: NDArray[np.integer], kind: I8, is_first: NDArray[np.bool_], gen: np.random.Generator
) -> I8:
    """Repeat shop orders come back through the acquiring channel or through another shop one."""
    shares = np.array([c[2] for c in CHANNELS])
    other = gen.choice(len(CHANNELS), size=len(home), p=shares / shares.sum())
    stray = (kind == SHOP) & ~is_first & (gen.random(len(home)) < 0.3)
    out: I8 = np.where(stray, other, home).astype(np.int8)
    return out
