"""The learnt score: a regularised (L2) logistic regression on the encoded columns, its strength
chosen by out-of-fold log loss, then Platt-calibrated on the out-of-fold logits (a, b in
p = 1 / (1 + exp(-(a z + b)))), so its percentages are meant to come true. Parameters are plain
numbers, kept as JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from salesmetrics.analytics.leads.encoding import F64, Columns, Encoder

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

STRENGTHS = (0.03, 0.1, 0.3, 1.0)  # C: smaller is stronger regularisation
FOLDS = 3
SEED = 20240611
SEARCH_ROWS = 20_000  # the strength is chosen on a random sample of at most this many


def sigmoid(z: F64) -> F64:
    out: F64 = 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))
    return out


def _fit_lr(x: F64, y: NDArray[np.bool_], c: float) -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression  # sklearn: loaded when used

    return LogisticRegression(C=c, max_iter=500).fit(x, y)


def _log_loss(p: F64, y: NDArray[np.bool_]) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(np.where(y, np.log(p), np.log(1 - p))))


def _out_of_fold(x: F64, y: NDArray[np.bool_], c: float) -> F64:
    from sklearn.model_selection import StratifiedKFold

    z = np.zeros(len(y))
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(x, y):
        z[test] = _fit_lr(x[train], y[train], c).decision_function(x[test])
    return z


def _choose(x: F64, y: NDArray[np.bool_]) -> float:
    """The strength with the least out-of-fold log loss (on a sample of large sets: the curve
    is flat near its best, and the sample keeps training time in bounds)."""
    if len(y) > SEARCH_ROWS:
        rng = np.random.default_rng(SEED)
        keep = np.sort(rng.choice(len(y), SEARCH_ROWS, replace=False))
        x, y = x[keep], y[keep]
    losses = [(_log_loss(sigmoid(_out_of_fold(x, y, c)), y), c) for c in STRENGTHS]
    return min(losses)[1]


def platt(z: F64, y: NDArray[np.bool_]) -> tuple[float, float]:
    """The a, b of Platt scaling on logits z (maximum likelihood, lightly regularised)."""
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e4, max_iter=1000).fit(z.reshape(-1, 1), y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


@dataclass(slots=True)
class LeadModel:
    """fit(raw columns, converted) -> calibrated probabilities and per-column pulls."""

    min_count: int = 10
    encoder_: Encoder = field(default_factory=Encoder)
    coef_: F64 = field(default_factory=lambda: np.zeros(0))
    intercept_: float = 0.0
    c_: float = 1.0
    platt_: tuple[float, float] = (1.0, 0.0)

    def fit(self, raw: Columns, y: NDArray[np.bool_], strength: float | None = None) -> LeadModel:
        """Learn; `strength` (C) skips the search (training reuses the one its evaluation
        chose on the older leads)."""
        self.encoder_ = Encoder(self.min_count).fit(raw)
        x = self.encoder_.transform(raw)
        folds_ok = min(int(y.sum()), int((~y).sum())) >= FOLDS
        self.c_ = strength if strength is not None else 0.1
        if folds_ok and strength is None:
            self.c_ = _choose(x, y)
        z = _out_of_fold(x, y, self.c_) if folds_ok else np.zeros(len(y))
        fit = _fit_lr(x, y, self.c_)
        self.coef_ = fit.coef_[0].astype(np.float64)
        self.intercept_ = float(fit.intercept_[0])
        self.platt_ = platt(z, y) if folds_ok else (1.0, 0.0)
        return self

    def logits(self, raw: Columns) -> F64:
        out: F64 = self.encoder_.transform(raw) @ self.coef_ + self.intercept_
        return out

    def calibrate(self, z: F64) -> F64:
        a, b = self.platt_
        return sigmoid(a * z + b)

    def predict_proba(self, raw: Columns) -> F64:
        return self.calibrate(self.logits(raw))

    def pulls(self, raw: Columns) -> tuple[list[str], F64, F64]:
        """Per raw column, its pull on each lead's logit away from the average lead: the column
        names, an (n, k) matrix of pulls, and the logits."""
        x = self.encoder_.transform(raw)
        names, cols = [], []
        for name, start, stop in self.encoder_.groups():
            names.append(name)
            cols.append(x[:, start:stop] @ self.coef_[start:stop])
        n = x.shape[0]
        m = np.column_stack(cols) if cols else np.zeros((n, 0))
        return names, m, x @ self.coef_ + self.intercept_

    def weights(self) -> list[tuple[str, str, float]]:
        """(column, level or '', coefficient per encoded unit) for the model card."""
        out = []
        for code, (_, start, _) in zip(self.encoder_.columns_, self.encoder_.groups(), strict=True):
            for i, label in enumerate(code.outputs()):
                out.append((code.name, label, float(self.coef_[start + i])))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"encoder": self.encoder_.to_json(), "coef": self.coef_.tolist(),
                "intercept": self.intercept_, "C": self.c_, "platt": list(self.platt_)}  # fmt: skip

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> LeadModel:
        enc = Encoder.from_json(d["encoder"])
        a, b = (float(v) for v in d["platt"])
        return LeadModel(enc.min_count, enc, np.asarray(d["coef"], np.float64),
                         float(d["intercept"]), float(d["C"]), (a, b))  # fmt: skip


def subset(raw: Columns, rows: NDArray[np.int64] | Sequence[int]) -> dict[str, list[Any]]:
    """The same columns, only these rows."""
    idx = list(rows)
    return {name: [values[i] for i in idx] for name, values in raw.items()}
