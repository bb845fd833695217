"""The leakage screen: attribute columns that look recorded at or after a lead's decision.

Our own columns are cut at the decision point by construction; a free attribute column carries
no time, so it is judged by what it does:

- **name**: it is called like an outcome (status, stage, won, lost, result, outcome, converted,
  closed, reason; in Ukrainian too);
- **separation**: on its own it tells converted from lost leads almost perfectly (AUC at least
  `max_auc`), which a fact known before the decision rarely does;
- **presence**: it is filled in for decided leads far more (or less) often than for open ones,
  as a field the rep fills in when closing the lead would be.

A flagged column is left out of training and scoring unless the user keeps it by name.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from salesmetrics.analytics.leads.encoding import NUMBER, Columns, _as_number, is_missing, kind_of
from salesmetrics.analytics.leads.evaluate import auc

OUTCOME_WORDS = re.compile(
    r"(status|stage|won|lost|win|loss|result|outcome|convert|closed|close_reason|reason|"
    r"статус|етап|стадія|виграно|програно|результат|причина|закрит|конверт)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Flag:
    column: str
    reason: str  # name | separation | presence
    detail: str  # the figure behind it
    value: float


def _alone_auc(values: Sequence[Any], y: NDArray[np.bool_]) -> float:
    """How well the column alone ranks converted above lost (either direction)."""
    if kind_of(values) == NUMBER:
        x = np.array([np.nan if (v := _as_number(r)) is None else v for r in values])
        x = np.where(np.isnan(x), np.nanmedian(x) if (~np.isnan(x)).any() else 0.0, x)
    else:
        keys = ["" if is_missing(v) else str(v) for v in values]
        won = Counter(k for k, yes in zip(keys, y, strict=True) if yes)
        seen = Counter(keys)
        x = np.array([(won[k] + 0.5) / (seen[k] + 1.0) for k in keys])
    a = auc(x, y)
    return max(a, 1.0 - a)


def screen(decided: Columns, y: NDArray[np.bool_], open_: Columns, candidates: Sequence[str],
           max_auc: float = 0.95, max_gap: float = 0.5) -> list[Flag]:  # fmt: skip
    """The flagged columns among `candidates` (the free attributes)."""
    flags: list[Flag] = []
    for name in candidates:
        if OUTCOME_WORDS.search(name):
            flags.append(Flag(name, "name", "", 0.0))
            continue
        values = decided.get(name, [])
        if len(values) and y.any() and (~y).any():
            a = _alone_auc(values, y)
            if a >= max_auc:
                flags.append(Flag(name, "separation", f"AUC {a:.3f}", a))
                continue
        n_open = len(next(iter(open_.values()))) if open_ else 0
        others = open_.get(name, [None] * n_open)  # a column no open lead has: all missing
        if len(values) >= 20 and len(others) >= 20:
            shown = np.mean([not is_missing(v) for v in values])
            shown_open = np.mean([not is_missing(v) for v in others])
            gap = float(shown - shown_open)
            if abs(gap) >= max_gap:
                flags.append(Flag(name, "presence", f"{shown:.0%} / {shown_open:.0%}", gap))
    return flags
