"""Reps' calls, emails, meetings and tasks around leads, deals and B2B customers.

All of them are spaced on the working-time axis, so they happen in office hours. Leads and deals
that end well get a little more attention before the decision (a mild engagement signal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from salesmetrics.demo import columns as col
from salesmetrics.demo.catalog import OPEN_STAGES
from salesmetrics.demo.customers import Customers
from salesmetrics.demo.deals import OPEN, Deals, LeadOutcome
from salesmetrics.demo.leads import Leads
from salesmetrics.demo.spec import SOURCE, STREAM_ACTIVITIES, rng
from salesmetrics.demo.timeline import F64, Timeline
from salesmetrics.domain.enums import ActivityKind

I64 = NDArray[np.int64]

KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.TASK)
CALL, EMAIL, MEETING, TASK = range(4)
OUTCOMES = ("connected", "no_answer", "sent", "replied", "held", "done")
STAGE_RATE = (0.8, 1.2, 1.0, 1.5, 1.5)  # mean activities while a deal sits in each open stage
STAGE_KINDS = (  # call, email, meeting, task shares by open stage
    (0.6, 0.4, 0.0, 0.0),
    (0.5, 0.4, 0.0, 0.1),
    (0.3, 0.3, 0.4, 0.0),
    (0.2, 0.5, 0.1, 0.2),
    (0.5, 0.2, 0.3, 0.0),
)


@dataclass(frozen=True, slots=True)
class SalesWorld:
    """What activities are about: leads, their outcomes, deals and B2B customers."""

    leads: Leads
    outcome: LeadOutcome
    deals: Deals
    customers: Customers
    owner: I64  # owner rep per customer (-1 for shop customers)
    tl: Timeline
    seed: int


@dataclass(slots=True)
class Acts:
    """Activity rows before they become a table (times are working time)."""

    kind: I64
    w: F64  # when it happened, or when it is due if not done
    rep: I64
    lead: I64
    deal: I64
    customer: I64
    done: NDArray[np.bool_]

    @staticmethod
    def join(parts: list[Acts]) -> Acts:
        """All rows of several parts, in order."""
        return Acts(*(np.concatenate([getattr(p, f) for p in parts]) for f in Acts.__slots__))


def _spread(lo: F64, hi: F64, count: I64, gen: np.random.Generator) -> tuple[I64, F64]:
    """`count` moments uniform in [lo, hi) for each row: (row index, working time)."""
    row = np.repeat(np.arange(len(lo)), count)
    return row, lo[row] + gen.random(len(row)) * (hi[row] - lo[row])


def _kinds(n: int, shares: tuple[float, ...], gen: np.random.Generator) -> I64:
    """Activity kinds (call, email, meeting, task) drawn with the given shares."""
    out: I64 = gen.choice(len(KINDS), size=n, p=shares)
    return out


def _lead_acts(world: SalesWorld, idx: I64, gen: np.random.Generator) -> Acts:
    leads, outcome, tl = world.leads, world.outcome, world.tl
    answered = idx[~np.isnan(outcome.first_response[idx])]
    none = np.full(len(answered), -1)
    first = Acts(
        np.where(gen.random(len(answered)) < 0.6, CALL, EMAIL),
        leads.response_w[answered],
        leads.owner_of(answered),
        answered,
        none,
        none,
        none >= -1,
    )
    deal = outcome.deal[answered]
    end = np.where(deal >= 0, world.deals.created[np.maximum(deal, 0)], np.nan)
    decided = tl.local_to_work(np.nan_to_num(outcome.decided[answered], nan=tl.days + 1.0))
    end = np.where(np.isnan(end), decided, end)
    lo, hi = leads.response_w[answered], np.minimum(end, tl.work_cut)
    # Follow-ups before the lead is decided: a little more for leads that will convert.
    rate = np.where(hi > lo, 0.9, 0.0) * np.where(leads.converted[answered], 1.4, 1.0)
    row, w = _spread(lo, hi, gen.poisson(rate), gen)
    who = answered[row]
    kinds = _kinds(len(row), (0.5, 0.4, 0.1, 0.0), gen)
    none = np.full(len(row), -1)
    nurture = Acts(kinds, w, leads.owner_of(who), who, none, none, none >= -1)
    return Acts.join([first, nurture])


def _stage_exits(deals: Deals, idx: I64, cut: float) -> F64:
    """When each deal left each open stage (the next stage entered, the close, or the cut)."""
    entry = deals.entry[idx]
    nxt = np.where(np.isnan(deals.end[idx]), cut, deals.end[idx])
    exits = np.empty_like(entry)
    for s in range(OPEN_STAGES - 1, -1, -1):
        exits[:, s] = nxt
        nxt = np.where(np.isnan(entry[:, s]), nxt, entry[:, s])
    return np.minimum(exits, cut)


def _deal_acts(world: SalesWorld, idx: I64, gen: np.random.Generator) -> Acts:
    deals, leads, tl = world.deals, world.leads, world.tl
    entry, exits = deals.entry[idx], _stage_exits(deals, idx, float(tl.work_cut))
    lead = deals.lead[idx]
    boost = np.where(leads.converted[lead], 1.25, 1.0)
    parts = []
    for s in range(OPEN_STAGES):
        inside = np.flatnonzero(~np.isnan(entry[:, s]))
        count = gen.poisson(STAGE_RATE[s] * boost[inside])
        row, w = _spread(entry[inside, s], exits[inside, s], count, gen)
        at = inside[row]
        kinds = _kinds(len(row), STAGE_KINDS[s], gen)
        none = np.full(len(row), -1)
        # Linked to the deal only: a lead's own engagement ends when it becomes a deal.
        parts.append(Acts(kinds, w, leads.owner_of(lead[at]), none, idx[at], none, none >= -1))
    # Open deals carry a follow-up task that is overdue at the cut: what hygiene reports find.
    late = idx[(deals.status[idx] == OPEN) & (gen.random(len(idx)) < 0.3)]
    due = tl.work_cut - gen.uniform(0.0, 5.0, len(late))
    parts.append(
        Acts(
            np.full(len(late), TASK),
            due,
            leads.owner_of(deals.lead[late]),
            np.full(len(late), -1),
            late,
            np.full(len(late), -1),
            np.zeros(len(late), np.bool_),
        )
    )
    parts.append(_planned(world, idx, late))
    return Acts.join(parts)


def _planned(world: SalesWorld, idx: I64, late: I64) -> Acts:
    """Most other open deals have their next step planned: a task due after the cut (drawn
    from a stream of its own, so the rest of the demo stays as it was)."""
    deals, tl = world.deals, world.tl
    gen = rng(world.seed, STREAM_ACTIVITIES, 77, int(idx[0]) if len(idx) else 0)
    ahead = np.setdiff1d(idx[deals.status[idx] == OPEN], late)
    ahead = ahead[gen.random(len(ahead)) < 0.6]
    none = np.full(len(ahead), -1)
    return Acts(np.full(len(ahead), TASK), tl.work_cut + gen.uniform(0.2, 8.0, len(ahead)),
                world.leads.owner_of(deals.lead[ahead]), none, ahead, none,
                np.zeros(len(ahead), np.bool_))  # fmt: skip


def _customer_acts(world: SalesWorld, idx: I64, gen: np.random.Generator) -> Acts:
    c, tl = world.customers, world.tl
    b2b = idx[c.b2b[idx]]
    lo = tl.local_to_work(c.acquired[b2b]) + 1.0
    hi = np.maximum(lo, float(tl.work_cut))
    count = gen.poisson(1.5, len(b2b)) * (lo < tl.work_cut)
    row, w = _spread(lo, hi, count, gen)
    who = b2b[row]
    kinds = _kinds(len(row), (0.6, 0.4, 0.0, 0.0), gen)
    none = np.full(len(row), -1)
    return Acts(kinds, w, world.owner[who], none, none, who, none >= -1)


def month_activities(world: SalesWorld, bounds: dict[str, I64], m: int, first_id: int) -> pa.Table:
    """Activities of the leads, deals and B2B customers that started in month m."""
    gen = rng(world.seed, STREAM_ACTIVITIES, m)
    acts = Acts.join(
        [
            _lead_acts(world, np.arange(bounds["leads"][m], bounds["leads"][m + 1]), gen),
            _deal_acts(world, np.arange(bounds["deals"][m], bounds["deals"][m + 1]), gen),
            _customer_acts(
                world, np.arange(bounds["customers"][m], bounds["customers"][m + 1]), gen
            ),
        ]
    )
    return _table(world.tl, acts, first_id, gen)


def _table(tl: Timeline, acts: Acts, first_id: int, gen: np.random.Generator) -> pa.Table:
    n = len(acts.kind)
    undone = ~acts.done
    local = tl.work_to_local(acts.w)
    outcome = np.select(
        [acts.kind == CALL, acts.kind == EMAIL, acts.kind == MEETING],
        [np.where(gen.random(n) < 0.7, 0, 1), np.where(gen.random(n) < 0.4, 3, 2), 4],
        5,
    )
    ids = first_id + np.arange(n)
    return pa.table(
        {
            "id": col.ids(ids),
            "external_id": col.external("ACT-", ids, 8),
            "source": col.const(SOURCE, n),
            "rep_id": col.ids(acts.rep + 1),
            "kind": col.pick([str(k) for k in KINDS], acts.kind),
            "occurred_at": col.timestamps(tl, local, null=undone),
            "due_at": col.timestamps(tl, local, null=~undone & (acts.kind != TASK)),
            "done": col.bools(~undone),
            "lead_id": col.ids(acts.lead + 1, null=acts.lead < 0),
            "deal_id": col.ids(acts.deal + 1, null=acts.deal < 0),
            "customer_id": col.ids(acts.customer + 1, null=acts.customer < 0),
            "outcome": col.pick(OUTCOMES, outcome, null=undone),
        }
    )
