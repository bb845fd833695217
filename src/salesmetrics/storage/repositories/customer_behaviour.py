"""What customer segmentation reads: each customer's purchases by local day (in the base
currency), what they buy and how, and who they are.

A purchase is a paid order; its amount is the sum of its lines (returns are negative lines), in
the workspace's base currency at the rate in force on the order's local day. A customer is in
view when the asker sees the customer's owner, and an order counts when the asker also sees the
order's rep: a rep's segments are built from what that rep may see, nothing more.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa

from salesmetrics.domain.access import EVERYTHING, Scope
from salesmetrics.storage.protocol import Store, WriteTx
from salesmetrics.storage.repositories.lead_features import in_view

_RATES = (
    "rates AS (SELECT currency AS fx_currency, rate_on AS fx_from, "
    "lead(rate_on) OVER (PARTITION BY currency ORDER BY rate_on) AS fx_to, "
    "rate_to_base AS fx_rate FROM fx_rates)"
)


def _paid(scope: Scope, until: datetime, time_zone: str) -> tuple[str, list[Any]]:
    """The paid orders in view before `until`, with their customer's local day."""
    customers, c_params = in_view(scope, "c.owner_rep_id")
    orders, o_params = in_view(scope, "o.rep_id")
    sql = (
        "paid AS (SELECT o.id, o.customer_id, o.currency, o.discount_minor, "
        "CAST(timezone(?, o.ordered_at) AS DATE) AS day "
        "FROM orders o JOIN customers c ON c.id = o.customer_id "
        f"WHERE o.status = 'paid' AND o.ordered_at < ? AND {customers} AND {orders})"
    )
    return sql, [time_zone, until, *c_params, *o_params]


def _rate(base_currency: str) -> tuple[str, str, list[Any]]:
    """The rate column and the join condition converting `a.currency` on `a.day` to base."""
    rate = "CASE WHEN a.currency = ? THEN 1.0 ELSE r.fx_rate END"
    join = (
        "LEFT JOIN rates r ON r.fx_currency = a.currency AND a.currency <> ? "
        "AND r.fx_from <= a.day AND (r.fx_to IS NULL OR a.day < r.fx_to)"
    )
    return rate, join, [base_currency]


def purchase_days(
    store: Store,
    until: datetime,
    time_zone: str,
    base_currency: str,
    scope: Scope = EVERYTHING,
) -> pa.Table:
    """One row per customer and local day with paid orders: customer_id, day (date), amount
    (minor units of the base currency, float; null where a currency had no rate), orders,
    discount (minor, base), and unconverted (orders without a rate)."""
    paid, params = _paid(scope, until, time_zone)
    rate, join, rate_params = _rate(base_currency)
    sql = (
        f"WITH {_RATES}, {paid}, "
        "a AS (SELECT p.customer_id, p.day, p.currency, p.id, max(p.discount_minor) AS discount, "
        "sum(l.line_total_minor) AS amount FROM paid p JOIN order_lines l ON l.order_id = p.id "
        "GROUP BY p.customer_id, p.day, p.currency, p.id) "
        f"SELECT a.customer_id, a.day, sum(a.amount * {rate}) AS amount, count(*) AS orders, "
        f"sum(coalesce(a.discount, 0) * {rate}) AS discount, "
        "CAST(sum(CASE WHEN a.currency <> ? AND r.fx_rate IS NULL THEN 1 ELSE 0 END) AS BIGINT) "
        "AS unconverted "
        f"FROM a {join} GROUP BY a.customer_id, a.day ORDER BY a.customer_id, a.day"
    )
    return store.fetch_arrow(
        sql, [*params, *rate_params, *rate_params, base_currency, *rate_params]
    )


def category_spend(
    store: Store,
    until: datetime,
    time_zone: str,
    base_currency: str,
    scope: Scope = EVERYTHING,
) -> pa.Table:
    """Per customer and product category: customer_id, category ('' for none), amount (base
    currency minor units, float)."""
    paid, params = _paid(scope, until, time_zone)
    rate, join, rate_params = _rate(base_currency)
    sql = (
        f"WITH {_RATES}, {paid}, "
        "a AS (SELECT p.customer_id, p.day, p.currency, coalesce(pr.category, '') AS category, "
        "sum(l.line_total_minor) AS amount FROM paid p JOIN order_lines l ON l.order_id = p.id "
        "LEFT JOIN products pr ON pr.id = l.product_id "
        "GROUP BY p.customer_id, p.day, p.currency, coalesce(pr.category, '')) "
        f"SELECT a.customer_id, a.category, sum(a.amount * {rate}) AS amount "
        f"FROM a {join} GROUP BY a.customer_id, a.category ORDER BY a.customer_id, a.category"
    )
    return store.fetch_arrow(sql, [*params, *rate_params, *rate_params])


