"""Training end to end on decided leads: screen the attributes for leakage, judge the score on a
time split (train on the older 75 %, test on the newest 25 %) against naive Bayes and the points
table, then learn the model from every decided lead and blend it with the points table by how
much history there is."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from salesmetrics.analytics.leads.baseline import NaiveBayes
from salesmetrics.analytics.leads.encoding import F64, Columns
from salesmetrics.analytics.leads.evaluate import auc, calibration, lift
from salesmetrics.analytics.leads.leakage import Flag, screen
from salesmetrics.analytics.leads.model import LeadModel, subset
from salesmetrics.analytics.leads.rules import RuleTable
from salesmetrics.analytics.leads.scorer import Scorer, model_share

TEST_SHARE = 0.25
MIN_TEST = 40  # fewer held-out leads than this: no evaluation worth the name


@dataclass(frozen=True, slots=True)
class History:
    """The decided leads as training sees them."""

    raw: Columns  # raw columns, one value per lead
    converted: NDArray[np.bool_]
    created: F64  # epoch seconds, for the time split
    attributes: Sequence[str]  # which raw columns are free attributes (screened for leakage)


@dataclass(frozen=True, slots=True)
class Trained:
    kind: str  # "model" or "rules"
    scorer: Scorer
    flags: list[Flag]
    kept: list[str]  # flagged columns the user kept anyway
    evaluation: dict[str, Any]


def _clean(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 4)


def _judge(p: F64, y: NDArray[np.bool_]) -> dict[str, float | None]:
    return {"auc": _clean(auc(p, y)), "lift_top10": _clean(lift(p, y, 0.1)),
            "lift_top20": _clean(lift(p, y, 0.2))}  # fmt: skip


def _split(h: History) -> tuple[NDArray[np.int64], NDArray[np.int64]] | None:
    n = len(h.converted)
    order = np.argsort(h.created, kind="stable")
    cut = round(n * (1 - TEST_SHARE))
    train, test = order[:cut], order[cut:]
    y = h.converted
    if len(test) < MIN_TEST or min(y[train].sum(), (~y[train]).sum(), y[test].sum(),
                                    (~y[test]).sum()) < 5:  # fmt: skip
        return None
    return train, test


def _learnable(raw: Columns, rules_only: Sequence[str]) -> dict[str, Sequence[Any]]:
    return {k: v for k, v in raw.items() if k not in rules_only}


def _evaluate(h: History, raw: Columns, rules: RuleTable, share: float, min_count: int,
              rules_only: Sequence[str]) -> dict[str, Any]:  # fmt: skip
    parts = _split(h)
    y = h.converted
    # a rule on a column that means something else at a lead's decision (days since the last
    # touch) cannot be judged on decided leads: the table is judged without it
    rules = rules.without(rules_only)
    if parts is None:
        return {"split": None, "why": "too few decided leads of each outcome to hold some out",
                "scores": {"rules": _judge(rules.score(raw), y)} if len(y) else {}}  # fmt: skip
    train, test = parts
    tr, te, yt = subset(raw, train), subset(raw, test), y[test]
    scores: dict[str, Any] = {"rules": _judge(rules.score(te), yt)}
    tr_m = _learnable(tr, rules_only)
    scores["naive_bayes"] = _judge(NaiveBayes().fit(tr_m, y[train]).predict_proba(te), yt)
    model = LeadModel(min_count).fit(tr_m, y[train])
    scores["model"] = _judge(model.predict_proba(te), yt)
    served = Scorer(rules, model, share).probability(te) if share > 0 else rules.score(te)
    scores["served"] = _judge(served, yt)
    return {
        "split": {
            "train": len(train),
            "test": len(test),
            "test_from": float(h.created[test].min()),
            "train_until": float(h.created[train].max()),
        },
        "base_rate": round(float(yt.mean()), 4),
        "strength": model.c_,
        "scores": scores,
        "calibration": [
            {
                "low": round(b.low, 4),
                "high": round(b.high, 4),
                "leads": b.leads,
                "predicted": round(b.predicted, 4),
                "actual": round(b.actual, 4),
                "interval": [round(b.interval[0], 4), round(b.interval[1], 4)],
                "within": b.within,
            }
            for b in calibration(served, yt)
        ],
    }


def train(h: History, open_raw: Columns, rules: RuleTable, *, min_history: int,
          full_history: int, keep: Sequence[str] = (), rules_only: Sequence[str] = (),
          min_count: int = 10) -> Trained:  # fmt: skip
    """Screen, evaluate and fit; `keep` names flagged columns to use all the same; columns in
    `rules_only` are for the points table, never learnt (their meaning at a lead's decision
    is not their meaning for an open lead)."""
    flags = screen(h.raw, h.converted, open_raw, h.attributes)
    dropped = {f.column for f in flags if f.column not in keep}
    raw = {k: v for k, v in h.raw.items() if k not in dropped}
    n = len(h.converted)
    share = model_share(n, min_history, full_history)
    evaluation: dict[str, Any] = (
        _evaluate(h, raw, rules, share, min_count, rules_only)
        if n
        else {"split": None, "why": "no decided leads yet: nothing to learn from or test on"}
    )
    unjudged = sorted({r.field for r in rules.rules} & set(rules_only))
    if unjudged:
        evaluation["rules_not_judged"] = unjudged
    evaluation.update({"decided": n, "converted": int(h.converted.sum()), "model_share": share})
    learnable = _learnable(raw, rules_only)
    chosen = evaluation.pop("strength", None)
    model = LeadModel(min_count).fit(learnable, h.converted, chosen) if share > 0 else None
    kept = sorted({f.column for f in flags} - dropped)
    kind = "model" if model is not None else "rules"
    return Trained(kind, Scorer(rules, model, share), flags, kept, evaluation)
