"""B2B leads: when they come, what the form says about them, and the planted model of who converts.

Conversion follows a logistic model over some lead attributes (the drivers) and the first
response time; the other attributes (the noise) are drawn independently of the outcome. Nothing
about the outcome is written into the attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from salesmetrics.demo.catalog import rep_effects, rep_hire_days
from salesmetrics.demo.names import REGIONS, region_weights
from salesmetrics.demo.spec import STREAM_LEADS, SizeSpec, rng
from salesmetrics.demo.timeline import F64, Timeline, clock, office_clock, sample_days

I64 = NDArray[np.int64]
I8 = NDArray[np.int8]
B = NDArray[np.bool_]

# Attribute vocabularies (the values stored in leads.attributes) and their shares.
SOURCES = ("referral", "website", "google_ads", "instagram", "cold_outreach")
SOURCE_SHARES = (0.15, 0.30, 0.20, 0.10, 0.25)
SOURCE_CHANNEL = (3, 4, 0, 1, 5)  # index into catalog.CHANNELS
INDUSTRIES = ("HoReCa", "Офіс", "Роздріб", "Освіта", "Медицина", "IT")
INDUSTRY_SHARES = (0.30, 0.25, 0.18, 0.12, 0.09, 0.06)
SIZE_BANDS = ("1-10", "11-50", "51-200", "200+")
SIZE_SHARES = (0.35, 0.33, 0.21, 0.11)
ROLES = ("owner", "manager", "procurement", "other")
CONTACT_WAYS = ("phone", "email", "messenger")

# The planted model: logit(p) = INTERCEPT + sum of the effects below + the owner's effect.
INTERCEPT = -0.75
SOURCE_EFFECT = {"referral": 1.3}
SIZE_EFFECT = {"51-200": 0.9}
INDUSTRY_EFFECT = {"Освіта": -1.1}
BUDGET_EFFECT = 0.6
RESPONSE_EFFECT = -0.5  # per unit of ln(1 + first response hours)
NOISE_ATTRIBUTES = ("region", "contact_role", "newsletter_opt_in", "preferred_contact")

DEAL_SHARE_CONVERTED = 0.92  # the rest buy straight after a call, without a deal
DEAL_SHARE_NOT_CONVERTED = 0.5  # the rest are disqualified before any deal

B2B_SEASON = np.array([0.8, 0.95, 1.05, 1.05, 1.05, 1.0, 0.9, 0.75, 1.05, 1.1, 1.1, 0.9])
B2B_WEEK = np.array([1.1, 1.1, 1.05, 1.0, 0.95, 0.15, 0.1])
ANY_HOUR = np.array([1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 4, 3, 2, 1.0])


@dataclass(slots=True)
class Leads:
    """One row per lead, sorted by creation time (the id is the position + 1)."""

    created: F64  # local days
    owner: I8  # rep index
    source: I8
    industry: I8
    size_band: I8
    region: I8
    budget_known: B
    role: I8
    newsletter: B
    contact_way: I8
    created_w: F64  # working time of creation (next working moment if off-hours)
    response_w: F64  # working time of the first response
    converted: B  # the latent outcome, before the data cut hides recent ones
    has_deal: B

    @property
    def n(self) -> int:
        return len(self.created)

    def owner_of(self, idx: I64) -> I64:
        """Owner rep indices of some leads, widened for arithmetic."""
        out: I64 = self.owner[idx].astype(np.int64)
        return out

    @property
    def channel(self) -> I64:
        """The acquisition channel each lead came through (from its source)."""
        out: I64 = np.asarray(SOURCE_CHANNEL, np.int64)[self.source]
        return out


def _owners(created: F64, gen: np.random.Generator) -> I8:
    """Leads go round the reps already hired at the time."""
    hired = rep_hire_days()
    order = np.argsort(hired, kind="stable")
    eligible = np.searchsorted(hired[order], np.floor(created), side="right")
    pick = np.minimum((gen.random(len(created)) * eligible).astype(np.int64), eligible - 1)
    out: I8 = order[pick].astype(np.int8)
    return out


def _times(spec: SizeSpec, tl: Timeline, gen: np.random.Generator) -> F64:
    n = spec.leads
    weights = tl.day_weights(0.5, B2B_SEASON, B2B_WEEK)
    day = sample_days(weights, np.zeros(n), np.full(n, float(tl.days)), gen)
    web_form = gen.random(n) < 0.25  # forms on the website arrive at any hour
    t = np.where(web_form, clock(day, ANY_HOUR, gen), office_clock(day, gen))
    return np.sort(t)


def linear_predictor(leads: Leads, hours: F64) -> F64:
    """The planted logit of conversion for each lead."""
    z = np.full(leads.n, INTERCEPT)
    for value, effect in SOURCE_EFFECT.items():
        z += effect * (leads.source == SOURCES.index(value))
    for value, effect in SIZE_EFFECT.items():
        z += effect * (leads.size_band == SIZE_BANDS.index(value))
    for value, effect in INDUSTRY_EFFECT.items():
        z += effect * (leads.industry == INDUSTRIES.index(value))
    z += BUDGET_EFFECT * leads.budget_known
    z += RESPONSE_EFFECT * np.log1p(hours)
    z += rep_effects()[leads.owner]
    out: F64 = z
    return out


def build_leads(spec: SizeSpec, tl: Timeline, seed: int) -> Leads:
    """Draw every lead, its attributes, its first response and its latent outcome."""
    gen = rng(seed, STREAM_LEADS)
    created = _times(spec, tl, gen)
    n = len(created)

    def cat(k: int, shares: tuple[float, ...] | NDArray[np.float64]) -> I8:
        return gen.choice(k, size=n, p=np.asarray(shares)).astype(np.int8)

    created_w = tl.local_to_work(created)
    # Response delay in working days: median about 1.5 office hours, a long tail of days.
    response_w = created_w + gen.lognormal(np.log(1.5 / 9.0), 1.3, n)
    leads = Leads(
        created=created,
        owner=_owners(created, gen),
        source=cat(len(SOURCES), SOURCE_SHARES),
        industry=cat(len(INDUSTRIES), INDUSTRY_SHARES),
        size_band=cat(len(SIZE_BANDS), SIZE_SHARES),
        region=cat(len(REGIONS), region_weights()),
        budget_known=gen.random(n) < 0.4,
        role=cat(len(ROLES), (0.35, 0.3, 0.25, 0.1)),
        newsletter=gen.random(n) < 0.45,
        contact_way=cat(len(CONTACT_WAYS), (0.5, 0.3, 0.2)),
        created_w=created_w,
        response_w=response_w,
        converted=np.zeros(n, np.bool_),
        has_deal=np.zeros(n, np.bool_),
    )
    hours = (tl.work_to_local(response_w) - created) * 24.0
    p = 1.0 / (1.0 + np.exp(-linear_predictor(leads, hours)))
    leads.converted = gen.random(n) < p
    share = np.where(leads.converted, DEAL_SHARE_CONVERTED, DEAL_SHARE_NOT_CONVERTED)
    leads.has_deal = gen.random(n) < share
    return leads


def drivers() -> list[dict[str, object]]:
    """The planted conversion drivers, as the truth file states them."""
    out: list[dict[str, object]] = []
    for attribute, table in (
        ("source", SOURCE_EFFECT),
        ("company_size", SIZE_EFFECT),
        ("industry", INDUSTRY_EFFECT),
    ):
        for value, coef in table.items():
            out.append(
                {
                    "attribute": attribute,
                    "value": value,
                    "effect": "+" if coef > 0 else "-",
                    "coefficient": coef,
                }
            )
    out.append(
        {"attribute": "budget_known", "value": True, "effect": "+", "coefficient": BUDGET_EFFECT}
    )
    out.append(
        {
            "attribute": "first_response_hours",
            "value": None,
            "effect": "-",
            "coefficient": RESPONSE_EFFECT,
            "derived": "(first_response_at - created_at) in hours; the model uses ln(1 + hours)",
        }
    )
    return out
