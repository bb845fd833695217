"""Budget allocation: fit each channel's response curve from its monthly spend and new customers
(the metric engine's figures), then split a budget to win the most customers, or the most
lifetime revenue, within the spend each channel's history covers (analytics/strategy).

- history: by default the 24 full months before this one, up to the last month with any spend
  imported (a month whose spend is not imported yet is not a month of zero spend); the current
  split, and the default budget, are that month's;
- customers: the curve's prediction; revenue: the prediction times the channel's CLV over the
  history (the metric engine's `clv` by channel), i.e. the lifetime revenue the customers
  bring, not the month's sales (which mostly come from customers won earlier);
- trusted range: from half the smallest month's spend to 1.5 x the largest month's spend a
  channel has had; no figure is extrapolated beyond it, and a channel at its cap says so; a
  channel paused in the current month (no spend) has floor 0;
- no curve (the channel keeps its current spend): fewer than 6 months with spend, or spend that
  hardly varies (a fixed retainer, analytics/strategy/response.py);
- best channel: the largest marginal return at the recommended split, among fitted channels
  that spend now (analytics/strategy/allocate.py `best_channel`);
- ranges: 80 % bootstrap intervals over months (the curves refitted on resampled months).

Only a view of every record may plan it: the budget is the company's marketing spend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from babel.numbers import format_decimal, get_currency_symbol

from salesmetrics.analytics.strategy.allocate import (
    BudgetTooSmallError,
    ChannelInput,
    Split,
    best_channel,
    marginals,
)
from salesmetrics.analytics.strategy.allocate import allocate as split_budget
from salesmetrics.analytics.strategy.response import (
    HeldOut,
    PowerResponse,
    SteadySpendError,
    TooFewMonthsError,
    held_out,
)
from salesmetrics.domain.access import ForbiddenError, Principal
from salesmetrics.domain.errors import InputError
from salesmetrics.domain.money import exponent
from salesmetrics.domain.periods import DateRange, add_months, parse_period
from salesmetrics.services.alerts.texts import plural_uk
from salesmetrics.services.workspace import Workspace

GOALS = ("customers", "revenue")
HISTORY_MONTHS = 24
LOW_SHARE = 0.5  # floor: half the smallest month seen
HIGH_MULTIPLE = 1.5  # cap: 1.5 x the largest month seen
HOLDOUT = 6
N_BOOT = 200
SMALL_MOVE = 0.02  # moves under 2 % of the budget are not spelt out
TEXTS = {
    "en": {
        "move": "move {amount} from {source} to {target}: {gain} {unit} (range {low} to {high})",
        "customers": "customers",
        "revenue": "of lifetime revenue",
        "cap": "{channel} is at its cap, {amount} (1.5 × its largest month): the history says "
        "nothing about more, so no more is put there",
        "floor": "{channel} is at its floor, {amount} (half its smallest month): the history "
        "says nothing about less",
        "unfitted": "{channel} has fewer than 6 months with spend: kept at its current spend",
        "steady": "{channel}'s monthly spend hardly changes (under 10 % between its smallest "
        "and largest month), so it says nothing about what more or less would bring: kept at "
        "its current spend",
        "paused": "{channel} had no spend in {month}: its floor is 0, not half its smallest month",
        "budget": "the budget is the spend of {month}, the last month with marketing spend "
        "imported",
        "unplaced": "{amount} of the budget fits no channel's range and is left unplaced",
        "small": "smaller shifts, {amount} in all, are in the split",
    },
    "uk": {
        "move": "перенесіть {amount} з {source} на {target}: {gain} {unit} "
        "(діапазон від {low} до {high})",
        "customers": "клієнтів",
        "revenue": "довічної виручки",
        "cap": "{channel}: стеля, {amount} (1,5 × найбільшого місяця каналу): історія нічого "
        "не каже про більше, тож більше туди не йде",
        "floor": "{channel}: мінімум, {amount} (половина найменшого місяця каналу): "
        "історія нічого не каже про менше",
        "unfitted": "{channel}: менше 6 місяців із витратами, витрати лишаються поточними",
        "steady": "{channel}: щомісячні витрати майже не змінюються (менше 10 % між "
        "найменшим і найбільшим місяцем), тож нічого не кажуть про те, що дадуть більші чи "
        "менші: витрати лишаються поточними",
        "paused": "{channel}: у {month} витрат не було, тож мінімум — 0, а не половина "
        "найменшого місяця",
        "budget": "бюджет — витрати за {month}, останній місяць з імпортованими "
        "маркетинговими витратами",
        "unplaced": "{amount} бюджету не вміщається в межі жодного каналу й лишається "
        "нерозподіленим",
        "small": "менші зміни, разом {amount}, видно в розподілі",
    },
}


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    """One channel: its fitted curve, the held-out check, current and recommended spend."""

    channel: str
    fitted: bool
    unfitted: str | None  # why there is no curve: "few_months" or "steady_spend"
    paused: bool  # no spend in the current month: floor 0
    a: float | None
    b: float | None
    b_low: float | None
    b_high: float | None
    scale_minor: float | None
    months: int
    held_out: HeldOut | None
    value_per_customer_minor: int | None
    current_minor: int
    recommended_minor: int
    low_minor: int
    high_minor: int
    at_cap: bool
    at_floor: bool
    marginal_per_1000: float | None  # outcome of 1,000 more (currency units) at the recommended
    spend_seen: list[int]
    customers_seen: list[int]

    def as_dict(self) -> dict[str, Any]:
        h = self.held_out
        return {
            "channel": self.channel,
            "fitted": self.fitted,
            "unfitted": self.unfitted,
            "paused": self.paused,
            "a": _r(self.a),
            "b": _r(self.b),
            "b_low": _r(self.b_low),
            "b_high": _r(self.b_high),
            "scale_minor": _r(self.scale_minor),
            "months": self.months,
            "held_out": None
            if h is None
            else {
                "months": h.months,
                "curve_wape": _r(h.curve_wape),
                "constant_cac_wape": _r(h.constant_wape),
            },
            "value_per_customer_minor": self.value_per_customer_minor,
            "current_minor": self.current_minor,
            "recommended_minor": self.recommended_minor,
            "change_minor": self.recommended_minor - self.current_minor,
            "low_minor": self.low_minor,
            "high_minor": self.high_minor,
            "at_cap": self.at_cap,
            "at_floor": self.at_floor,
            "marginal_per_1000": _r(self.marginal_per_1000),
            "spend_seen_minor": self.spend_seen,
            "customers_seen": self.customers_seen,
        }


@dataclass(frozen=True, slots=True)
class MovePlan:
    source: str
    target: str
    amount_minor: int
    gain: float
    gain_low: float | None
    gain_high: float | None
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "amount_minor": self.amount_minor,
            "gain": _r(self.gain),
            "gain_low": _r(self.gain_low),
            "gain_high": _r(self.gain_high),
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Allocation:
    goal: str
    history: str
    current_month: str
    currency: str
    budget_minor: int
    default_budget: bool  # the budget is the current month's spend
    unplaced_minor: int
    best_channel: str | None
    expected_current: float
    expected_recommended: float
    gain_low: float | None
    gain_high: float | None
    channels: list[ChannelPlan]
    moves: list[MovePlan]
    notes: list[str]

    def channel(self, name: str) -> ChannelPlan:
        return next(c for c in self.channels if c.channel == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal,
            "history": self.history,
            "current_month": self.current_month,
            "currency": self.currency,
            "budget_minor": self.budget_minor,
            "default_budget": self.default_budget,
            "unplaced_minor": self.unplaced_minor,
            "best_channel": self.best_channel,
            "expected_current": _r(self.expected_current),
            "expected_recommended": _r(self.expected_recommended),
            "gain": _r(self.expected_recommended - self.expected_current),
            "gain_low": _r(self.gain_low),
            "gain_high": _r(self.gain_high),
            "interval": 0.8,
            "low_share": LOW_SHARE,
            "high_multiple": HIGH_MULTIPLE,
            "channels": [c.as_dict() for c in self.channels],
            "moves": [m.as_dict() for m in self.moves],
            "notes": self.notes,
        }


@dataclass(frozen=True, slots=True)
class History:
    """Per channel, spend (minor units) and new customers per month, oldest first, up to the
    last month with any spend; `months` are the months' first days."""

    span: str
    months: list[date]
    seen: dict[str, tuple[list[int], list[int]]]


