"""One month of orders and their lines, drawn from the plan with the month's own random stream."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from salesmetrics.demo import columns as col
from salesmetrics.demo.catalog import Products
from salesmetrics.demo.orders import B2B_FIRST, SHOP, STATUSES, Baskets, OrderPlan, price_at
from salesmetrics.demo.spec import CURRENCY, SOURCE, STREAM_LINES, rng
from salesmetrics.demo.timeline import F64, Timeline

I64 = NDArray[np.int64]

FREE_SHIPPING_FROM = 150_000  # 1 500 UAH
SHIPPING = 7_000  # Nova Poshta to a branch, charged below the free-shipping threshold


@dataclass(slots=True)
class Month:
    """What later steps (feedback, targets) need to know about a month's orders."""

    order: I64  # plan positions
    subtotal: I64  # sum of line totals per order
    first_product: I64
    has_problem: NDArray[np.bool_]
    lines: pa.Table
    orders: pa.Table


@dataclass(frozen=True, slots=True)
class OrderContext:
    """Everything a month needs besides its index."""

    plan: OrderPlan
    baskets: Baskets
    products: Products
    owner: I64  # owner rep index per customer, -1 for shop customers
    tl: Timeline
    seed: int
    line_base: I64  # lines before each month's first order


def _drawn_lines(ctx: OrderContext, pos: I64, gen: np.random.Generator) -> tuple[I64, ...]:
    """Lines of shop orders and B2B re-orders: (order pos, product, quantity, price, discount)."""
    plan, products = ctx.plan, ctx.products
    owner = np.repeat(pos, plan.lines[pos])
    shop = plan.kind[owner] == SHOP
    at = plan.at[owner]
    month = int(ctx.tl.cal_month[int(np.floor(at[0]))]) if len(at) else 1
    product = np.where(
        shop,
        gen.choice(len(products.names), size=len(owner), p=products.weights(month, False)),
        gen.choice(len(products.names), size=len(owner), p=products.weights(month, True)),
    )
    # Two lines of one order rarely name the same item: move a repeat to the next product.
    same = np.concatenate([[False], (owner[1:] == owner[:-1]) & (product[1:] == product[:-1])])
    product = np.where(same, (product + 1) % len(products.names), product)
    quantity = np.where(
        shop,
        1 + (gen.random(len(owner)) < 0.18) + (gen.random(len(owner)) < 0.05),
        2 + gen.poisson(4.0, len(owner)),
    ).astype(np.int64)
    unit = price_at(products.price[product], at, ctx.tl)
    rate = np.where(
        shop,
        np.where(gen.random(len(owner)) < 0.15, gen.uniform(0.05, 0.25, len(owner)), 0.0),
        gen.uniform(0.05, 0.12, len(owner)),
    )
    discount = (np.round(quantity * unit * rate / 100.0) * 100).astype(np.int64)
    return owner, product, quantity, unit, discount


def _basket_lines(ctx: OrderContext, pos: I64) -> tuple[I64, ...]:
    b = ctx.baskets
    basket = ctx.plan.basket[pos]
    size = b.offsets[basket + 1] - b.offsets[basket]
    owner = np.repeat(pos, size)
    starts = np.repeat(b.offsets[basket], size)
    idx = starts + np.arange(len(owner)) - np.repeat(np.cumsum(size) - size, size)
    return owner, b.product[idx], b.quantity[idx], b.unit_price[idx], b.discount[idx]


def month_orders(ctx: OrderContext, m: int) -> Month:
    """Orders and order lines of month m, with the facts feedback and targets need."""
    plan = ctx.plan
    pos = np.arange(plan.month_starts[m], plan.month_starts[m + 1], dtype=np.int64)
    gen = rng(ctx.seed, STREAM_LINES, m)
    drawn = _drawn_lines(ctx, pos[plan.kind[pos] != B2B_FIRST], gen)
    given = _basket_lines(ctx, pos[plan.kind[pos] == B2B_FIRST])
    parts = [np.concatenate([a, b]) for a, b in zip(drawn, given, strict=True)]
    order = np.argsort(parts[0], kind="stable")
    owner, product, quantity, unit, discount = (p[order] for p in parts)
    total = quantity * unit - discount
    first = np.searchsorted(owner, pos)
    line_no = np.arange(len(owner)) - np.repeat(first, plan.lines[pos]) + 1
    subtotal = np.add.reduceat(total, first) if len(owner) else np.zeros(0, np.int64)
    lines = pa.table(
        {
            "id": col.ids(ctx.line_base[m] + 1 + np.arange(len(owner))),
            "order_id": col.ids(owner + 1),
            "line_no": col.ids(line_no),
            "product_id": col.ids(product + 1),
            "quantity": col.ids(quantity),
            "unit_price_minor": col.ids(unit),
            "discount_minor": col.ids(discount),
            "line_total_minor": col.ids(total),
            "currency": col.const(CURRENCY, len(owner)),
        }
    )
    discounts = np.add.reduceat(discount, first) if len(owner) else np.zeros(0, np.int64)
    orders = _orders_table(ctx, pos, subtotal, discounts)
    problem = (
        np.maximum.reduceat(product == ctx.products.problem, first)
        if len(owner)
        else np.zeros(0, np.bool_)
    )
    return Month(pos, subtotal, product[first], problem.astype(np.bool_), lines, orders)


def _orders_table(ctx: OrderContext, pos: I64, subtotal: I64, discount: I64) -> pa.Table:
    plan, n = ctx.plan, len(pos)
    shop = plan.kind[pos] == SHOP
    shipping = np.where(shop & (subtotal < FREE_SHIPPING_FROM), SHIPPING, 0)
    rep = ctx.owner[plan.customer[pos]]
    at: F64 = plan.at[pos]
    return pa.table(
        {
            "id": col.ids(pos + 1),
            "external_id": col.external("ORD-", pos + 1, 8),
            "source": col.const(SOURCE, n),
            "customer_id": col.ids(plan.customer[pos] + 1),
            "rep_id": col.ids(rep + 1, null=rep < 0),
            "channel_id": col.ids(plan.channel[pos] + 1),
            "ordered_at": col.timestamps(ctx.tl, at),
            "status": col.pick([str(s) for s in STATUSES], plan.status[pos]),
            "currency": col.const(CURRENCY, n),
            "total_minor": col.ids(subtotal + shipping),
            "discount_minor": col.ids(discount),
            "tax_minor": col.ids(np.zeros(n, np.int64)),
            "shipping_minor": col.ids(shipping),
        }
    )
