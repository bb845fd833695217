"""One customer as the Customers page shows them: who they are, their RFM segment and scores
(within the asker's view, like `rfm`), their latest paid orders and, when the CLV models can be
fitted on the view, their predicted value. A customer outside the view is not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import InputError, NotFoundError
from salesmetrics.services.feedback.signals import LastSaid, last_said
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments import rfm
from salesmetrics.services.segments.behaviour import Behaviour, cut, read
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import customer_behaviour as repo

HISTORY = 20  # the latest paid orders shown


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    external_id: str | None
    day: date
    currency: str
    amount_minor: float | None  # base currency; None: no rate for the order's currency


@dataclass(frozen=True, slots=True)
class Standing:
    segment: str
    label: str
    description: str
    r: int
    f: int
    m: int
    recency_days: int
    purchases: int
    spent_minor: float


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    as_of: date
    id: int
    external_id: str | None
    name: str | None
    company: str | None
    rep: str | None
    currency: str
    standing: Standing | None  # None: no purchase in view up to the as-of day
    orders: list[Order]
    value: dict[str, Any] | None  # the CLV report's row for the customer
    value_note: str | None  # why there is no value (the models could not be fitted)
    said: LastSaid | None = None  # their latest scored answer of the last half year


def profile(ws: Workspace, who: Principal, customer_id: int, as_of: date, *,
            lang: str = "en") -> CustomerProfile:  # fmt: skip
    """The customer `customer_id` as of the end of `as_of`, if `who` sees them."""
    t = repo.customers(ws.store, who.scope, ids=(customer_id,)).to_pylist()
    if not t:
        raise NotFoundError(f"no customer '{customer_id}' in your view")
    c = t[0]
    s = ws.settings
    rows = repo.paid_orders(ws.store, customer_id, cut(ws, as_of), s.time_zone, s.base_currency,
                            who.scope, HISTORY).to_pylist()  # fmt: skip
    orders = [Order(int(o["id"]), o["external_id"], o["day"], o["currency"], o["amount"])
              for o in rows]  # fmt: skip
    b = read(ws, who, as_of, categories=False)  # once, for the standing and the value
    row, note = None, None
    try:
        fitted = value.fit(b, value.Settings(as_of, as_of))
        report = value.ClvReport(value.Settings(as_of, as_of), s.base_currency, fitted, {})
        row = next((x for x in report.customer_rows() if x["id"] == customer_id), None)
    except InputError as exc:
        note = exc.message
    return CustomerProfile(as_of, customer_id, c["external_id"], c["name"], c["company"],
                           c["rep"], s.base_currency, _standing(b, customer_id, lang),
                           orders, row, note,
                           last_said(ws, who, as_of).get(customer_id))  # fmt: skip


def _standing(b: Behaviour, customer_id: int, lang: str) -> Standing | None:
    at = int(np.searchsorted(b.ids, customer_id))
    if at >= b.n or int(b.ids[at]) != customer_id:
        return None
    a = rfm.scored(b)
    code = str(a.segment[at])
    rule = rfm.builtin_table().rule(code)
    return Standing(code, rfm.say(rule.label, lang, code), rfm.say(rule.description, lang, ""),
                    int(a.r[at]), int(a.f[at]), int(a.m[at]), int(b.recency_days()[at]),
                    int(b.days[at]), float(b.monetary[at]))  # fmt: skip