def _r(v: float | None) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 4)


def minor_per_unit(currency: str) -> int:
    """Minor units in one unit of the currency (100 for UAH)."""
    return int(10 ** exponent(currency))


def history_range(ws: Workspace, period: str | None, as_of: date | None) -> DateRange:
    """The months the curves learn from: `period`, or the 24 full months before this one."""
    today = as_of or ws.metrics.today()
    if period:
        return parse_period(period, today, ws.settings.fiscal_year_start_month)
    first = today.replace(day=1)
    return DateRange(add_months(first, -HISTORY_MONTHS), first - timedelta(days=1))


def _monthly(ws: Workspace, rng: DateRange) -> History:
    """The range's months of spend and new customers by channel (the metric engine's)."""
    r = ws.metrics.query(
        ["marketing_spend", "new_customers"],
        period=f"{rng.start}..{rng.end}",
        grain="month",
        by=["channel"],
    )
    return history_of(r.rows(), f"{rng.start}..{rng.end}")


def history_of(rows: list[dict[str, Any]], span: str) -> History:
    """Monthly rows (period, channel, marketing_spend, new_customers) by channel, cut after the
    last month with any spend (a later month's spend is not imported yet, not zero); channels
    that never spent are left out."""
    rows = [x for x in rows if x["channel"] is not None]
    spent = [x["period"] for x in rows if x["marketing_spend"]]
    months = sorted({x["period"] for x in rows if spent and x["period"] <= max(spent)})
    at = {m: i for i, m in enumerate(months)}
    out: dict[str, tuple[list[int], list[int]]] = {}
    for x in rows:
        if x["period"] not in at:
            continue
        spend, won = out.setdefault(x["channel"], ([0] * len(months), [0] * len(months)))
        spend[at[x["period"]]] = int(x["marketing_spend"] or 0)
        won[at[x["period"]]] = int(x["new_customers"] or 0)
    return History(span, months, {k: v for k, v in out.items() if any(v[0])})


