"""Record lists and single records: filters, sorting and cursor pagination over the repository.

Filters are declared here as data (name -> column and comparison), so the API, its docs and a
CLI later all read one list. Dates in `*_from` / `*_to` filters are local business dates of the
workspace's time zone, both ends included.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from salesmetrics.domain.access import Scope
from salesmetrics.domain.errors import InputError, NotFoundError
from salesmetrics.domain.money import exponent
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import records as repo
from salesmetrics.storage.repositories.records import Condition, RecordSpec, Seek
from salesmetrics.storage.schema import ColType

KINDS: tuple[str, ...] = tuple(repo.SPECS)
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_SEARCH = 200
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)

Op = Literal["in", "=", "from", "to"]


@dataclass(frozen=True, slots=True)
class FilterDef:
    """A filter parameter: the column it reads and how (`in`: any of the values; `from`/`to`:
    a local date range on a timestamp column, both ends included)."""

    column: str
    op: Op


def _f(column: str, op: Op = "in") -> FilterDef:
    return FilterDef(column, op)


def _between(prefix: str, column: str) -> dict[str, FilterDef]:
    return {f"{prefix}_from": _f(column, "from"), f"{prefix}_to": _f(column, "to")}


FILTERS: dict[str, dict[str, FilterDef]] = {
    "deals": {
        "status": _f("status"), "pipeline_id": _f("pipeline_id"), "stage_id": _f("stage_id"),
        "rep_id": _f("owner_rep_id"), "customer_id": _f("customer_id"),
        "channel_id": _f("channel_id"), "currency": _f("currency"),
        **_between("created", "created_at"), **_between("closed", "closed_at"),
    },
    "leads": {
        "status": _f("status"), "channel_id": _f("channel_id"), "rep_id": _f("owner_rep_id"),
        **_between("created", "created_at"), **_between("decided", "decided_at"),
    },
    "customers": {
        "region": _f("region"), "industry": _f("industry"), "size_band": _f("size_band"),
        "channel_id": _f("channel_id"), "rep_id": _f("owner_rep_id"),
        **_between("acquired", "acquired_at"),
    },
    "orders": {
        "status": _f("status"), "customer_id": _f("customer_id"), "rep_id": _f("rep_id"),
        "channel_id": _f("channel_id"), "currency": _f("currency"),
        **_between("placed", "ordered_at"),
    },
    "reps": {"team_id": _f("team_id"), "active": _f("active", "=")},
    "products": {"category": _f("category"), "active": _f("active", "="),
                 "currency": _f("currency")},
}  # fmt: skip

# Money: output name -> (minor-units column, currency column).
MONEY: dict[str, dict[str, str]] = {
    "deals": {"amount": "amount_minor"},
    "orders": {"total": "total_minor", "discount": "discount_minor", "tax": "tax_minor",
               "shipping": "shipping_minor"},
    "products": {"unit_price": "unit_price_minor", "unit_cost": "unit_cost_minor"},
}  # fmt: skip


def sort_keys(kind: str) -> tuple[str, ...]:
    """Every accepted `sort` value of a kind: each sortable field, ascending and descending."""
    return tuple(k for key in _spec(kind).sortable for k in (key, f"-{key}"))


@dataclass(frozen=True, slots=True)
class RecordPage:
    """One page of records, the total that match, and the cursor of the next page (if any)."""

    kind: str
    rows: list[dict[str, Any]]
    total: int
    limit: int
    sort: str
    next_cursor: str | None


def _spec(kind: str) -> RecordSpec:
    try:
        return repo.SPECS[kind]
    except KeyError:
        raise NotFoundError(f"no records of kind '{kind}': use one of {', '.join(KINDS)}") from None


def _listed(values: Sequence[str]) -> str:
    return ", ".join(values)


def _conditions(kind: str, filters: Mapping[str, Any], tz: ZoneInfo) -> list[Condition]:
    known = FILTERS[kind]
    out: list[Condition] = []
    for name, value in filters.items():
        if value is None or value == [] or value == ():
            continue
        if name not in known:
            raise InputError(f"{kind} cannot be filtered by '{name}': use {_listed(list(known))}")
        f = known[name]
        if f.op == "in":
            values = tuple(value) if isinstance(value, list | tuple) else (value,)
            plain = (v.value if isinstance(v, Enum) else v for v in values)
            out.append(Condition(f.column, "in", tuple(dict.fromkeys(plain))))
        elif f.op == "=":
            out.append(Condition(f.column, "=", (value,)))
        else:
            if not FIRST_DAY <= value <= LAST_DAY:
                raise InputError(f"{name} {value} is out of range: use {FIRST_DAY} to {LAST_DAY}")
            day = value if f.op == "from" else value + timedelta(days=1)
            start = datetime.combine(day, time(), tz)
            out.append(Condition(f.column, ">=" if f.op == "from" else "<", (start,)))
    _check_ranges(kind, filters)
    return out


def _check_ranges(kind: str, filters: Mapping[str, Any]) -> None:
    for name, f in FILTERS[kind].items():
        if f.op != "from":
            continue
        prefix = name.removesuffix("_from")
        lo, hi = filters.get(name), filters.get(f"{prefix}_to")
        if lo is not None and hi is not None and lo > hi:
            raise InputError(f"{prefix}_from {lo} is after {prefix}_to {hi}: swap them")


def _encode_cursor(sort: str, value: Any, last_id: int) -> str:
    if isinstance(value, date | datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, last_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str, ctype: ColType) -> tuple[Any, int]:
    bad = InputError("cursor is not one this API gave out: start again without it")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, value, last_id = json.loads(raw)
    except (ValueError, binascii.Error, TypeError):
        raise bad from None
    if key != sort:
        raise InputError(f"cursor belongs to sort={key}, not sort={sort}: keep the sort, or "
                         "start again without a cursor")  # fmt: skip
    if not isinstance(last_id, int) or isinstance(last_id, bool):
        raise bad
    try:
        return _typed(value, ctype), last_id
    except (ValueError, TypeError):
        raise bad from None


def _typed(value: Any, ctype: ColType) -> Any:
    """A cursor value back in the column's own type (the JSON held it as text or a number)."""
    if value is None:
        return None
    match ctype:
        case ColType.TIMESTAMP:
            return datetime.fromisoformat(str(value))
        case ColType.DATE:
            return date.fromisoformat(str(value))
        case ColType.TEXT | ColType.CURRENCY:
            if not isinstance(value, str):
                raise TypeError(value)
            return value
        case _:
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
                raise TypeError(value)
            return value


