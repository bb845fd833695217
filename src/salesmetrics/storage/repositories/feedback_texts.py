"""Feedback responses with what they are linked to, for reading comments (themes, sentiment,
verbatims): one read per report, in the asker's view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa

from salesmetrics.domain.access import Scope
from salesmetrics.storage.protocol import Store
from salesmetrics.storage.repositories.lead_features import in_view
from salesmetrics.storage.repositories.segment_sizes import in_segment


def responses(store: Store, scope: Scope, start: datetime, end: datetime) -> pa.Table:
    """The responses received in [start, end) that `scope` sees (by the response's rep, and of
    its segment's customers when it has one), with
    their rep's, product's and customer's names, oldest first."""
    seen, params = in_view(scope, "f.rep_id")
    member, of = in_segment(scope, "f.customer_id")
    return store.fetch_arrow(
        "SELECT f.id, f.received_at, f.kind, f.score, f.scale_max, f.comment, f.language, "
        "f.customer_id, c.name AS customer, f.order_id, f.deal_id, f.rep_id, r.name AS rep, "
        "f.product_id, p.name AS product, p.category FROM feedback f "
        "LEFT JOIN reps r ON r.id = f.rep_id LEFT JOIN products p ON p.id = f.product_id "
        "LEFT JOIN customers c ON c.id = f.customer_id "
        f"WHERE f.received_at >= ? AND f.received_at < ? AND {seen} AND {member} "
        "ORDER BY f.received_at, f.id",
        [start, end, *params, *of],
    )


def latest_by_customer(store: Store, scope: Scope, start: datetime,
                       end: datetime) -> list[tuple[Any, ...]]:  # fmt: skip
    """Each customer's latest scored response received in [start, end), for the customers
    `scope` sees (by their owner): (customer_id, kind, score, scale_max, received_at,
    comment)."""
    seen, params = in_view(scope, "c.owner_rep_id")
    return store.fetchall(
        "SELECT customer_id, kind, score, scale_max, received_at, comment FROM ("
        "SELECT f.customer_id, f.kind, f.score, f.scale_max, f.received_at, f.comment, "
        "row_number() OVER (PARTITION BY f.customer_id ORDER BY f.received_at DESC, f.id DESC) "
        "AS k FROM feedback f JOIN customers c ON c.id = f.customer_id "
        f"WHERE f.score IS NOT NULL AND f.received_at >= ? AND f.received_at < ? AND {seen}"
        ") z WHERE k = 1",
        [start, end, *params],
    )


def after_answers(store: Store, scope: Scope, start: datetime, end: datetime, days: int,
                  currency: str) -> list[tuple[Any, ...]]:  # fmt: skip
    """Each customer's latest scored answer received in [start, end) (customers `scope` sees,
    by their owner), with what they bought in the `days` days after it: (kind, score,
    scale_max, paid orders, revenue in minor units of `currency`, orders in other currencies
    left out of the revenue)."""
    seen, params = in_view(scope, "c.owner_rep_id")
    return store.fetchall(
        "SELECT z.kind, z.score, z.scale_max, count(o.id), "
        "coalesce(sum(CASE WHEN o.currency = ? THEN o.total_minor END), 0) FROM ("
        "SELECT f.customer_id, f.kind, f.score, f.scale_max, f.received_at, row_number() OVER "
        "(PARTITION BY f.customer_id ORDER BY f.received_at DESC, f.id DESC) AS k "
        "FROM feedback f JOIN customers c ON c.id = f.customer_id WHERE f.score IS NOT NULL "
        f"AND f.received_at >= ? AND f.received_at < ? AND {seen}) z "
        "LEFT JOIN orders o ON o.customer_id = z.customer_id AND o.status = 'paid' "
        "AND o.ordered_at > z.received_at AND o.ordered_at <= z.received_at + ? * INTERVAL '1 day' "
        "WHERE z.k = 1 GROUP BY z.customer_id, z.kind, z.score, z.scale_max",
        [currency, start, end, *params, days],
    )
