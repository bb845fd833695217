"""Customer lifetime value as people read it: a purchase model and the Gamma-Gamma spend model
fitted on the purchase days of the customers in view, each customer's chance of still being a
customer, the purchases and spend to expect, the discounted value over a horizon, and the
valuable customers the business is about to lose.

The purchase model is the BG/NBD or the MBG/NBD, which also lets a customer drop out at their
first purchase; by default both are fitted and the one of higher likelihood on the calibration
purchases is used (both have four parameters, so this is also the choice by AIC or BIC).

With a calibration end before the as-of day, the models learn from the purchases up to it and
the report adds a check: the purchases they predicted for the days after it against those that
happened (in total and by how often customers had bought). Fitted on the asker's view: a rep's
figures come from the rep's customers alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from salesmetrics.analytics.clv.bgnbd import BgNbd, PurchaseModel
from salesmetrics.analytics.clv.errors import FitFailed
from salesmetrics.analytics.clv.gamma_gamma import GammaGamma, spend_frequency_correlation
from salesmetrics.analytics.clv.mbgnbd import MBgNbd
from salesmetrics.analytics.clv.summary import Summary, summarise
from salesmetrics.analytics.clv.units import unit_of, units_per_month
from salesmetrics.analytics.clv.value import discounted_clv
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import InputError
from salesmetrics.services.feedback.signals import LastSaid, last_said
from salesmetrics.services.segments.behaviour import Behaviour, read
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import customer_behaviour as repo

UNITS = ("day", "week", "month")
MODELS: dict[str, type[PurchaseModel]] = {"bgnbd": BgNbd, "mbgnbd": MBgNbd}  # auto: in this order
RISK_SPEND_SHARE = 0.2  # the top fifth of customers by past spend are "valuable"
RISK_P_ALIVE = 0.5  # ... and at risk below this chance of still being a customer


@dataclass(frozen=True, slots=True)
class Settings:
    as_of: date
    calibration_end: date
    time_unit: str = "week"
    months: int = 12
    monthly_discount: float = 0.01
    margin: float = 1.0
    # the purchase model: "bgnbd", "mbgnbd", or "auto" (the higher likelihood); BG/NBD by
    # default: on the demo the likelier MBG/NBD forecasts six months worse (docs/segments.md)
    model: str = "bgnbd"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A purchase model fitted on the calibration purchases, with its log-likelihood there."""

    model: PurchaseModel
    log_likelihood: float


@dataclass(frozen=True, slots=True)
class Fitted:
    summary: Summary
    purchases: PurchaseModel  # the model in force
    candidates: dict[str, Candidate | None]  # every model tried, by name; None: its fit failed
    spend: GammaGamma | None  # None: too few repeat buyers for a spend model
    p_alive: np.ndarray[Any, np.dtype[np.float64]]
    expected: np.ndarray[Any, np.dtype[np.float64]]  # purchases over the horizon
    spend_each: np.ndarray[Any, np.dtype[np.float64]]  # expected spend per purchase (minor)
    value: np.ndarray[Any, np.dtype[np.float64]]  # discounted CLV (minor)
    past: np.ndarray[Any, np.dtype[np.float64]]  # total spend so far (minor)


def _check(s: Settings) -> None:
    if s.time_unit not in UNITS:
        raise InputError(f"time unit '{s.time_unit}': use day, week or month")
    if s.model != "auto" and s.model not in MODELS:
        raise InputError(f"purchase model '{s.model}': use auto, bgnbd or mbgnbd")
    if s.calibration_end > s.as_of:
        raise InputError(f"the calibration end {s.calibration_end} is after the as-of day "
                         f"{s.as_of}")  # fmt: skip
    if not 1 <= s.months <= 120:
        raise InputError(f"the horizon is 1 to 120 months, not {s.months}")
    if not 0 < s.margin <= 1:
        raise InputError(f"the margin is a share of revenue above 0 and at most 1, not {s.margin}")


