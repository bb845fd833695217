"""The demo business: a Ukrainian home-goods shop with a B2B sales team, and its ground truth.

`generate(size, seed, as_of)` draws the whole business as arrays (fast, vectorised) and returns a
`DemoData` whose `batches()` builds the Arrow tables lazily, in load order, month by month, so
even the large size streams with bounded memory. Same (size, seed, as_of), same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pyarrow as pa

from salesmetrics.demo import catalog, planning
from salesmetrics.demo.activities import month_activities
from salesmetrics.demo.feedback import month_feedback
from salesmetrics.demo.order_lines import month_orders
from salesmetrics.demo.orders import PAID
from salesmetrics.demo.parties import customers_table
from salesmetrics.demo.sales_tables import (
    change_counts,
    close_date_changes_table,
    deals_table,
    leads_table,
    stage_changes_table,
)
from salesmetrics.demo.spec import MONTHS
from salesmetrics.demo.truth import build_truth
from salesmetrics.demo.world import World, build_world
from salesmetrics.domain.enums import DemoSize

__all__ = ["DemoData", "generate"]

Batch = tuple[str, pa.Table]


class DemoData:
    """The generated demo: its ground truth and its tables, in load order."""

    def __init__(self, world: World, truth: dict[str, object]) -> None:
        self._world = world
        self.truth = truth
        self.expected_rows = _expected_rows(world)

    def batches(self) -> Iterator[Batch]:
        """(table name, Arrow table) pairs in load order; a table may come in several chunks."""
        w = self._world
        yield from _catalog(w)
        step = w.spec.chunk_rows
        for lo in range(0, w.customers.n, step):
            hi = min(lo + step, w.customers.n)
            yield "customers", customers_table(w.customers, w.leads, w.owner, w.tl, w.seed, lo, hi)
        yield from _sales(w)
        revenue = planning.Revenue()
        yield from _orders(w, revenue)
        next_id = 1
        for m in range(MONTHS):
            acts = month_activities(w.sales(), w.bounds, m, next_id)
            next_id += acts.num_rows
            yield "activities", acts
        yield "marketing_spend", planning.spend_table(w.tl, w.customers, w.seed)
        yield "targets", planning.targets_table(w.tl, revenue, w.seed)
        yield "fx_rates", planning.fx_table(w.tl, w.seed)


def generate(
    size: DemoSize = DemoSize.SMALL, seed: int = 42, as_of: date | None = None
) -> DemoData:
    """Draw the demo business of a size, ending the day before as_of (default: today)."""
    day = as_of or date.today()
    world = build_world(DemoSize(size), seed, day)
    return DemoData(world, build_truth(world, seed, day))


def _catalog(w: World) -> Iterator[Batch]:
    yield "settings", catalog.settings_table()
    yield "teams", catalog.teams_table()
    yield "reps", catalog.reps_table(w.tl)
    yield "channels", catalog.channels_table()
    yield "products", catalog.products_table(w.products)
    yield from catalog.pipeline_tables()


def _sales(w: World) -> Iterator[Batch]:
    leads, deals = w.bounds["leads"], w.bounds["deals"]
    for m in range(MONTHS):
        yield "leads", leads_table(w, int(leads[m]), int(leads[m + 1]))
    for m in range(MONTHS):
        yield "deals", deals_table(w, int(deals[m]), int(deals[m + 1]))
    first = np.concatenate([[0], np.cumsum(change_counts(w))]) + 1
    for m in range(MONTHS):
        lo, hi = int(deals[m]), int(deals[m + 1])
        yield "deal_stage_changes", stage_changes_table(w, lo, hi, int(first[lo]))
    yield "deal_close_date_changes", close_date_changes_table(w)


def _orders(w: World, revenue: planning.Revenue) -> Iterator[Batch]:
    """Orders, their lines and the feedback on them, month by month; revenue is tallied."""
    ctx, links = w.order_context(), w.feedback_links()
    next_feedback = 1
    for m in range(MONTHS):
        month = month_orders(ctx, m)
        yield "orders", month.orders
        yield "order_lines", month.lines
        paid = w.plan.status[month.order] == PAID
        revenue.company[m] = int(month.subtotal[paid].sum())
        rep = w.owner[w.plan.customer[month.order]]
        by_rep = paid & (rep >= 0)
        np.add.at(revenue.rep[:, m], rep[by_rep], month.subtotal[by_rep])
        feedback = month_feedback(ctx, month, links, m, next_feedback)
        next_feedback += feedback.num_rows
        yield "feedback", feedback


def _expected_rows(w: World) -> int:
    """About how many rows batches() yields (feedback and activities are estimated)."""
    fixed = len(catalog.REPS) + len(catalog.TEAMS) + len(catalog.CHANNELS) + len(catalog.STAGES)
    b2b = int(w.customers.b2b.sum())
    counted = (
        w.customers.n
        + w.leads.n
        + w.deals.n
        + int(change_counts(w).sum())
        + w.plan.n
        + int(w.plan.lines.sum())
        + len(w.products.names)
        + fixed
    )
    estimated = 0.1 * w.plan.n + 1.6 * w.leads.n + 5.0 * w.deals.n + 1.5 * b2b
    planning_rows = MONTHS * (len(catalog.CHANNELS) + len(catalog.REPS) + 1) + 2 * (w.tl.days + 1)
    return counted + int(estimated) + planning_rows
