"""Deals through the pipeline, and what the data cut leaves of each lead's story.

Every qualified lead opens one deal. A deal walks the open stages in order (sometimes skipping
one), spending a log-normal number of working days in each; the proposal stage is planted slow.
Won deals reach negotiation and then Won; lost deals stop at some stage and go to Lost. Events on
or after the data cut are not recorded, which leaves recent deals and leads open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from salesmetrics.demo.catalog import LOST_STAGE, OPEN_STAGES, STAGES, WON_STAGE
from salesmetrics.demo.leads import Leads
from salesmetrics.demo.spec import STREAM_DEALS, rng
from salesmetrics.demo.timeline import F64, Timeline

I64 = NDArray[np.int64]
B = NDArray[np.bool_]

OPEN, WON, LOST = 0, 1, 2  # status codes of deals and (open, converted, lost) of leads
LOST_REASONS = ("Ціна", "Обрали конкурента", "Немає бюджету", "Не на часі", "Немає відповіді")
SKIP_CHANCE = (0.0, 0.12, 0.15, 0.04, 0.0)  # by open stage; never the first or the last reached
LOST_AT = (0.3, 0.25, 0.2, 0.15, 0.1)  # the furthest open stage a lost deal reached
SIZE_AMOUNT = (0.5, 1.0, 1.8, 3.0)  # deal size by company size band
MEDIAN_AMOUNT_UAH = 30_000.0


@dataclass(slots=True)
class Deals:
    """One row per deal, sorted by creation (id = position + 1). Times are working time."""

    lead: I64
    entry: F64  # (n, OPEN_STAGES): when each open stage was entered; NaN: skipped or not yet
    end: F64  # when it was won or lost; NaN while open
    status: I64
    stage: I64  # current stage position, 0-based
    target_minor: I64  # the amount in talks; won deals later take their order's total
    lost_reason: I64  # -1 unless lost
    expected_close_day: I64  # local day index
    planned_close_day: I64  # the close day first expected (before any push)
    middle_close_day: I64  # the close day after the first of two pushes; -1 with fewer

    @property
    def n(self) -> int:
        return len(self.lead)

    @property
    def created(self) -> F64:
        out: F64 = self.entry[:, 0]
        return out


@dataclass(slots=True)
class LeadOutcome:
    """What the data shows of each lead at the cut."""

    status: I64  # OPEN, WON (= converted) or LOST
    decided: F64  # local days; NaN while open
    first_response: F64  # local days; NaN if nobody answered before the cut
    deal: I64  # deal index or -1


def _paths(won: B, gen: np.random.Generator) -> tuple[B, F64]:
    """Which open stages each deal visits and how long it stays in each (working days)."""
    n = len(won)
    furthest = np.where(won, OPEN_STAGES - 1, gen.choice(OPEN_STAGES, size=n, p=LOST_AT))
    stage = np.arange(OPEN_STAGES)
    reached = stage[None, :] <= furthest[:, None]
    skip = (gen.random((n, OPEN_STAGES)) < np.asarray(SKIP_CHANCE)) & (
        stage[None, :] < furthest[:, None]
    )
    visited = reached & ~skip
    medians = np.log([s[4] for s in STAGES[:OPEN_STAGES]])
    days = gen.lognormal(medians[None, :], 0.55, (n, OPEN_STAGES))
    days *= np.where(won, 0.9, 1.0)[:, None]
    # A lost deal lingers where it stopped before someone marks it lost.
    days[np.arange(n), furthest] *= np.where(won, 1.0, 1.3)
    return visited, np.where(visited, days, 0.0)


def build_deals(leads: Leads, tl: Timeline, seed: int) -> Deals:
    """Open a deal for each qualified lead and walk it through the pipeline."""
    gen = rng(seed, STREAM_DEALS)
    idx = np.flatnonzero(leads.has_deal)
    created = leads.response_w[idx] + gen.uniform(0.1, 3.0, len(idx))
    keep = created < tl.work_cut
    idx, created = idx[keep], created[keep]
    order = np.argsort(created, kind="stable")
    idx, created = idx[order], created[order]
    won = leads.converted[idx]
    visited, days = _paths(won, gen)
    start = created[:, None] + np.cumsum(days, axis=1) - days
    entry = np.where(visited & (start < tl.work_cut), start, np.nan)
    finish = created + days.sum(axis=1)
    closed = finish < tl.work_cut
    status = np.where(closed, np.where(won, WON, LOST), OPEN)
    last_open = OPEN_STAGES - 1 - np.argmax(~np.isnan(entry[:, ::-1]), axis=1)
    stage = np.where(status == WON, WON_STAGE, np.where(status == LOST, LOST_STAGE, last_open))
    n = len(idx)
    amount = gen.lognormal(np.log(MEDIAN_AMOUNT_UAH), 0.7, n)
    amount *= np.asarray(SIZE_AMOUNT)[leads.size_band[idx]]
    cycle = gen.lognormal(np.log(45.0), 0.35, n)
    expected = np.floor(tl.work_to_local(created) + cycle).astype(np.int64)
    planned = expected
    stale = (status == OPEN) & (expected < tl.days) & (gen.random(n) < 0.6)
    expected = np.where(stale, tl.days + gen.integers(3, 40, n), expected)
    lost_reason = np.where(status == LOST, gen.choice(len(LOST_REASONS), size=n), -1)
    # Half the pushed deals were pushed twice: once when the first date passed, again later.
    middle = planned + gen.integers(5, 20, n)
    twice = stale & (gen.random(n) < 0.5) & (middle < tl.days - 1)
    return Deals(
        lead=idx,
        entry=entry,
        end=np.where(closed, finish, np.nan),
        status=status.astype(np.int64),
        stage=stage.astype(np.int64),
        target_minor=(np.round(amount / 100.0) * 10_000).astype(np.int64),
        lost_reason=lost_reason,
        expected_close_day=expected,
        planned_close_day=planned,
        middle_close_day=np.where(twice, middle, -1),
    )


def settle_leads(leads: Leads, deals: Deals, tl: Timeline, seed: int) -> LeadOutcome:
    """Status and decision time of each lead as of the cut."""
    gen = rng(seed, STREAM_DEALS, 1)
    n = leads.n
    deal = np.full(n, -1, np.int64)
    deal[deals.lead] = np.arange(deals.n)
    # Leads without a deal are decided on the phone: bought directly, or disqualified.
    direct = leads.response_w + gen.lognormal(np.log(np.where(leads.converted, 6.0, 4.0)), 0.6)
    has = deal >= 0
    decided_w = np.where(
        has, deals.end[np.maximum(deal, 0)], np.where(leads.has_deal, np.nan, direct)
    )
    decided_w = np.where(decided_w < tl.work_cut, decided_w, np.nan)
    outcome = np.where(leads.converted, WON, LOST)
    status = np.where(np.isnan(decided_w), OPEN, outcome).astype(np.int64)
    response = np.where(leads.response_w < tl.work_cut, tl.work_to_local(leads.response_w), np.nan)
    return LeadOutcome(
        status=status,
        decided=np.where(np.isnan(decided_w), np.nan, tl.work_to_local(np.nan_to_num(decided_w))),
        first_response=response,
        deal=deal,
    )