def fit(b: Behaviour, s: Settings) -> Fitted:
    """Both models on the purchase days up to the calibration end, and every customer's
    figures as of it."""
    _check(s)
    obs = s.as_of if s.calibration_end < s.as_of else None
    sm = summarise(b.tx_customer, b.tx_day, b.tx_amount, calibration_end=s.calibration_end,
                   observation_end=obs, time_unit=s.time_unit)  # fmt: skip
    if len(sm) == 0:
        raise InputError(f"no customer bought on or before {s.calibration_end}")
    model, candidates = _purchase_model(sm, s)
    spend = _spend_model(sm)
    each = (spend.conditional_expected_spend(sm.frequency, sm.monetary) if spend is not None
            else np.where(sm.frequency > 0, sm.monetary, _mean_spend(b)))  # fmt: skip
    value = discounted_clv(model, sm.frequency, sm.recency, sm.T, each, months=s.months,
                           monthly_discount=s.monthly_discount, margin=s.margin)  # fmt: skip
    horizon = s.months * units_per_month(unit_of(s.time_unit))
    upto = b.tx_day <= np.datetime64(s.calibration_end, "D")
    past = np.bincount(np.searchsorted(sm.customer, b.tx_customer[upto]),
                       weights=b.tx_amount[upto], minlength=len(sm)).astype(np.float64)  # fmt: skip
    return Fitted(sm, model, candidates, spend, model.p_alive(sm.frequency, sm.recency, sm.T),
                  model.conditional_expected(horizon, sm.frequency, sm.recency, sm.T),
                  each, value, past)  # fmt: skip


def _purchase_model(sm: Summary, s: Settings) -> tuple[PurchaseModel, dict[str, Candidate | None]]:
    """The purchase model in force, and every one tried: the one asked for, or (auto) each, fitted
    on the distinct histories, the one of higher log-likelihood in force (on a tie, the BG/NBD).
    With auto, a model whose fit fails is None and the other is used; if both fail, the BG/NBD's
    failure is the error."""
    keys, counts = np.unique(np.c_[sm.frequency, sm.recency, sm.T], axis=0, return_counts=True)
    x, t_x, big_t = keys[:, 0], keys[:, 1], keys[:, 2]
    out: dict[str, Candidate | None] = {}
    failed: list[FitFailed] = []
    for name in MODELS if s.model == "auto" else (s.model,):
        try:
            m = MODELS[name].fit(x, t_x, big_t, weights=counts, time_unit=s.time_unit)
        except FitFailed as exc:
            failed.append(exc)
            out[name] = None
            continue
        out[name] = Candidate(m, m.log_likelihood(x, t_x, big_t, weights=counts))
    fitted = [c for c in out.values() if c is not None]
    if not fitted:
        raise failed[0]
    return max(fitted, key=lambda c: c.log_likelihood).model, out


def _spend_model(sm: Summary) -> GammaGamma | None:
    repeat = sm.frequency > 0
    if int(repeat.sum()) < 10:
        return None
    try:
        return GammaGamma.fit(sm.frequency[repeat], sm.monetary[repeat])
    except InputError:
        return None


def _mean_spend(b: Behaviour) -> float:
    return float(b.tx_amount.mean()) if len(b.tx_amount) else 0.0


