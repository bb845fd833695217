"""A funnel model of the revenue of the next months, and the levers that move it (docs/plan.md).

Deals created in month c (from that month's leads: leads per channel x the channel's deals per
lead, the leads capped by what the reps can work) are won with probability W, the product of
the stage-to-stage conversions of decided deals, and close a log-normal number of days after
they were created (median and mean of the won cycle give mu and sigma: median = e^mu,
mean = e^(mu + sigma^2 / 2)). Counted from the middle of c, the share that closes in month M is
F(end of M - mid c) - F(start of M - mid c). Revenue of M = wins x average deal size + the
revenue outside deals (taken as given, from the revenue forecast).

Cohorts before the first projected month are the deals actually created; from the first
projected month on they are projected. Without levers the leads are the observed ones, whatever
the number of reps (the baseline is the observed funnel carried forward). Levers (`Levers`):
extra reps (each brings the outbound leads a rep brings and the capacity of a rep, ramping up
linearly over `ramp_months`), leads per channel (+- share), a stage's conversion (+- points,
on every deal closing in the projected months: an upper bound for deals already past that
stage), the average deal size (+- share, on every win in the projected months) and the cycle
(+- days on the median, for deals created from the first projected month on: a change in how
deals are worked applies to new deals).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

MIN_CYCLE_DAYS = 1.0


class FunnelInputError(ValueError):
    """The funnel's inputs or levers do not make sense (a rate outside 0..1, no stages)."""


@dataclass(frozen=True, slots=True)
class Funnel:
    """What the recent past says about the funnel (rates are fractions, money minor units)."""

    leads: Mapping[str, float]  # channel -> leads per month
    deal_rate: Mapping[str, float]  # channel -> deals created per lead
    outbound: frozenset[str]  # channels whose leads the reps bring themselves
    stages: Sequence[str]  # open stages, in order
    steps: Sequence[float]  # conversion from each open stage to the next (the last: to won)
    deal_size_minor: float
    cycle_median_days: float
    cycle_mean_days: float
    reps: float  # reps working now
    capacity_per_rep: float  # leads a rep has worked in a month at most (inf: no cap seen)
    past_deals: Mapping[date, float] = field(default_factory=dict)  # month -> deals created

    @property
    def win_rate(self) -> float:
        return math.prod(self.steps)

    def check(self) -> None:
        if len(self.steps) != len(self.stages) or not self.stages:
            raise FunnelInputError("one conversion per open stage is needed")
        if any(not 0.0 <= p <= 1.0 for p in [*self.steps, *self.deal_rate.values()]):
            raise FunnelInputError("conversions are fractions between 0 and 1")
        if self.cycle_median_days <= 0 or self.deal_size_minor < 0 or self.reps < 0:
            raise FunnelInputError("the cycle must be positive, deal size and reps not negative")


@dataclass(frozen=True, slots=True)
class Levers:
    """Changes to try. Shares are fractions (+0.2 = 20 % more), points too (+0.05 = 5 pp)."""

    reps: int = 0
    ramp_months: int = 3
    leads: Mapping[str, float] = field(default_factory=dict)  # channel -> share change
    stages: Mapping[str, float] = field(default_factory=dict)  # stage -> points change
    deal_size: float = 0.0
    cycle_days: float = 0.0

    @property
    def none(self) -> bool:
        return self == Levers(ramp_months=self.ramp_months)


@dataclass(frozen=True, slots=True)
class Month:
    """One projected month."""

    month: date
    leads: float
    deals_created: float
    wins: float
    deal_revenue_minor: float
    other_revenue_minor: float

    @property
    def revenue_minor(self) -> float:
        return self.deal_revenue_minor + self.other_revenue_minor


