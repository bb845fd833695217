"""Business records as pages: deals, leads, customers, orders, reps and products.

Each kind is declared once as data (its columns, the names it looks up, the columns it may be
sorted by); one query shape serves them all. Pages are cut by keyset (seek) pagination on
(sort column, id), so a page stays stable while rows are added before or after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from salesmetrics.storage import catalog
from salesmetrics.storage.dialect import Dialect, q
from salesmetrics.storage.protocol import Store
from salesmetrics.storage.repositories.segment_sizes import member_of
from salesmetrics.storage.schema import ColType


@dataclass(frozen=True, slots=True)
class Lookup:
    """The name of a referenced row, shown beside its id (`rep_id` 3 -> `rep` 'Olena')."""

    out: str
    table: str
    ref: str  # the column of the record that holds the referenced id


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """What one kind of record shows and how it may be sorted."""

    kind: str
    table: str
    columns: tuple[tuple[str, str], ...]  # (output name, column), in output order
    lookups: tuple[Lookup, ...]
    sortable: dict[str, str]  # sort key -> column
    owner: str | None  # the column naming the rep a record belongs to (None: no rep's)
    searchable: tuple[str, ...] = ()  # text columns a search looks in (label first)
    customer: str | None = None  # the column naming the record's customer (segment filter)

    def column_type(self, column: str) -> ColType:
        return next(c.type for c in catalog.table(self.table).columns if c.name == column)


def _cols(*names: str) -> tuple[tuple[str, str], ...]:
    """Columns whose output name is the column name, or `out=column` to rename."""
    return tuple((n.partition("=")[0], n.rpartition("=")[2]) for n in names)


_ORIGIN = ("id", "external_id", "source")

SPECS: dict[str, RecordSpec] = {
    spec.kind: spec
    for spec in (
        RecordSpec(
            "deals", "deals",
            _cols(*_ORIGIN, "title", "status", "pipeline_id", "stage_id", "rep_id=owner_rep_id",
                  "customer_id", "lead_id", "channel_id", "amount_minor", "currency",
                  "created_at", "expected_close_on", "closed_at", "lost_reason"),
            (Lookup("pipeline", "pipelines", "pipeline_id"), Lookup("stage", "stages", "stage_id"),
             Lookup("rep", "reps", "owner_rep_id"), Lookup("customer", "customers", "customer_id"),
             Lookup("channel", "channels", "channel_id")),
            {"id": "id", "title": "title", "amount": "amount_minor", "created_at": "created_at",
             "expected_close_on": "expected_close_on", "closed_at": "closed_at"},
            "owner_rep_id",
            ("title", "external_id"),
            "customer_id",
        ),
        RecordSpec(
            "leads", "leads",
            _cols(*_ORIGIN, "name", "company", "email", "phone", "status", "channel_id",
                  "rep_id=owner_rep_id", "created_at", "first_response_at", "decided_at",
                  "converted_customer_id", "converted_deal_id", "attributes"),
            (Lookup("channel", "channels", "channel_id"), Lookup("rep", "reps", "owner_rep_id")),
            {"id": "id", "name": "name", "company": "company", "created_at": "created_at",
             "decided_at": "decided_at"},
            "owner_rep_id",
            ("name", "company", "email", "phone", "external_id"),
        ),
        RecordSpec(
            "customers", "customers",
            _cols(*_ORIGIN, "name", "email", "phone", "company", "region", "industry",
                  "size_band", "channel_id", "rep_id=owner_rep_id", "acquired_at", "attributes"),
            (Lookup("channel", "channels", "channel_id"), Lookup("rep", "reps", "owner_rep_id")),
            {"id": "id", "name": "name", "company": "company", "region": "region",
             "acquired_at": "acquired_at"},
            "owner_rep_id",
            ("name", "company", "email", "phone", "external_id"),
            "id",
        ),
        RecordSpec(
            "orders", "orders",
            _cols(*_ORIGIN, "status", "customer_id", "rep_id", "channel_id", "ordered_at",
                  "currency", "total_minor", "discount_minor", "tax_minor", "shipping_minor"),
            (Lookup("customer", "customers", "customer_id"), Lookup("rep", "reps", "rep_id"),
             Lookup("channel", "channels", "channel_id")),
            {"id": "id", "ordered_at": "ordered_at", "total": "total_minor"},
            "rep_id",
            ("external_id",),
            "customer_id",
        ),
        RecordSpec(
            "reps", "reps",
            _cols(*_ORIGIN, "name", "email", "team_id", "active", "hired_on", "attributes"),
            (Lookup("team", "teams", "team_id"),),
            {"id": "id", "name": "name", "hired_on": "hired_on"},
            "id",
            ("name", "email", "external_id"),
        ),
        RecordSpec(
            "products", "products",
            _cols(*_ORIGIN, "sku", "name", "category", "active", "currency", "unit_price_minor",
                  "unit_cost_minor"),
            (),
            {"id": "id", "name": "name", "sku": "sku", "category": "category",
             "unit_price": "unit_price_minor"},
            None,
            ("name", "sku", "external_id"),
        ),
    )
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Condition:
    """`column IN values`, `column >= value`, `column < value` or `column = value`; or
    `contains`: the kind's searchable columns, any of them, hold the text (case ignored;
    `column` is then unused); `in_segment`: the customer `column` names is stored in that
    customer segment (customer_segments)."""

    column: str
    op: Literal["in", ">=", "<", "=", "in_or_null", "contains", "in_segment"]
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Seek:
    """Order by one column (nulls last either way), then id; start after (value, id) if given."""

    column: str
    descending: bool = False
    after: tuple[Any, int] | None = None


def _expr(store: Store, spec: RecordSpec, column: str) -> str:
    """A column as it compares: text in code point order on both engines."""
    if spec.column_type(column) is ColType.TEXT and store.dialect is Dialect.POSTGRES:
        return f'r.{q(column)} COLLATE "C"'
    return f"r.{q(column)}"


def _folded(store: Store, column: str) -> str:
    """A text column in lower case, Cyrillic included: PostgreSQL's lower() follows the
    database's locale (none under C), so it is told to use ICU's root locale."""
    if store.dialect is Dialect.POSTGRES:
        return f'lower(r.{q(column)} COLLATE "und-x-icu")'
    return f"lower(r.{q(column)})"


def _where(
    store: Store, spec: RecordSpec, conditions: Sequence[Condition]
) -> tuple[list[str], list[Any]]:
    sql: list[str] = []
    params: list[Any] = []
    for c in conditions:
        if c.op == "contains":
            found = [f"strpos({_folded(store, col)}, ?) > 0" for col in spec.searchable]
            sql.append(f"({' OR '.join(found) or 'FALSE'})")
            params.extend([str(c.values[0]).lower()] * len(found))
            continue
        spec.column_type(c.column)  # raises on a column the table does not have
        if c.op == "in_or_null":  # a view: these reps' records and the unassigned ones
            listed = f"r.{q(c.column)} IN ({', '.join('?' * len(c.values))})"
            sql.append(f"({listed} OR r.{q(c.column)} IS NULL)" if c.values else
                       f"r.{q(c.column)} IS NULL")  # fmt: skip
        elif c.op == "in_segment":
            sql.append(member_of(f"r.{q(c.column)}"))
        elif c.op == "in":
            sql.append(f"r.{q(c.column)} IN ({', '.join('?' * len(c.values))})"
                       if c.values else "FALSE")  # fmt: skip
        else:
            sql.append(f"r.{q(c.column)} {c.op} ?")
        params.extend(c.values)
    return sql, params


def _seek(store: Store, spec: RecordSpec, seek: Seek) -> tuple[list[str], list[Any]]:
    """The keyset predicate: rows after (value, id) in the order of `_order`."""
    if seek.after is None:
        return [], []
    value, last_id = seek.after
    col, cmp = _expr(store, spec, seek.column), "<" if seek.descending else ">"
    if seek.column == "id":
        return [f"r.id {cmp} ?"], [last_id]
    if value is None:  # already among the trailing nulls
        return [f"({col} IS NULL AND r.id {cmp} ?)"], [last_id]
    return (
        [f"({col} {cmp} ? OR ({col} = ? AND r.id {cmp} ?) OR {col} IS NULL)"],
        [value, value, last_id],
    )


def _order(store: Store, spec: RecordSpec, seek: Seek) -> str:
    way = "DESC" if seek.descending else "ASC"
    if seek.column == "id":
        return f"r.id {way}"
    return f"{_expr(store, spec, seek.column)} {way} NULLS LAST, r.id {way}"


def _select(spec: RecordSpec) -> str:
    cols = [f"r.{q(col)} AS {q(out)}" for out, col in spec.columns]
    cols += [f"j{i}.name AS {q(lk.out)}" for i, lk in enumerate(spec.lookups)]
    joins = [
        f"LEFT JOIN {q(lk.table)} j{i} ON j{i}.id = r.{q(lk.ref)}"
        for i, lk in enumerate(spec.lookups)
    ]
    return f"SELECT {', '.join(cols)} FROM {{inner}} r {' '.join(joins)}"


def _rows(store: Store, spec: RecordSpec, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    names = [out for out, _ in spec.columns] + [lk.out for lk in spec.lookups]
    return [dict(zip(names, row, strict=True)) for row in store.fetchall(sql, params)]


def page(
    store: Store, spec: RecordSpec, conditions: Sequence[Condition], seek: Seek, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` records matching every condition, in seek order, with looked-up names."""
    where, params = _where(store, spec, conditions)
    after, after_params = _seek(store, spec, seek)
    clause = " AND ".join(where + after) or "TRUE"
    order = _order(store, spec, seek)
    inner = f"(SELECT * FROM {q(spec.table)} r WHERE {clause} ORDER BY {order} LIMIT ?)"
    sql = _select(spec).format(inner=inner) + f" ORDER BY {order}"
    return _rows(store, spec, sql, [*params, *after_params, limit])


def count(store: Store, spec: RecordSpec, conditions: Sequence[Condition]) -> int:
    """How many records match every condition."""
    where, params = _where(store, spec, conditions)
    clause = " AND ".join(where) or "TRUE"
    return int(
        store.fetchall(f"SELECT count(*) FROM {q(spec.table)} r WHERE {clause}", params)[0][0]
    )


def one(
    store: Store, spec: RecordSpec, record_id: int, conditions: Sequence[Condition] = ()
) -> dict[str, Any] | None:
    """One record by id (that also meets the conditions), or None."""
    where, params = _where(store, spec, conditions)
    clause = " AND ".join(["r.id = ?", *where])
    inner = f"(SELECT * FROM {q(spec.table)} r WHERE {clause})"
    found = _rows(store, spec, _select(spec).format(inner=inner), [record_id, *params])
    return found[0] if found else None
