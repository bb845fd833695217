"""Money around the sales: marketing spend per channel, revenue targets, exchange rates.

Spend is planted from the customers each channel actually brought in, at the channel's planted
cost per customer, so the best-CAC channel is decided by construction. Targets are set so that
attainment wanders around 80-120%.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from salesmetrics.demo import columns as col
from salesmetrics.demo.catalog import CHANNELS, REPS, rep_hire_days
from salesmetrics.demo.customers import Customers
from salesmetrics.demo.spec import CURRENCY, MONTHS, SOURCE, STREAM_PLANNING, rng
from salesmetrics.demo.timeline import Timeline
from salesmetrics.domain.enums import TargetScope, TargetSplit
from salesmetrics.domain.periods import add_months

I64 = NDArray[np.int64]


@dataclass(slots=True)
class Revenue:
    """Revenue of paid orders (sum of line totals), summed while months are generated."""

    company: I64 = field(default_factory=lambda: np.zeros(MONTHS, np.int64))
    rep: I64 = field(default_factory=lambda: np.zeros((len(REPS), MONTHS), np.int64))


def _month_end(tl: Timeline, m: int) -> date:
    """Last day of month m that has data (as_of - 1 for the current month)."""
    first = tl.month_date(m)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return min(last, tl.as_of - timedelta(days=1))


def _data_months(tl: Timeline) -> list[int]:
    return [m for m in range(MONTHS) if tl.month_starts[m] < tl.days]


def spend_table(tl: Timeline, customers: Customers, seed: int) -> pa.Table:
    """One row per channel and month: what was spent, at the planted cost per new customer."""
    gen = rng(seed, STREAM_PLANNING)
    month = tl.month_of(customers.acquired)
    count = np.zeros((len(CHANNELS), MONTHS), np.int64)
    np.add.at(count, (customers.channel, month), 1)
    rows: dict[str, list[object]] = {k: [] for k in ("ch", "start", "end", "amount", "ext")}
    for c, (_name, _kind, _share, cac) in enumerate(CHANNELS):
        for m in _data_months(tl):
            k = int(count[c, m])
            # A month without a new customer still paid for the campaign.
            uah = cac * k * gen.uniform(0.85, 1.15) if k else cac * gen.uniform(0.5, 1.0)
            start = tl.month_date(m)
            rows["ch"].append(c + 1)
            rows["start"].append(start)
            rows["end"].append(_month_end(tl, m))
            rows["amount"].append(round(uah) * 100)
            rows["ext"].append(f"SPEND-{c + 1}-{start:%Y-%m}")
    n = len(rows["ch"])
    return pa.table(
        {
            "id": col.ids(np.arange(1, n + 1)),
            "external_id": pa.array(rows["ext"], pa.string()),
            "source": col.const(SOURCE, n),
            "channel_id": pa.array(rows["ch"], pa.int64()),
            "period_start_on": pa.array(rows["start"], pa.date32()),
            "period_end_on": pa.array(rows["end"], pa.date32()),
            "amount_minor": pa.array(rows["amount"], pa.int64()),
            "currency": col.const(CURRENCY, n),
        }
    )


def _round_target(value: float) -> float:
    return float(max(round(value / 100_000), 1) * 100_000)  # whole thousands of hryvnias


Target = tuple[str, str, int | None, date, date, float]


def _month_targets(
    tl: Timeline, revenue: Revenue, m: int, gen: np.random.Generator
) -> list[Target]:
    """Month m's targets: each rep hired by its end, then the company."""
    first = tl.month_date(m)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    # The current month is partial, its target is for the whole month: project the pace.
    scale = last.day / int(tl.month_starts[m + 1] - tl.month_starts[m])
    hired = rep_hire_days()
    values = {
        r: revenue.rep[r, m] * scale / np.clip(gen.normal(1.0, 0.12), 0.75, 1.3)
        for r in range(len(REPS))
        if hired[r] <= tl.month_starts[m] + last.day - 1
    }
    positive = [v for v in values.values() if v > 0]
    ramp = 0.3 * float(np.median(positive)) if positive else 1_000_000.0  # a newcomer's month
    rows: list[Target] = [
        (
            f"TGT-REP{r + 1}-{first:%Y-%m}",
            str(TargetScope.REP),
            r + 1,
            first,
            last,
            _round_target(v if v > 0 else ramp),
        )
        for r, v in values.items()
    ]
    company = revenue.company[m] * scale / np.clip(gen.normal(1.0, 0.06), 0.85, 1.15)
    rows.append(
        (
            f"TGT-CO-{first:%Y-%m}",
            str(TargetScope.COMPANY),
            None,
            first,
            last,
            _round_target(company),
        )
    )
    return rows