def _month_after(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _sigma(median: float, mean: float) -> float:
    """Log-normal sigma from median and mean (mean <= median: a narrow spread)."""
    ratio = mean / median if median > 0 else 1.0
    return math.sqrt(2.0 * math.log(ratio)) if ratio > 1.0 else 0.05


def close_share(created: date, month: date, median: float, sigma: float) -> float:
    """The share of deals created in month `created` (from its middle) that close in `month`."""
    from scipy.stats import lognorm  # scipy.stats: loaded when used

    mid = created + timedelta(days=14)
    lo = (month - mid).days
    hi = (_month_after(month) - mid).days
    dist = lognorm(s=sigma, scale=max(median, MIN_CYCLE_DAYS))
    return float(dist.cdf(max(hi, 0)) - dist.cdf(max(lo, 0)))


def ramp(k: int, months: int) -> float:
    """A new rep's share of full productivity in their k-th month (0-based): linear."""
    return min(1.0, (k + 1) / max(months, 1))


def steps_with(f: Funnel, lv: Levers) -> list[float]:
    unknown = set(lv.stages) - set(f.stages)
    if unknown:
        raise FunnelInputError(f"no stage {', '.join(sorted(unknown))}; there are: "
                               f"{', '.join(f.stages)}")  # fmt: skip
    pairs = zip(f.stages, f.steps, strict=True)
    return [min(1.0, max(0.0, p + lv.stages.get(s, 0.0))) for s, p in pairs]


def capacity(f: Funnel, reps: float) -> float:
    """The most leads `reps` reps can work in a month: `capacity_per_rep` each, but never less
    than the leads the team works now (what was observed is workable by definition), and no
    cap at all when no rep is seen in the view (nothing to count per rep)."""
    if f.reps <= 0 or math.isinf(f.capacity_per_rep):
        return math.inf
    per_rep = max(f.capacity_per_rep, sum(f.leads.values()) / f.reps)
    return reps * per_rep


def leads_in(f: Funnel, lv: Levers, k: int) -> dict[str, float]:
    """Leads per channel worked in the k-th projected month (0-based), after the levers.

    Outbound leads scale with the reps (a rep brings the outbound leads a rep brings now);
    with no rep seen in the view they stay as observed, and added reps bring none (there is
    no per-rep figure to scale). Without levers the leads are the observed ones."""
    unknown = set(lv.leads) - set(f.leads)
    if unknown:
        raise FunnelInputError(f"no channel {', '.join(sorted(unknown))}; there are: "
                               f"{', '.join(sorted(f.leads))}")  # fmt: skip
    extra = lv.reps * ramp(k, lv.ramp_months)
    reps = max(f.reps + extra, 0.0)
    scale = reps / f.reps if f.reps > 0 else 1.0
    out = {}
    for c, n in f.leads.items():
        base = n * scale if c in f.outbound else n
        out[c] = max(0.0, base * (1.0 + lv.leads.get(c, 0.0)))
    total = sum(out.values())
    cap = capacity(f, reps)
    if total > cap:  # more leads than the reps can work: the rest go unworked
        out = {c: v * cap / total for c, v in out.items()}
    return out


def project(f: Funnel, months: Sequence[date], other_minor: Sequence[float],
            lv: Levers | None = None) -> list[Month]:  # fmt: skip
    """Revenue of each of `months` (first days, consecutive) with the levers applied."""
    f.check()
    lv = lv or Levers()
    if len(other_minor) != len(months):
        raise FunnelInputError("one figure of revenue outside deals per month is needed")
    win = math.prod(steps_with(f, lv))
    size = f.deal_size_minor * (1.0 + lv.deal_size)
    sigma = _sigma(f.cycle_median_days, f.cycle_mean_days)
    new_median = max(f.cycle_median_days + lv.cycle_days, MIN_CYCLE_DAYS)
    cohorts: list[tuple[date, float, float]] = [(c, n, f.cycle_median_days)
                                                for c, n in sorted(f.past_deals.items())
                                                if c < months[0]]  # fmt: skip
    leads_of = []
    for k, m in enumerate(months):
        worked = leads_in(f, lv, k)
        leads_of.append(sum(worked.values()))
        deals = sum(v * f.deal_rate.get(c, 0.0) for c, v in worked.items())
        cohorts.append((m, deals, new_median))
    out = []
    for k, m in enumerate(months):
        wins = sum(n * win * close_share(c, m, med, sigma) for c, n, med in cohorts if c <= m)
        out.append(Month(m, leads_of[k], cohorts[len(cohorts) - len(months) + k][1], wins,
                         wins * size, float(other_minor[k])))  # fmt: skip
    return out