def _values(ws: Workspace, rng: DateRange, goal: str, names: list[str]) -> dict[str, float]:
    if goal == "customers":
        return dict.fromkeys(names, 1.0)
    # CLV's churn needs customers active before the period: the history's last 12 months
    start = max(rng.start, add_months(rng.end + timedelta(days=1), -12))
    rows = ws.metrics.query(["clv"], period=f"{start}..{rng.end}", by=["channel"]).rows()
    clv = {x["channel"]: float(x["clv"] or 0) for x in rows}
    return {n: clv.get(n, 0.0) for n in names}


Fit = tuple[PowerResponse | None, HeldOut | None, str | None]


def _fit(spend: list[int], won: list[int]) -> Fit:
    """The channel's curve and held-out check, or why it has none."""
    try:
        model = PowerResponse(n_boot=N_BOOT, seed=7).fit(spend, won)
    except TooFewMonthsError:
        return None, None, "few_months"
    except SteadySpendError:
        return None, None, "steady_spend"
    return model, held_out(spend, won, HOLDOUT), None


def _whole(amounts: np.ndarray, budget: int, step: int) -> list[int]:
    """Whole units of the currency (`step` minor units) adding up to `budget` exactly (largest
    remainders)."""
    units = amounts / step
    out = np.floor(units).astype(np.int64)
    short = round(budget / step) - int(out.sum())
    for i in np.argsort(-(units - out))[: max(short, 0)]:
        out[i] += 1
    minor = [int(v) * step for v in out]
    minor[int(np.argmax(minor))] += budget - sum(minor)
    return minor


