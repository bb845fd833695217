"""Each customer's buying behaviour as of a date, in the asker's view: what RFM, the clusters and
the CLV models are computed from.

A purchase day is a local day with paid orders worth more than nothing (a day of returns only is
not a purchase, but its amount still lowers the customer's total). Amounts are minor units of
the base currency; orders in a currency without a rate are counted in `unconverted` and left
out of the amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from salesmetrics.domain.access import Principal
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import customer_behaviour as repo

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
DAY = NDArray[np.datetime64]
TOP_CATEGORIES = 6  # the categories with most spend get a share column each; the rest: other


@dataclass(frozen=True, slots=True)
class Behaviour:
    """One entry per customer with at least one purchase day before the cut, by customer id."""

    as_of: date  # the last day counted
    ids: I64
    first: DAY  # first purchase day
    last: DAY  # last purchase day
    days: I64  # distinct purchase days
    orders: I64  # paid orders
    monetary: F64  # total spend, minor units of the base currency
    discount_share: F64  # discounts / (spend + discounts)
    categories: dict[str, F64]  # share of spend per top category (and "other")
    unconverted: int  # orders left out: no rate for their currency
    # every purchase day (for the CLV models): customer id, day, amount
    tx_customer: I64
    tx_day: DAY
    tx_amount: F64

    @property
    def n(self) -> int:
        return len(self.ids)

    def recency_days(self) -> I64:
        out: I64 = (np.datetime64(self.as_of, "D") - self.last).astype(np.int64)
        return out

    def tenure_days(self) -> I64:
        out: I64 = (np.datetime64(self.as_of, "D") - self.first).astype(np.int64)
        return out


def cut(ws: Workspace, as_of: date) -> datetime:
    """The first instant after `as_of` in the workspace's time zone."""
    zone = ZoneInfo(ws.settings.time_zone)
    return datetime.combine(as_of + timedelta(days=1), time(), zone)


def read(ws: Workspace, who: Principal, as_of: date, *, categories: bool = True) -> Behaviour:
    """The behaviour of every customer in `who`'s view, up to the end of `as_of`."""
    until = cut(ws, as_of)
    s = ws.settings
    t = repo.purchase_days(ws.store, until, s.time_zone, s.base_currency, who.scope)
    return build(t, as_of, repo.category_spend(ws.store, until, s.time_zone, s.base_currency,
                                                who.scope) if categories else None)  # fmt: skip


def build(days: pa.Table, as_of: date, spend: pa.Table | None = None) -> Behaviour:
    """Behaviour from `purchase_days` rows (sorted by customer and day) and `category_spend`."""
    customer = np.asarray(days.column("customer_id").to_numpy(zero_copy_only=False), np.int64)
    day = np.asarray(days.column("day").to_numpy(zero_copy_only=False), "datetime64[D]")
    amount = np.nan_to_num(
        np.asarray(days.column("amount").to_numpy(zero_copy_only=False), np.float64)
    )
    orders = np.asarray(days.column("orders").to_numpy(zero_copy_only=False), np.int64)
    discount = np.nan_to_num(
        np.asarray(days.column("discount").to_numpy(zero_copy_only=False), np.float64)
    )
    unconverted = int(np.asarray(days.column("unconverted").to_numpy(), np.int64).sum())
    bought = amount > 0
    ids, start = _runs(customer)
    c, d = customer[bought], day[bought]  # purchase days only, still sorted
    buyers, first_at = _runs(c)
    keep = np.isin(ids, buyers, assume_unique=True)
    total = np.add.reduceat(amount, start) if len(start) else np.zeros(0)
    n_orders = np.add.reduceat(orders, start) if len(start) else np.zeros(0, np.int64)
    discounts = np.add.reduceat(discount, start) if len(start) else np.zeros(0)
    count = np.diff(np.append(first_at, len(c)))
    last_at = first_at + count - 1
    gross = total[keep] + discounts[keep]
    return Behaviour(
        as_of=as_of,
        ids=ids[keep],
        first=d[first_at],
        last=d[last_at],
        days=count.astype(np.int64),
        orders=n_orders[keep].astype(np.int64),
        monetary=total[keep],
        discount_share=np.divide(discounts[keep], gross, out=np.zeros(len(gross)), where=gross > 0),
        categories=_shares(spend, ids[keep]) if spend is not None else {},
        unconverted=unconverted,
        tx_customer=c,
        tx_day=d,
        tx_amount=amount[bought],
    )


def _shares(spend: pa.Table, ids: I64) -> dict[str, F64]:
    """Each customer's share of spend per top category (by total spend), the rest as 'other'."""
    customer = np.asarray(spend.column("customer_id").to_numpy(zero_copy_only=False), np.int64)
    coded = pa.chunked_array(spend.column("category")).combine_chunks().dictionary_encode()
    code = np.asarray(coded.indices.to_numpy(zero_copy_only=False), np.int64)
    names = [str(x) for x in coded.dictionary.to_pylist()]
    amount = np.nan_to_num(
        np.asarray(spend.column("amount").to_numpy(zero_copy_only=False), np.float64)
    ).clip(min=0)  # returns do not make a negative share
    where = np.searchsorted(ids, customer)
    seen = (where < len(ids)) & (ids[np.minimum(where, len(ids) - 1)] == customer)
    where, code, amount = where[seen], code[seen], amount[seen]
    if not len(code):
        return {}
    totals = np.bincount(code, weights=amount, minlength=len(names))
    top = [int(i) for i in np.argsort(-totals)[:TOP_CATEGORIES]]
    per: F64 = np.bincount(where, weights=amount, minlength=len(ids)).astype(np.float64)
    out: dict[str, F64] = {}
    rest = np.ones(len(code), np.bool_)
    for i in top:
        mine = code == i
        rest &= ~mine
        out[str(names[i]) or "—"] = _share(where[mine], amount[mine], per)
    if rest.any():
        out["other"] = _share(where[rest], amount[rest], per)
    return out


def _runs(sorted_ids: I64) -> tuple[I64, I64]:
    """The distinct values of a sorted array and where each run starts (np.unique without
    sorting again)."""
    if not len(sorted_ids):
        return sorted_ids, np.zeros(0, np.int64)
    start = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]).astype(np.int64)
    return sorted_ids[start], start


def _share(where: I64, amount: F64, per: F64) -> F64:
    part = np.bincount(where, weights=amount, minlength=len(per))
    out: F64 = np.divide(part, per, out=np.zeros(len(per)), where=per > 0)
    return out
