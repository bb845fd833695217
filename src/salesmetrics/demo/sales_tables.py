"""The leads, deals, deal_stage_changes and deal_close_date_changes tables, a slice of rows at
a time."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from salesmetrics.demo import columns as col
from salesmetrics.demo.catalog import OPEN_STAGES
from salesmetrics.demo.deals import LOST, LOST_REASONS, OPEN, WON
from salesmetrics.demo.leads import (
    CONTACT_WAYS,
    INDUSTRIES,
    ROLES,
    SIZE_BANDS,
    SOURCES,
)
from salesmetrics.demo.names import REGIONS
from salesmetrics.demo.parties import companies, lead_emails, lead_names, lead_phones, titles
from salesmetrics.demo.spec import CURRENCY, SOURCE
from salesmetrics.demo.world import World
from salesmetrics.domain.enums import DealStatus, LeadStatus

I64 = NDArray[np.int64]

LEAD_STATUS = {OPEN: LeadStatus.OPEN, WON: LeadStatus.CONVERTED, LOST: LeadStatus.LOST}
DEAL_STATUS = {OPEN: DealStatus.OPEN, WON: DealStatus.WON, LOST: DealStatus.LOST}


def _attributes(world: World, idx: I64) -> pa.Array:
    """What the web form or the first call recorded; the outcome is never in here."""
    leads = world.leads
    return col.json_objects(
        [
            ("source", col.json_values(SOURCES, leads.source[idx])),
            ("industry", col.json_values(INDUSTRIES, leads.industry[idx])),
            ("company_size", col.json_values(SIZE_BANDS, leads.size_band[idx])),
            ("region", col.json_values([r for r, _ in REGIONS], leads.region[idx])),
            (
                "budget_known",
                col.json_values([False, True], leads.budget_known[idx].astype(np.int64)),
            ),
            ("contact_role", col.json_values(ROLES, leads.role[idx])),
            (
                "newsletter_opt_in",
                col.json_values([False, True], leads.newsletter[idx].astype(np.int64)),
            ),
            ("preferred_contact", col.json_values(CONTACT_WAYS, leads.contact_way[idx])),
        ]
    )


def leads_table(world: World, lo: int, hi: int) -> pa.Table:
    """Rows lo..hi-1 of the leads table."""
    leads, outcome, tl = world.leads, world.outcome, world.tl
    idx = np.arange(lo, hi, dtype=np.int64)
    n = len(idx)
    status = outcome.status[idx]
    customer = world.customer_of_lead[idx]
    deal = np.where(status == WON, outcome.deal[idx], -1)
    return pa.table(
        {
            "id": col.ids(idx + 1),
            "external_id": col.external("LEAD-", idx + 1, 7),
            "source": col.const(SOURCE, n),
            "created_at": col.timestamps(tl, leads.created[idx]),
            "name": lead_names(world.seed, idx),
            "company": companies(world.seed, leads.industry[idx], idx),
            "email": lead_emails(world.seed, idx),
            "phone": lead_phones(world.seed, idx),
            "channel_id": col.ids(leads.channel[idx] + 1),
            "owner_rep_id": col.ids(leads.owner[idx] + 1),
            "status": col.pick([str(LEAD_STATUS[k]) for k in (OPEN, WON, LOST)], status),
            "decided_at": col.timestamps(tl, outcome.decided[idx]),
            "converted_customer_id": col.ids(customer + 1, null=customer < 0),
            "converted_deal_id": col.ids(deal + 1, null=deal < 0),
            "first_response_at": col.timestamps(tl, outcome.first_response[idx]),
            "attributes": _attributes(world, idx),
        }
    )


def deals_table(world: World, lo: int, hi: int) -> pa.Table:
    """Rows lo..hi-1 of the deals table; won deals are worth their first order."""
    deals, leads, tl = world.deals, world.leads, world.tl
    idx = np.arange(lo, hi, dtype=np.int64)
    n = len(idx)
    lead = deals.lead[idx]
    customer = world.deal_customer[idx]
    is_open = np.isnan(deals.end[idx])
    end_local = tl.work_to_local(np.nan_to_num(deals.end[idx]))
    return pa.table(
        {
            "id": col.ids(idx + 1),
            "external_id": col.external("DEAL-", idx + 1, 7),
            "source": col.const(SOURCE, n),
            "pipeline_id": col.ids(np.ones(n, np.int64)),
            "title": titles(world.seed, leads, lead),
            "customer_id": col.ids(customer + 1, null=customer < 0),
            "lead_id": col.ids(lead + 1),
            "owner_rep_id": col.ids(leads.owner[lead] + 1),
            "channel_id": col.ids(leads.channel[lead] + 1),
            "stage_id": col.ids(deals.stage[idx] + 1),
            "status": col.pick([str(DEAL_STATUS[k]) for k in (OPEN, WON, LOST)], deals.status[idx]),
            "amount_minor": col.ids(world.deal_amount[idx]),
            "currency": col.const(CURRENCY, n),
            "created_at": col.timestamps(tl, tl.work_to_local(deals.created[idx])),
            "expected_close_on": col.dates(tl, deals.expected_close_day[idx]),
            "closed_at": col.timestamps(tl, end_local, null=is_open),
            "lost_reason": col.pick(LOST_REASONS, deals.lost_reason[idx]),
        }
    )


def change_counts(world: World) -> I64:
    """Stage changes per deal: one per stage entered, plus the close."""
    deals = world.deals
    out: I64 = (~np.isnan(deals.entry)).sum(axis=1) + ~np.isnan(deals.end)
    return out


def stage_changes_table(world: World, lo: int, hi: int, first_id: int) -> pa.Table:
    """Every move of deals lo..hi-1, from their creation (from NULL) to where they are now."""
    deals, tl = world.deals, world.tl
    idx = np.arange(lo, hi, dtype=np.int64)
    times = np.concatenate([deals.entry[idx], deals.end[idx][:, None]], axis=1)
    to = np.tile(np.arange(OPEN_STAGES + 1), (len(idx), 1))
    to[:, OPEN_STAGES] = deals.stage[idx]  # the close goes to Won or Lost; open rows are NaN
    valid = ~np.isnan(times)
    deal = np.repeat(idx, valid.sum(axis=1))
    to_stage, at = to[valid], times[valid]
    starts = np.roll(deal, 1) != deal
    starts[:1] = True
    from_stage = np.where(starts, -1, np.roll(to_stage, 1))
    n = len(deal)
    return pa.table(
        {
            "id": col.ids(first_id + np.arange(n)),
            "deal_id": col.ids(deal + 1),
            "from_stage_id": col.ids(from_stage + 1, null=from_stage < 0),
            "to_stage_id": col.ids(to_stage + 1),
            "changed_at": col.timestamps(tl, tl.work_to_local(at)),
            "changed_by": col.ids(world.leads.owner[deals.lead[deal]] + 1),
        }
    )


def close_date_changes_table(world: World) -> pa.Table:
    """Every push of an open deal's expected close date: one when the planned date passed, and
    for some a second when the next date passed too. Each is recorded half a day after the date
    it moved from (and before the data cut)."""
    deals, tl = world.deals, world.tl
    pushed = np.flatnonzero(deals.planned_close_day != deals.expected_close_day)
    middle = deals.middle_close_day[pushed]
    twice = middle >= 0
    first_new = np.where(twice, middle, deals.expected_close_day[pushed])
    deal = np.concatenate([pushed, pushed[twice]])
    old = np.concatenate([deals.planned_close_day[pushed], middle[twice]])
    new = np.concatenate([first_new, deals.expected_close_day[pushed][twice]])
    order = np.lexsort((old, deal))
    deal, old, new = deal[order], old[order], new[order]
    when = np.minimum(old + 0.5, tl.days - 0.25)
    return pa.table(
        {
            "id": col.ids(np.arange(1, len(deal) + 1)),
            "deal_id": col.ids(deal + 1),
            "old_on": col.dates(tl, old),
            "new_on": col.dates(tl, new),
            "changed_at": col.timestamps(tl, when),
        }
    )