def money_text(minor: float, currency: str, lang: str) -> str:
    loc = "uk_UA" if lang == "uk" else "en_US"
    amount = format_decimal(round(minor / minor_per_unit(currency)), locale=loc)
    symbol = get_currency_symbol(currency, locale=loc)
    return (
        f"{amount} {symbol}"
        if lang == "uk"
        else f"{symbol}{amount}"
        if symbol != currency
        else f"{amount} {currency}"
    )


def _outcome_text(v: float | None, goal: str, currency: str, lang: str, sign: bool = False) -> str:
    if v is None:
        return "—"
    if goal == "revenue":
        text = money_text(abs(v), currency, lang)
        return ("+" if v >= 0 else "−") + text if sign or v < 0 else text
    n = round(v)
    return f"{n:+d}" if sign else str(n).replace("-", "−")


def _unit(goal: str, gain: float, lang: str) -> str:
    if goal == "customers" and lang == "uk":
        return plural_uk(abs(round(gain)), "клієнт", "клієнти", "клієнтів")
    if goal == "customers" and lang == "en":
        return "customer" if abs(round(gain)) == 1 else "customers"
    return TEXTS[lang][goal]


def _move_text(m: MovePlan, goal: str, currency: str, lang: str) -> str:
    t = TEXTS[lang if lang in TEXTS else "en"]
    return t["move"].format(
        amount=money_text(m.amount_minor, currency, lang),
        source=m.source,
        target=m.target,
        gain=_outcome_text(m.gain, goal, currency, lang, sign=True),
        unit=_unit(goal, m.gain, lang if lang in TEXTS else "en"),
        low=_outcome_text(m.gain_low, goal, currency, lang),
        high=_outcome_text(m.gain_high, goal, currency, lang),
    )


def allocate(
    ws: Workspace,
    who: Principal,
    *,
    budget_minor: int | None = None,
    goal: str = "customers",
    period: str | None = None,
    as_of: date | None = None,
    lang: str = "en",
) -> Allocation:
    """The split of `budget_minor` (default: the spend of the last month with spend imported)
    that wins the most customers (or lifetime revenue), with the moves to it and their 80 %
    ranges."""
    if not who.scope.everything:
        raise ForbiddenError(
            "the budget is the company's marketing spend: only a person who "
            "sees every record may plan it"
        )
    if goal not in GOALS:
        raise InputError(f"goal '{goal}' is not one of {', '.join(GOALS)}")
    rng = history_range(ws, period, as_of)
    history = _monthly(ws, rng)
    if not history.seen:
        raise InputError(
            f"no marketing spend by channel in {rng.start}..{rng.end}: import "
            "marketing_spend first (salesmetrics import marketing_spend FILE)"
        )
    values = _values(ws, rng, goal, sorted(history.seen))
    return plan(history, values, budget_minor, goal, ws.settings.base_currency, lang)


def plan(
    history: History,
    values: dict[str, float],
    budget_minor: int | None,
    goal: str,
    currency: str,
    lang: str,
) -> Allocation:
    """The allocation from the months of spend and customers by channel (no storage): the curves,
    the split of the budget (default: the last month's spend) and the answer."""
    names = sorted(history.seen)
    inputs, fits = _inputs(names, history.seen, values)
    current = sum(history.seen[n][0][-1] for n in names)
    budget = current if budget_minor is None else int(budget_minor)
    unit = minor_per_unit(currency)
    if budget <= 0:
        raise InputError("the budget must be more than zero")
    try:
        split = split_budget(inputs, float(budget))
    except BudgetTooSmallError:
        floor = sum(round(c.low) for c in inputs)
        raise InputError(
            f"a budget of {budget / unit:,.0f} is below what the history covers: "
            f"at least {floor / unit:,.0f} keeps every channel within the spend it "
            "has seen"
        ) from None
    return _answer(goal, history, budget, budget_minor is None, inputs, fits, split, currency, lang)