@dataclass(frozen=True, slots=True)
class ClvReport:
    settings: Settings
    currency: str
    fitted: Fitted
    names: dict[int, tuple[str | None, str | None, int | None, str | None]]  # ext, name, rep
    said: dict[int, LastSaid] = field(default_factory=dict)  # latest feedback, last half year

    def parameters(self) -> dict[str, Any]:
        """The models' parameters and log-likelihoods: `bgnbd` holds the purchase model in
        force (`model` says which; the key keeps its first name for the callers that read it),
        `candidates` every purchase model tried (null: its fit failed)."""
        f = self.fitted
        sm = f.summary
        chosen = f.purchases.MODEL
        tried = {name: None if c is None else _described(c) for name, c in f.candidates.items()}
        out: dict[str, Any] = {"model": chosen, "bgnbd": tried[chosen], "candidates": tried,
                               "gamma_gamma": None}  # fmt: skip
        if f.spend is not None:
            repeat = sm.frequency > 0
            g = f.spend
            out["gamma_gamma"] = {
                "p": g.p, "q": g.q, "gamma": g.gamma, "repeat_customers": int(repeat.sum()),
                "log_likelihood": g.log_likelihood(sm.frequency[repeat], sm.monetary[repeat]),
                "spend_frequency_correlation": spend_frequency_correlation(
                    sm.frequency[repeat], sm.monetary[repeat]),
            }  # fmt: skip
        return out

    def holdout(self) -> dict[str, Any] | None:
        f = self.fitted
        sm = f.summary
        if sm.holdout_frequency is None or sm.holdout_duration is None:
            return None
        predicted = f.purchases.conditional_expected(sm.holdout_duration, sm.frequency,
                                                     sm.recency, sm.T)  # fmt: skip
        actual = sm.holdout_frequency
        buckets = []
        for lo, hi in ((0, 0), (1, 1), (2, 2), (3, 4), (5, 9), (10, None)):
            at = (sm.frequency >= lo) & (sm.frequency <= (hi if hi is not None else 10**9))
            if at.any():
                buckets.append({"frequency": f"{lo}" if lo == hi else f"{lo}+" if hi is None
                                else f"{lo}-{hi}", "customers": int(at.sum()),
                                "predicted": round(float(predicted[at].sum()), 1),
                                "actual": int(actual[at].sum())})  # fmt: skip
        return {"from": str(sm.calibration_end + 1), "to": str(sm.observation_end),
                "predicted": round(float(predicted.sum()), 1), "actual": int(actual.sum()),
                "by_frequency": buckets}  # fmt: skip

    def customer_rows(self) -> list[dict[str, Any]]:
        f = self.fitted
        sm = f.summary
        rows = []
        for i, cid in enumerate(sm.customer.tolist()):
            ext, name, rep_id, rep = self.names.get(int(cid), (None, None, None, None))
            rows.append({
                "id": int(cid), "external_id": ext, "name": name, "rep_id": rep_id, "rep": rep,
                "frequency": int(sm.frequency[i]), "recency": round(float(sm.recency[i]), 4),
                "T": round(float(sm.T[i]), 4), "spent_minor": round(float(f.past[i])),
                "p_alive": round(float(f.p_alive[i]), 4),
                "expected_purchases": round(float(f.expected[i]), 4),
                "expected_spend_minor": round(float(f.spend_each[i])),
                "clv_minor": round(float(f.value[i])),
            })  # fmt: skip
        return rows

    def _among(self, only: np.ndarray | None) -> np.ndarray:
        """Which fitted customers count: all, or those whose ids are in `only`."""
        customer = self.fitted.summary.customer
        return np.ones(len(customer), bool) if only is None else np.isin(customer, only)

    def at_risk(self, only: np.ndarray | None = None) -> list[dict[str, Any]]:
        """Valuable customers (top fifth by past spend, of all fitted) whose P(alive) is below
        one half, or whose latest response of the last half year was a detractor's, most
        valuable first; of those, the ones in `only` (customer ids) if given. Each says why
        (`reasons`: `p_alive`, `detractor`) and what they last told us (`feedback`)."""
        f = self.fitted
        if not len(f.past):
            return []
        line = float(np.quantile(f.past, 1 - RISK_SPEND_SHARE))
        unhappy = np.array([bool((x := self.said.get(int(c))) and x.detractor)
                            for c in f.summary.customer.tolist()], bool)  # fmt: skip
        fading = f.p_alive < RISK_P_ALIVE
        risky = (f.past >= line) & (fading | unhappy) & self._among(only)
        chosen = np.flatnonzero(risky)
        rows = self.customer_rows()
        out = []
        for i in chosen[np.argsort(-f.past[chosen], kind="stable")].tolist():
            said = self.said.get(rows[i]["id"])
            reasons = [r for r, on in (("p_alive", fading[i]), ("detractor", unhappy[i])) if on]
            out.append({**rows[i], "reasons": reasons,
                        "feedback": said.as_dict() if said else None})  # fmt: skip
        return out

    def distribution(self, bins: int = 10, only: np.ndarray | None = None) -> list[dict[str, Any]]:
        """Customers by CLV band (of those in `only`, if given). Lifetime values are skewed (a
        few customers are worth many times the typical one), so the bands widen geometrically
        from the 5th percentile of the positive values to the 99th percentile, edges rounded
        to two significant digits; the first band starts at 0, the last holds everything above
        the 99th percentile too."""
        v = self.fitted.value[self._among(only)]
        if not len(v):
            return []
        edges = _bands(v, bins)
        counts = np.histogram(np.clip(v, 0, edges[-1]), edges)[0]
        return [{"from_minor": round(float(edges[i])), "to_minor": round(float(edges[i + 1])),
                 "customers": int(counts[i])} for i in range(len(edges) - 1)]  # fmt: skip

    def as_dict(self, customers: bool = True) -> dict[str, Any]:
        s = self.settings
        v = self.fitted.value
        return {
            "as_of": s.as_of.isoformat(), "calibration_end": s.calibration_end.isoformat(),
            "time_unit": s.time_unit, "horizon_months": s.months,
            "monthly_discount": s.monthly_discount, "margin": s.margin,
            "currency": self.currency, "customers_fitted": len(v),
            "total_clv_minor": round(float(v.sum())),
            "parameters": self.parameters(), "holdout": self.holdout(),
            "distribution": self.distribution(), "at_risk": self.at_risk(),
            **({"customers": self.customer_rows()} if customers else {}),
        }  # fmt: skip