PLANNED_GROWTH = (0.95, 1.25)  # the owner's plan: last year's month x recent growth, within these


def _months_ahead(tl: Timeline) -> int:
    """How many months after the current one a business has already planned: up to the end of
    the next calendar quarter (the what-if planner compares next quarter with them)."""
    current = tl.month_date(MONTHS - 1).month
    return ((current - 1) // 3 + 2) * 3 - current


def _planned_targets(tl: Timeline, revenue: Revenue, gen: np.random.Generator) -> list[Target]:
    """Targets of the months ahead: the same month a year before x the growth of the last three
    complete months over the same months a year before (within PLANNED_GROWTH), split between the
    reps by their share of the last three months' revenue."""
    last = MONTHS - 2  # the last complete month
    before = revenue.company[last - 14 : last - 11].sum()
    recent = revenue.company[last - 2 : last + 1].sum()
    growth = float(np.clip(recent / before if before else 1.0, *PLANNED_GROWTH))
    rep_recent = revenue.rep[:, last - 2 : last + 1].sum(axis=1)
    share = rep_recent / max(int(rep_recent.sum()), 1)
    rows: list[Target] = []
    for k in range(1, _months_ahead(tl) + 1):
        first = add_months(tl.month_date(MONTHS - 1), k)  # a first of month
        end = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        base = (
            revenue.company[MONTHS - 1 + k - 12] * growth * np.clip(gen.normal(1, 0.04), 0.9, 1.1)
        )
        rows += [
            (f"TGT-REP{r + 1}-{first:%Y-%m}", str(TargetScope.REP), r + 1, first, end,
             _round_target(base * float(share[r])))
            for r in range(len(REPS)) if share[r] > 0
        ]  # fmt: skip
        rows.append((f"TGT-CO-{first:%Y-%m}", str(TargetScope.COMPANY), None, first, end,
                     _round_target(base)))  # fmt: skip
    return rows


def targets_table(tl: Timeline, revenue: Revenue, seed: int) -> pa.Table:
    """Monthly revenue targets per rep and for the company (values in minor units): each month
    with data, then the months planned ahead to the end of the next quarter."""
    gen = rng(seed, STREAM_PLANNING, 1)
    rows = [row for m in _data_months(tl) for row in _month_targets(tl, revenue, m, gen)]
    rows += _planned_targets(tl, revenue, rng(seed, STREAM_PLANNING, 3))
    n = len(rows)
    return pa.table(
        {
            "id": col.ids(np.arange(1, n + 1)),
            "external_id": pa.array([r[0] for r in rows], pa.string()),
            "source": col.const(SOURCE, n),
            "metric": col.const("revenue", n),
            "scope": pa.array([r[1] for r in rows], pa.string()),
            "scope_id": pa.array([r[2] for r in rows], pa.int64()),
            "period_start_on": pa.array([r[3] for r in rows], pa.date32()),
            "period_end_on": pa.array([r[4] for r in rows], pa.date32()),
            "value": pa.array([r[5] for r in rows], pa.float64()),
            "split": col.const(str(TargetSplit.EVEN), n),
        }
    )


def fx_table(tl: Timeline, seed: int) -> pa.Table:
    """Daily NBU-like rates of USD and EUR to UAH, from the first day to as_of."""
    gen = rng(seed, STREAM_PLANNING, 2)
    n = tl.days + 1
    drift = np.linspace(41.3, 42.4, n)
    usd = np.clip(drift + _wander(n, 0.06, 0.6, gen), 41.0, 44.0)
    eur = np.clip(usd * (1.1 + _wander(n, 0.002, 0.03, gen)), 44.0, 48.0)
    day = np.arange(n, dtype=np.int64)
    rate_on = col.dates(tl, np.concatenate([day, day]))
    return pa.table(
        {
            "id": col.ids(np.arange(1, 2 * n + 1)),
            "rate_on": rate_on,
            "currency": col.pick(["USD", "EUR"], np.repeat([0, 1], n)),
            "rate_to_base": col.floats(np.round(np.concatenate([usd, eur]), 4)),
        }
    )


def _wander(n: int, step: float, bound: float, gen: np.random.Generator) -> NDArray[np.float64]:
    """A mean-reverting walk kept within +-bound."""
    out = np.zeros(n)
    shocks = gen.normal(0.0, step, n)
    for i in range(1, n):
        out[i] = np.clip(0.97 * out[i - 1] + shocks[i], -bound, bound)
    return out
