"""The whole demo business drawn as arrays, before any table is built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from salesmetrics.demo.activities import SalesWorld
from salesmetrics.demo.catalog import Products, build_products
from salesmetrics.demo.customers import Customers, build_customers
from salesmetrics.demo.deals import Deals, LeadOutcome, build_deals, settle_leads
from salesmetrics.demo.feedback import FeedbackLinks
from salesmetrics.demo.leads import Leads, build_leads
from salesmetrics.demo.order_lines import OrderContext
from salesmetrics.demo.orders import Baskets, OrderPlan, build_baskets, build_plan
from salesmetrics.demo.spec import SIZES, SizeSpec
from salesmetrics.demo.timeline import Timeline
from salesmetrics.domain.enums import DemoSize

I64 = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class World:
    """Every entity of the demo and the links between them (indices are 0-based ids)."""

    spec: SizeSpec
    tl: Timeline
    seed: int
    products: Products
    leads: Leads
    outcome: LeadOutcome
    deals: Deals
    customers: Customers
    baskets: Baskets
    plan: OrderPlan
    owner: I64  # owner rep per customer, -1 for shop customers
    customer_of_lead: I64  # -1 unless the lead converted
    deal_customer: I64  # the customer a won deal created, else -1
    deal_amount: I64  # minor units; won deals carry their first order's total
    bounds: dict[str, I64]  # first row of each month in leads, deals and customers

    def order_context(self) -> OrderContext:
        """What month-by-month order generation needs."""
        line_base = np.concatenate([[0], np.cumsum(self.plan.lines)])[self.plan.month_starts]
        return OrderContext(
            self.plan, self.baskets, self.products, self.owner, self.tl, self.seed, line_base
        )

    def sales(self) -> SalesWorld:
        """What activity generation needs."""
        return SalesWorld(
            self.leads, self.outcome, self.deals, self.customers, self.owner, self.tl, self.seed
        )

    def feedback_links(self) -> FeedbackLinks:
        """Owner rep and winning deal of each customer, for feedback rows."""
        deal = np.where(
            self.customers.b2b, self.outcome.deal[np.maximum(self.customers.lead, 0)], -1
        )
        return FeedbackLinks(self.owner, deal)


def build_world(size: DemoSize, seed: int, as_of: date) -> World:
    """Draw everything: leads and deals first, then customers, baskets and the order plan."""
    spec, tl = SIZES[size], Timeline.ending(as_of)
    products = build_products(spec, seed)
    leads = build_leads(spec, tl, seed)
    deals = build_deals(leads, tl, seed)
    outcome = settle_leads(leads, deals, tl, seed)
    customers = build_customers(spec, tl, leads, outcome, seed)
    baskets = build_baskets(customers, deals, outcome, products, tl, seed)
    plan = build_plan(customers, baskets, tl, seed)
    b2b = customers.b2b
    lead = np.maximum(customers.lead, 0)
    owner = np.where(b2b, leads.owner[lead], -1)
    customer_of_lead = np.full(leads.n, -1, np.int64)
    customer_of_lead[customers.lead[b2b]] = np.flatnonzero(b2b)
    deal_customer = customer_of_lead[deals.lead]
    amount = deals.target_minor.copy()
    basket_of = np.full(customers.n, -1, np.int64)
    basket_of[baskets.customer] = np.arange(len(baskets.customer))
    won = deal_customer >= 0
    amount[won] = baskets.totals()[basket_of[deal_customer[won]]]
    starts = tl.month_starts.astype(np.float64)
    bounds = {
        "leads": np.searchsorted(leads.created, starts).astype(np.int64),
        "deals": np.searchsorted(tl.work_to_local(deals.created), starts).astype(np.int64),
        "customers": np.searchsorted(customers.acquired, starts).astype(np.int64),
    }
    return World(
        spec,
        tl,
        seed,
        products,
        leads,
        outcome,
        deals,
        customers,
        baskets,
        plan,
        owner,
        customer_of_lead,
        deal_customer,
        amount,
        bounds,
    )