def _described(c: Candidate) -> dict[str, float]:
    m = c.model
    return {"r": m.r, "alpha": m.alpha, "a": m.a, "b": m.b, "log_likelihood": c.log_likelihood}


def _bands(v: np.ndarray, bins: int) -> np.ndarray:
    """Band edges for `distribution`: 0, then geometric steps to the 99th percentile."""
    top = float(np.quantile(v, 0.99))
    positive = v[v > 0]
    if top <= 0 or not len(positive):
        return np.array([0.0, max(top, 1.0)])
    low = min(float(np.quantile(positive, 0.05)), top / 2)
    steps = np.geomspace(low, top, bins)
    nice = np.unique([_two_digits(x) for x in steps])
    return np.concatenate([[0.0], nice[nice > 0]])


def _two_digits(x: float) -> float:
    """`x` rounded to two significant digits (1234 -> 1200, 0.0567 -> 0.057)."""
    unit = 10.0 ** (np.floor(np.log10(x)) - 1)
    return float(np.round(x / unit) * unit)


def clv(ws: Workspace, who: Principal, settings: Settings) -> ClvReport:
    """Fit and apply the CLV models on the customers in `who`'s view."""
    b = read(ws, who, settings.as_of, categories=False)
    fitted = fit(b, settings)
    return ClvReport(settings, ws.settings.base_currency, fitted, who_is(ws, who),
                     last_said(ws, who, settings.as_of))  # fmt: skip


def who_is(ws: Workspace, who: Principal) -> dict[int, tuple[Any, Any, Any, Any]]:
    """Customer id -> (external id, name, owner rep id, owner's name), for those in view."""
    t = repo.customers(ws.store, who.scope)
    cols = [t.column(c).to_pylist() for c in ("id", "external_id", "name", "rep_id", "rep")]
    return {int(i): (e, n, ri, r) for i, e, n, ri, r in zip(*cols, strict=True)}
