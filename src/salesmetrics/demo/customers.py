"""Customers and their hidden behaviour groups (loyal, one-off, churned, new).

The group decides when a customer is acquired and how they buy afterwards; it is never stored
in a customer column, only in the truth. B2B customers come from converted leads, at the moment
they converted; shop (B2C) customers fill each group up to its exact share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from salesmetrics.demo.catalog import CHANNELS
from salesmetrics.demo.deals import WON, LeadOutcome
from salesmetrics.demo.leads import Leads
from salesmetrics.demo.names import REGIONS, region_weights
from salesmetrics.demo.spec import (
    CHURNED,
    CHURNED_ACQUIRED_BEFORE,
    CHURNED_QUIET_DAYS,
    GROUP_SHARES,
    LOYAL,
    LOYAL_ACQUIRED_BEFORE,
    NEW,
    NEW_WINDOW_DAYS,
    ONE_OFF,
    STREAM_CUSTOMERS,
    SizeSpec,
    rng,
)
from salesmetrics.demo.timeline import F64, SHOP_HOURS, Timeline, clock, sample_days

I64 = NDArray[np.int64]
B = NDArray[np.bool_]

SHOP_SEASON = np.array([0.85, 0.8, 0.9, 0.95, 1.0, 0.95, 0.9, 0.95, 1.0, 1.05, 1.35, 1.45])
SHOP_WEEK = np.array([1.05, 1.0, 1.0, 1.0, 0.95, 0.9, 1.05])
# Mean days between orders while a customer is active, by group (loyal, one-off, churned, new).
GAP_DAYS = (21.0, 0.0, 28.0, 30.0)
B2B_GAP_DAYS = 40.0


@dataclass(slots=True)
class Customers:
    """One row per customer, sorted by acquisition (id = position + 1)."""

    acquired: F64  # local days: the time of the first order
    group: I64
    lead: I64  # the converted lead of a B2B customer, -1 for shop customers
    channel: I64
    region: I64
    newsletter: B
    buys_until: F64  # end of the window of repeat orders (local days)
    gap_days: F64  # mean days between repeat orders (0: never again)

    @property
    def n(self) -> int:
        return len(self.acquired)

    @property
    def b2b(self) -> B:
        out: B = self.lead >= 0
        return out


def group_counts(total: int) -> I64:
    """Exact group sizes for a customer count (largest remainder)."""
    raw = np.array(list(GROUP_SHARES.values())) * total
    counts: I64 = np.floor(raw).astype(np.int64)
    counts[np.argsort(raw - counts)[::-1][: total - counts.sum()]] += 1
    return counts


def _b2b_groups(acquired: F64, days: int, gen: np.random.Generator) -> I64:
    """A group for each B2B customer that its acquisition time allows."""
    share = np.array(list(GROUP_SHARES.values()))
    allowed = np.zeros((len(acquired), 4), np.bool_)
    allowed[:, ONE_OFF] = acquired < days - NEW_WINDOW_DAYS
    allowed[:, LOYAL] = acquired < days - LOYAL_ACQUIRED_BEFORE
    allowed[:, CHURNED] = acquired < days - CHURNED_ACQUIRED_BEFORE
    allowed[:, NEW] = ~allowed[:, ONE_OFF]
    p = allowed * share
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    out: I64 = np.minimum((gen.random(len(acquired))[:, None] > cum).sum(axis=1), 3)
    return out


def _shop_acquisitions(tl: Timeline, counts: I64, gen: np.random.Generator) -> tuple[F64, I64]:
    """Acquisition times of shop customers per group, so that all groups add up to a smooth curve.

    Loyal and churned customers must be acquired early enough to show their behaviour; one-off
    customers take the rest of each day's acquisitions, new ones the last NEW_WINDOW_DAYS.
    """
    weights = tl.day_weights(0.4, SHOP_SEASON, SHOP_WEEK)
    d = np.arange(tl.days)
    body = d < tl.days - NEW_WINDOW_DAYS
    total = weights[body].sum()
    # Loyal customers lean early: the shop's regulars found it soon after it opened.
    loyal = (d < tl.days - LOYAL_ACQUIRED_BEFORE) * weights * np.exp(-d / 250.0)
    churned = (d < tl.days - CHURNED_ACQUIRED_BEFORE) * weights
    loyal *= GROUP_SHARES["loyal"] / 0.9 * total / loyal.sum()
    churned *= GROUP_SHARES["churned"] / 0.9 * total / churned.sum()
    one_off = np.maximum(body * weights - loyal - churned, 1e-9 * body)
    new = (~body) * weights
    times, groups = [], []
    for g, w in ((LOYAL, loyal), (ONE_OFF, one_off), (CHURNED, churned), (NEW, new)):
        k = int(counts[g])
        w = np.maximum(w, 1e-12)  # sampling needs positive weights; the window masks the rest
        hi = (
            tl.days
            - {
                LOYAL: LOYAL_ACQUIRED_BEFORE,
                ONE_OFF: NEW_WINDOW_DAYS,
                CHURNED: CHURNED_ACQUIRED_BEFORE,
                NEW: 0,
            }[g]
        )
        lo = 0 if g != NEW else tl.days - NEW_WINDOW_DAYS
        times.append(sample_days(w, np.full(k, float(lo)), np.full(k, float(hi)), gen))
        groups.append(np.full(k, g, np.int64))
    return np.concatenate(times), np.concatenate(groups)


def build_customers(
    spec: SizeSpec, tl: Timeline, leads: Leads, outcome: LeadOutcome, seed: int
) -> Customers:
    """All customers: B2B from converted leads, then shop customers to fill the group shares."""
    gen = rng(seed, STREAM_CUSTOMERS)
    b2b_lead = np.flatnonzero(outcome.status == WON)
    b2b_at = outcome.decided[b2b_lead]
    b2b_group = _b2b_groups(b2b_at, tl.days, gen)
    counts = group_counts(spec.customers) - np.bincount(b2b_group, minlength=4)
    shop_at, shop_group = _shop_acquisitions(tl, np.maximum(counts, 0), gen)
    shop_at = clock(shop_at, SHOP_HOURS, gen)
    m = len(shop_at)
    shares = np.array([c[2] for c in CHANNELS])
    acquired = np.concatenate([b2b_at, shop_at])
    order = np.lexsort((gen.random(len(acquired)), acquired))
    group = np.concatenate([b2b_group, shop_group])
    gap = np.asarray(GAP_DAYS)[group]
    gap[: len(b2b_lead)] = np.where(group[: len(b2b_lead)] == ONE_OFF, 0.0, B2B_GAP_DAYS)
    n = len(acquired)
    customers = Customers(
        acquired=acquired,
        group=group,
        lead=np.concatenate([b2b_lead, np.full(m, -1, np.int64)]),
        channel=np.concatenate(
            [leads.channel[b2b_lead], gen.choice(len(CHANNELS), size=m, p=shares / shares.sum())]
        ),
        region=np.concatenate(
            [leads.region[b2b_lead], gen.choice(len(REGIONS), size=m, p=region_weights())]
        ),
        newsletter=gen.random(n) < 0.4,
        buys_until=_buys_until(acquired, group, tl, gen),
        gap_days=gap,
    )
    for name in Customers.__slots__:
        setattr(customers, name, getattr(customers, name)[order])
    return customers


def _buys_until(acquired: F64, group: I64, tl: Timeline, gen: np.random.Generator) -> F64:
    """Churned customers stop after a few months of buying and stay quiet; others buy to the cut."""
    stop = acquired + gen.uniform(120.0, 420.0, len(acquired))
    stop = np.minimum(stop, float(tl.days - CHURNED_QUIET_DAYS))
    out: F64 = np.where(group == CHURNED, stop, float(tl.days))
    return out