def _inputs(
    names: list[str], seen: dict[str, tuple[list[int], list[int]]], values: dict[str, float]
) -> tuple[list[ChannelInput], dict[str, Fit]]:
    inputs, fits = [], {}
    for n in names:
        spend, won = seen[n]
        fits[n] = _fit(spend, won)
        model = fits[n][0]
        positive = [s for s in spend if s > 0]
        inputs.append(
            ChannelInput(
                n,
                model.curve if model else None,
                model.boot_ if model else [],
                values[n],
                float(spend[-1]),
                LOW_SHARE * min(positive) if spend[-1] > 0 else 0.0,
                HIGH_MULTIPLE * max(positive),
            )
        )
    return inputs, fits


def _answer(
    goal: str,
    history: History,
    budget: int,
    default_budget: bool,
    inputs: list[ChannelInput],
    fits: dict[str, Fit],
    split: Split,
    currency: str,
    lang: str,
) -> Allocation:
    unit = minor_per_unit(currency)
    rec = _whole(split.recommended, budget - round(split.unplaced), unit)
    now = _whole(split.current, budget, unit)
    at = np.maximum(split.recommended, [c.low for c in inputs])
    per_1000 = marginals(inputs, at) * 1000 * unit
    plans = []
    for i, c in enumerate(inputs):
        model, judged, why = fits[c.name]
        curve = model.curve if model else None
        b_low, b_high = model.b_interval() if model else (None, None)
        plans.append(
            ChannelPlan(
                c.name,
                curve is not None,
                why,
                c.current <= 0,
                curve.a if curve else None,
                curve.b if curve else None,
                b_low,
                b_high,
                curve.scale if curve else None,
                len(history.months),
                judged,
                round(c.value) if goal == "revenue" else None,
                now[i],
                rec[i],
                round(c.low),
                round(c.high),
                bool(split.at_high[i]),
                bool(split.at_low[i]),
                float(per_1000[i]) if curve else None,
                *history.seen[c.name],
            )
        )
    best = best_channel(inputs, split.recommended)
    moves = [
        MovePlan(m.source, m.target, round(m.amount), m.gain, m.gain_low, m.gain_high, "")
        for m in split.moves
    ]
    small = sum(m.amount_minor for m in moves if m.amount_minor < SMALL_MOVE * budget)
    moves = [
        MovePlan(
            m.source,
            m.target,
            m.amount_minor,
            m.gain,
            m.gain_low,
            m.gain_high,
            _move_text(m, goal, currency, lang),
        )
        for m in moves
        if m.amount_minor >= SMALL_MOVE * budget
    ]
    month = history.months[-1].isoformat()[:7]
    notes = _notes(plans, split, small, currency, lang, month)
    if default_budget:
        notes.insert(0, TEXTS[lang if lang in TEXTS else "en"]["budget"].format(month=month))
    return Allocation(
        goal,
        history.span,
        month,
        currency,
        budget,
        default_budget,
        round(split.unplaced),
        None if best is None else inputs[best].name,
        split.expected_current,
        split.expected_recommended,
        split.gain_low,
        split.gain_high,
        plans,
        moves,
        notes,
    )


def _notes(
    plans: list[ChannelPlan], split: Split, small: int, currency: str, lang: str, month: str
) -> list[str]:
    """Plain-language caveats: caps and floors reached, channels paused or not fitted, budget
    unplaced."""
    t = TEXTS[lang if lang in TEXTS else "en"]
    notes = [
        t["cap"].format(channel=p.channel, amount=money_text(p.high_minor, currency, lang))
        for p in plans
        if p.at_cap
    ]
    notes += [
        t["floor"].format(channel=p.channel, amount=money_text(p.low_minor, currency, lang))
        for p in plans
        if p.at_floor and not p.paused
    ]
    notes += [t["paused"].format(channel=p.channel, month=month) for p in plans if p.paused]
    notes += [
        t["steady" if p.unfitted == "steady_spend" else "unfitted"].format(channel=p.channel)
        for p in plans
        if not p.fitted
    ]
    if small:
        notes.append(t["small"].format(amount=money_text(small, currency, lang)))
    if split.unplaced >= minor_per_unit(currency):
        notes.append(t["unplaced"].format(amount=money_text(split.unplaced, currency, lang)))
    return notes