def paid_orders(
    store: Store,
    customer_id: int,
    until: datetime,
    time_zone: str,
    base_currency: str,
    scope: Scope = EVERYTHING,
    limit: int = 20,
) -> pa.Table:
    """One customer's latest paid orders in view before `until`, newest first: id, external_id,
    ordered_at, day (local date), currency, amount (the order lines in minor units of the base
    currency, float; null where the currency had no rate)."""
    paid, params = _paid(scope, until, time_zone)
    rate, join, rate_params = _rate(base_currency)
    sql = (
        f"WITH {_RATES}, {paid}, "
        "a AS (SELECT p.id, p.day, p.currency, sum(l.line_total_minor) AS amount FROM paid p "
        "JOIN order_lines l ON l.order_id = p.id WHERE p.customer_id = ? "
        "GROUP BY p.id, p.day, p.currency) "
        f"SELECT a.id, o.external_id, o.ordered_at, a.day, a.currency, a.amount * {rate} AS amount "
        f"FROM a JOIN orders o ON o.id = a.id {join} "
        "ORDER BY o.ordered_at DESC, a.id DESC LIMIT ?"
    )
    return store.fetch_arrow(sql, [*params, customer_id, *rate_params, *rate_params, limit])


def customers(
    store: Store, scope: Scope = EVERYTHING, ids: tuple[int, ...] | None = None
) -> pa.Table:
    """The customers in view: id, external_id, name, company, email, phone, region, owner (rep
    id and name), channel name and kind, acquired_at."""
    seen, params = in_view(scope, "c.owner_rep_id")
    where = [seen]
    if ids is not None:
        where.append(f"c.id IN ({', '.join('?' * len(ids))})" if ids else "FALSE")
        params = [*params, *ids]
    sql = (
        "SELECT c.id, c.external_id, c.name, c.company, c.email, c.phone, c.region, "
        "c.owner_rep_id AS rep_id, r.name AS rep, ch.name AS channel, ch.kind AS channel_kind, "
        "c.acquired_at FROM customers c LEFT JOIN reps r ON r.id = c.owner_rep_id "
        "LEFT JOIN channels ch ON ch.id = c.channel_id "
        f"WHERE {' AND '.join(where)} ORDER BY c.id"
    )
    return store.fetch_arrow(sql, params)


def find_customer(store: Store, text: str) -> list[tuple[int, int | None]]:
    """(id, owner rep id) of customers whose id, external id or email is `text`."""
    key = text.strip()
    number = int(key) if key.isdigit() else -1
    rows = store.fetchall(
        "SELECT id, owner_rep_id FROM customers WHERE id = ? OR external_id = ? "
        "OR lower(email) = lower(?) ORDER BY id",
        [number, key, key],
    )
    return [(int(r[0]), None if r[1] is None else int(r[1])) for r in rows]


# workspace_state keys: the data version the stored segments were computed from, and their
# as-of day (an ordinal): every server worker reads them, so none recomputes what another did.
SEGMENTS_VERSION = "segments_data_version"
SEGMENTS_DAY = "segments_as_of_day"


def replace_segments(store: Store, rows: pa.Table, data_version: int, as_of: date) -> None:
    """Replace every stored customer segment with `rows` (columns of customer_segments), in one
    transaction: readers see the old set or the new one, never a mix; `data_version` and
    `as_of` are what they were computed from. Derived data: the data version (and so the
    rollups' freshness) does not move."""

    def work(tx: WriteTx) -> None:
        tx.execute("DELETE FROM customer_segments")
        if rows.num_rows:
            tx.load_arrow("customer_segments", rows)
        for key, value in ((SEGMENTS_VERSION, data_version), (SEGMENTS_DAY, as_of.toordinal())):
            tx.execute(
                "INSERT INTO workspace_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    store.write(work, changes_data=False)


def segments_computed_from(store: Store) -> tuple[int, date] | None:
    """(data version, as-of day) of the stored segments; None before the first refresh."""
    found = dict(
        store.fetchall(
            "SELECT key, value FROM workspace_state WHERE key IN (?, ?)",
            [SEGMENTS_VERSION, SEGMENTS_DAY],
        )
    )
    if SEGMENTS_VERSION not in found or SEGMENTS_DAY not in found:
        return None
    return int(found[SEGMENTS_VERSION]), date.fromordinal(int(found[SEGMENTS_DAY]))


def stored_segments(store: Store, scope: Scope = EVERYTHING) -> pa.Table:
    """The stored segments of the customers in view, with the customer's owner."""
    seen, params = in_view(scope, "c.owner_rep_id")
    return store.fetch_arrow(
        "SELECT s.id, s.as_of, s.computed_at, s.segment, s.r, s.f, s.m, s.cluster, s.p_alive, "
        "s.clv_minor, c.owner_rep_id AS rep_id FROM customer_segments s "
        f"JOIN customers c ON c.id = s.id WHERE {seen} ORDER BY s.id",
        params,
    )
