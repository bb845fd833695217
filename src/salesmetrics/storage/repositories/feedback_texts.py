"""Feedback responses with what they are linked to, for reading comments (themes, sentiment,
verbatims): one read per report, in the asker's view."""

from __future__ import annotations

from datetime import datetime

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