def _seek(spec: RecordSpec, sort: str, cursor: str | None) -> Seek:
    key = sort.removeprefix("-")
    if key not in spec.sortable:
        allowed = _listed(sort_keys(spec.kind))
        raise InputError(f"{spec.kind} cannot be sorted by '{sort}': use {allowed}")
    column = spec.sortable[key]
    after = _decode_cursor(cursor, sort, spec.column_type(column)) if cursor else None
    return Seek(column, sort.startswith("-"), after)


def formatted(minor: int, currency: str) -> str:
    """Minor units as an exact decimal string in major units (125050 UAH -> '1250.50')."""
    digits = exponent(currency)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"


def _public(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """A record as the API and CLI show it: money as {minor, currency, amount}, JSON parsed."""
    out = dict(row)
    for name, column in MONEY.get(kind, {}).items():
        minor = out.pop(column)
        cur = str(out["currency"])
        out[name] = None if minor is None else {
            "minor": int(minor), "currency": cur, "amount": formatted(int(minor), cur)
        }  # fmt: skip
    if isinstance(out.get("attributes"), str):
        out["attributes"] = json.loads(out["attributes"])
    return out


def in_view(spec: RecordSpec, scope: Scope) -> list[Condition]:
    """The one visibility rule (domain.access) as a condition on a kind's owner column."""
    if scope.reps is None or spec.owner is None:
        return []
    reps = tuple(sorted(scope.reps))
    unassigned = scope.unassigned and spec.owner != "id"
    return [Condition(spec.owner, "in_or_null" if unassigned else "in", reps)]


def in_segment(spec: RecordSpec, scope: Scope) -> list[Condition]:
    """A view's customer segment on a kind's customer column (a filter for lists, never a
    reason to refuse one record; kinds without customers are not narrowed)."""
    if scope.segment is None or spec.customer is None:
        return []
    return [Condition(spec.customer, "in_segment", (scope.segment,))]


def segment_applies(kind: str) -> bool:
    """Whether a kind's records belong to customers (a segment filter narrows them)."""
    return repo.SPECS[kind].customer is not None


def _search(text: str | None) -> list[Condition]:
    if text is None:
        return []
    words = text.strip()
    if not 1 <= len(words) <= MAX_SEARCH:
        raise InputError(f"search text must be 1 to {MAX_SEARCH} characters, not {len(words)}")
    return [Condition("", "contains", (words,))]


def _where(
    ws: Workspace, spec: RecordSpec, scope: Scope, filters: Mapping[str, Any] | None,
    search: str | None,
) -> list[Condition]:  # fmt: skip
    tz = ZoneInfo(ws.settings.time_zone)
    return (_conditions(spec.kind, filters or {}, tz) + _search(search)
            + in_view(spec, scope) + in_segment(spec, scope))  # fmt: skip


def list_records(
    ws: Workspace, kind: str, scope: Scope, *, filters: Mapping[str, Any] | None = None,
    sort: str = "id", limit: int = DEFAULT_LIMIT, cursor: str | None = None,
    search: str | None = None,
) -> RecordPage:  # fmt: skip
    """A page of the records of one kind in the view of `scope`, filtered, searched (any of
    the kind's `searchable` columns holds the text, case ignored) and sorted, after `cursor`
    if given."""
    spec = _spec(kind)
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit {limit} is out of range: use 1 to {MAX_LIMIT}")
    conditions = _where(ws, spec, scope, filters, search)
    seek = _seek(spec, sort, cursor)
    rows = repo.page(ws.store, spec, conditions, seek, limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = _encode_cursor(sort, last[_out_name(spec, seek.column)], int(last["id"]))
    total = repo.count(ws.store, spec, conditions)
    public = [_public(kind, r) for r in rows]
    return RecordPage(kind, public, total, limit, sort, next_cursor)


def _out_name(spec: RecordSpec, column: str) -> str:
    return next(o for o, c in spec.columns if c == column)


def count_records(
    ws: Workspace, kind: str, scope: Scope, *, filters: Mapping[str, Any] | None = None,
    search: str | None = None,
) -> int:  # fmt: skip
    """How many records `each_record` would give."""
    spec = _spec(kind)
    return repo.count(ws.store, spec, _where(ws, spec, scope, filters, search))


def columns(kind: str) -> list[str]:
    """The fields of a kind's records, in the order the API and exports show them."""
    spec = _spec(kind)
    money = {column: name for name, column in MONEY.get(kind, {}).items()}
    return [money.get(col, out) for out, col in spec.columns] + [lk.out for lk in spec.lookups]


def export_columns(kind: str) -> list[str]:
    """The fields an export writes: referenced records by name in place of their ids (a
    spreadsheet reader wants 'Olena', an import finds her by it), the source system last."""
    spec = _spec(kind)
    money = {column: name for name, column in MONEY.get(kind, {}).items()}
    named = {lk.ref: lk.out for lk in spec.lookups}
    out = [named.get(col) or money.get(col, name) for name, col in spec.columns if name != "source"]
    return [*out, "source"]


def each_record(
    ws: Workspace, kind: str, scope: Scope, *, filters: Mapping[str, Any] | None = None,
    sort: str = "id", search: str | None = None, chunk: int = 5_000,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """Every record `list_records` would page through, one chunk of rows in memory at a time
    (for exports: no count, no cursor text)."""
    spec = _spec(kind)
    conditions = _where(ws, spec, scope, filters, search)
    seek = _seek(spec, sort, None)
    while True:
        rows = repo.page(ws.store, spec, conditions, seek, chunk)
        yield from (_public(kind, r) for r in rows)
        if len(rows) < chunk:
            return
        last = rows[-1]
        seek = Seek(seek.column, seek.descending, (last[_out_name(spec, seek.column)],
                                                   int(last["id"])))  # fmt: skip


def get_record(ws: Workspace, kind: str, record_id: int, scope: Scope) -> dict[str, Any]:
    """One record by id; NotFoundError names the kind and id (also for a record outside the
    view: whether it exists is not said)."""
    spec = _spec(kind)
    row = repo.one(ws.store, spec, record_id, in_view(spec, scope))
    if row is None:
        raise NotFoundError(f"no {kind.removesuffix('s')} with id {record_id}")
    return _public(kind, row)
