"""Lead rows as the scoring models read them: our own columns (channel, rep, first response,
engagement before the cut) and every free attribute, one list of values per column."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

OWN = ("channel", "channel_kind", "rep", "first_response_hours", "activities", "calls",
       "emails", "meetings", "days_quiet", "has_email", "has_phone")  # fmt: skip
# Days since the last touch stop at a decided lead's decision, where they mean something else
# (a lead that became a deal goes quiet as a lead): the points table may use them, models not.
RULES_ONLY = ("days_quiet",)


@dataclass(frozen=True, slots=True)
class LeadFrame:
    """Decided or open leads: who they are, their raw columns and (decided) their outcome."""

    ids: list[int]
    external_ids: list[str | None]
    names: list[str | None]
    companies: list[str | None]
    rep_ids: list[int | None]
    reps: list[str | None]
    channels: list[str | None]
    typical_minor: list[float | None]
    created: NDArray[np.float64]
    cut: NDArray[np.float64]
    raw: dict[str, list[Any]]
    attributes: list[str]  # the raw columns that came from the free attributes
    converted: NDArray[np.bool_]

    @property
    def n(self) -> int:
        return len(self.ids)

    def row(self, i: int) -> dict[str, Any]:
        return {name: values[i] for name, values in self.raw.items()}


def _attrs(text: Any) -> dict[str, Any]:
    if text is None:
        return {}
    loaded = json.loads(text) if isinstance(text, str) else text
    return loaded if isinstance(loaded, dict) else {}


def _scalar(v: Any) -> Any:
    return json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, dict | list) else v


def frame(t: pa.Table) -> LeadFrame:
    """Columns of `lead_features.lead_rows` -> a LeadFrame."""
    c = {name: t.column(name).to_pylist() for name in t.column_names}
    n = t.num_rows
    created = np.asarray(c["created"], np.float64)
    cut = np.asarray(c["cut"], np.float64)
    first = c["first_response"]
    last = c["last_activity"]
    made, cuts = [float(x) for x in c["created"]], [float(x) for x in c["cut"]]
    parsed = [_attrs(a) for a in c["attributes"]]
    keys = sorted({k for a in parsed for k in a})
    # the business's own attributes first: where one mirrors a column of ours (a source that is
    # the channel), the model keeps the business's name for it
    raw: dict[str, list[Any]] = {}
    attributes = []
    for key in keys:
        name = f"attributes.{key}" if key in OWN else key
        values = [a.get(key) for a in parsed]
        if set(map(type, values)) & {dict, list}:  # nested JSON: kept as its text
            values = [_scalar(v) for v in values]
        raw[name] = values
        attributes.append(name)
    raw.update({
        "channel": c["channel"],
        "channel_kind": c["channel_kind"],
        "rep": c["rep"],
        "first_response_hours": [
            None if f is None else round(max(0.0, (f - made[i]) / 3600.0), 4)
            for i, f in enumerate(first)
        ],
        "activities": [int(x) for x in c["activities"]],
        "calls": [int(x) for x in c["calls"]],
        "emails": [int(x) for x in c["emails"]],
        "meetings": [int(x) for x in c["meetings"]],
        "days_quiet": [
            round(max(0.0, (cuts[i] - (made[i] if la is None else la)) / 86400.0), 1)
            for i, la in enumerate(last)
        ],
        "has_email": [bool(x) for x in c["has_email"]],
        "has_phone": [bool(x) for x in c["has_phone"]],
    })  # fmt: skip
    return LeadFrame(
        ids=[int(x) for x in c["id"]],
        external_ids=c["external_id"],
        names=c["name"],
        companies=c["company"],
        rep_ids=c["rep_id"],
        reps=c["rep"],
        channels=c["channel"],
        typical_minor=c["typical_minor"],
        created=created,
        cut=cut,
        raw=raw,
        attributes=attributes,
        converted=np.asarray([bool(x) for x in c["converted"]], np.bool_).reshape(n),
    )
