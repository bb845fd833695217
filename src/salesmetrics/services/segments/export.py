"""One RFM segment, or one behaviour cluster, as a list for a campaign: the customers in the
asker's view, segmented exactly as the RFM report (and the Customers page) they see for that
day, with how to reach them, their scores and spend and, when the CLV models can be fitted on
the view, their P(alive) and predicted value. Written as CSV or XLSX like every export (text that
looks like a formula stays text) and recorded in the audit log.

Money is in major units of the base currency (the `currency` column); `purchases` counts
purchase days, what F is scored on; `value_12m` is the discounted value over the next 12 months
(1 % a month, in revenue), the figure the Customers page shows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.analytics.segments.rfm import Assignment
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import InputError
from salesmetrics.domain.money import exponent
from salesmetrics.metrics.catalog import suggest
from salesmetrics.services import exports
from salesmetrics.services.access.audit import record
from salesmetrics.services.segments import clusters as cl
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments import rfm
from salesmetrics.services.segments.behaviour import F64, I64, Behaviour, read
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import customer_behaviour as repo

HEADER = ["customer_id", "external_id", "name", "email", "phone", "region", "rep", "segment",
          "segment_label", "r", "f", "m", "last_purchase", "purchases", "total_spend",
          "currency", "p_alive", "value_12m"]  # fmt: skip
CLUSTER_AFTER = HEADER.index("segment_label") + 1  # a cluster's export adds `cluster` here


def _checked(segment: str | None, cluster: int | None) -> str:
    """The file's name: segment-<code> or cluster-<number>; an InputError naming the choices."""
    if (segment is None) == (cluster is None):
        raise InputError("export one RFM segment or one cluster: name a segment or give a "
                         "cluster number, not both")  # fmt: skip
    if segment is not None:
        codes = list(rfm.builtin_table().names)
        if segment not in codes:
            raise InputError(f"no segment '{segment}'{suggest(segment, codes)}")
        return f"segment-{segment}"
    if cluster is None or cluster < 1:
        raise InputError(f"cluster {cluster}: clusters are numbered from 1")
    return f"cluster-{cluster}"


def export_segment(
    ws: Workspace, who: Principal, fmt: str, as_of: date, *, segment: str | None = None,
    cluster: int | None = None, lang: str = "en", address: str | None = None,
    actor: Principal | None = None,
) -> exports.Export:  # fmt: skip
    """The customers of one RFM segment (its code) or one behaviour cluster (its number, 1 to k
    as the Customers page and `segments clusters` show it) in `who`'s view, as of the end of
    `as_of`, as a CSV or XLSX file named like segment-champions-2026-11-25.csv; the audit log
    names `actor` (who asked: `who` unless an operator exports as someone)."""
    name = _checked(segment, cluster)
    exports.check_format(fmt)
    b = read(ws, who, as_of, categories=False)
    a = rfm.scored(b)
    labels = None if cluster is None else _cluster(b, cluster)
    at = np.flatnonzero(a.segment == segment if labels is None else labels == (cluster or 0) - 1)
    if len(at) > exports.MAX_ROWS:
        raise InputError(f"{len(at):,} customers: an export holds at most "
                         f"{exports.MAX_ROWS:,} rows")  # fmt: skip
    header = HEADER if labels is None else [*HEADER[:CLUSTER_AFTER], "cluster",
                                            *HEADER[CLUSTER_AFTER:]]  # fmt: skip
    rows = _rows(ws, who, b, a, at, lang)
    if labels is not None:
        for row, i in zip(rows, at.tolist(), strict=True):
            row.insert(CLUSTER_AFTER, int(labels[i]) + 1)
    done = exports.as_file(fmt, header, rows, name=f"{name}-{as_of}", sheet=name)
    record(ws, actor or who, "export", object_type="customers", object_id=name,
           address=address,
           details={"format": fmt, "rows": done.rows, "segment": segment, "cluster": cluster,
                    "as_of": as_of.isoformat(), "lang": lang,
                    "as": None if actor is None else who.email})  # fmt: skip
    return done


def _rows(ws: Workspace, who: Principal, b: Behaviour, a: Assignment, at: I64,
          lang: str) -> list[list[Any]]:  # fmt: skip
    """The rows of HEADER for the customers at `at` (positions in `b` and `a`)."""
    p_alive, worth = _value(b)
    currency = ws.settings.base_currency
    digits = exponent(currency)
    contacts = _contacts(ws, who, b.ids[at])
    table = rfm.builtin_table()
    said = {c: rfm.say(table.rule(c).label, lang, c) for c in table.names}
    rows = []
    for i in at.tolist():
        c = contacts.get(int(b.ids[i]), {})
        code = str(a.segment[i])
        rows.append([int(b.ids[i]), c.get("external_id"), c.get("name"), c.get("email"),
                     c.get("phone"), c.get("region"), c.get("rep"), code, said[code],
                     int(a.r[i]), int(a.f[i]), int(a.m[i]), str(b.last[i]), int(b.days[i]),
                     _major(b.monetary[i], digits), currency,
                     None if p_alive is None else round(float(p_alive[i]), 4),
                     None if worth is None else _major(worth[i], digits)])  # fmt: skip
    return rows


def _cluster(b: Behaviour, number: int) -> I64:
    """Every customer's cluster (from 0), learnt as `segments clusters` learns them."""
    model, _ = cl.learn(b)
    if number > model.k_:
        raise InputError(f"cluster {number}: as of {b.as_of} the customers fall into "
                         f"{model.k_} clusters, numbered 1 to {model.k_}")  # fmt: skip
    return model.labels_


def _value(b: Behaviour) -> tuple[F64 | None, F64 | None]:
    """P(alive) and the 12-month value of every customer, or nothing when the models cannot be
    fitted on the view (too few customers)."""
    try:
        f = value.fit(b, value.Settings(b.as_of, b.as_of))
    except InputError:
        return None, None
    where = np.searchsorted(f.summary.customer, b.ids)
    return f.p_alive[where], f.value[where]


def _contacts(ws: Workspace, who: Principal, ids: I64) -> dict[int, dict[str, Any]]:
    t = repo.customers(ws.store, who.scope)
    wanted = pa.array(ids, pa.int64()).cast(t.schema.field("id").type)
    t = t.filter(pc.is_in(t.column("id"), value_set=wanted))
    return {int(r["id"]): r for r in t.to_pylist()}


def _major(minor: Any, digits: int) -> Decimal:
    """Minor units (a float sum) as the amount in major units, to the currency's digits."""
    return Decimal(round(float(minor))).scaleb(-digits)
