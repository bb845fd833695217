"""One search box over the records a person may see: customers, leads, deals, orders, reps and
products whose names, companies, emails, phones, titles, SKUs or external ids hold the text
(case ignored, Cyrillic included). Each kind is one `list_records` call, so the visibility
rule and the filters are the ones every list applies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from salesmetrics.domain.access import Scope
from salesmetrics.domain.errors import InputError
from salesmetrics.services import records
from salesmetrics.services.workspace import Workspace

ORDER = ("customers", "leads", "deals", "orders", "reps", "products")
DEFAULT_PER_KIND = 5
MAX_PER_KIND = 50
LABEL = {"customers": "name", "leads": "name", "deals": "title", "orders": "external_id",
         "reps": "name", "products": "name"}  # fmt: skip
SORT = {"customers": "name", "leads": "name", "deals": "title", "orders": "-ordered_at",
        "reps": "name", "products": "name"}  # fmt: skip
DETAIL = {
    "customers": ("company", "email", "region", "rep"),
    "leads": ("company", "email", "status", "rep"),
    "deals": ("customer", "stage", "status", "amount", "rep"),
    "orders": ("customer", "ordered_at", "status", "total", "rep"),
    "reps": ("team", "email"),
    "products": ("sku", "category", "unit_price"),
}


@dataclass(frozen=True, slots=True)
class Hit:
    """One record found: its kind, id, what it is called and a line of what else it is."""

    kind: str
    id: int
    label: str
    detail: str


@dataclass(frozen=True, slots=True)
class Found:
    """The first hits of one kind, and how many there are in all."""

    kind: str
    total: int
    hits: list[Hit]


@dataclass(frozen=True, slots=True)
class SearchResult:
    text: str
    found: list[Found] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(f.total for f in self.found)


def _shown(value: Any) -> str:
    if isinstance(value, dict) and "amount" in value:  # money
        return f"{value['amount']} {value['currency']}"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _hit(kind: str, row: dict[str, Any]) -> Hit:
    label = _shown(row.get(LABEL[kind])) or _shown(row.get("external_id")) or f"#{row['id']}"
    detail = " · ".join(t for t in (_shown(row.get(name)) for name in DETAIL[kind]) if t)
    return Hit(kind, int(row["id"]), label, detail)


def search(
    ws: Workspace, scope: Scope, text: str, *, kinds: tuple[str, ...] = ORDER,
    per_kind: int = DEFAULT_PER_KIND,
) -> SearchResult:  # fmt: skip
    """Up to `per_kind` hits of each kind in the view of `scope`, with each kind's total."""
    unknown = [k for k in kinds if k not in ORDER]
    if unknown:
        raise InputError(f"cannot search {', '.join(unknown)}: use {', '.join(ORDER)}")
    if not 1 <= per_kind <= MAX_PER_KIND:
        raise InputError(f"limit {per_kind} is out of range: use 1 to {MAX_PER_KIND}")
    found = []
    for kind in (k for k in ORDER if k in kinds):
        page = records.list_records(ws, kind, scope, sort=SORT[kind], limit=per_kind,
                                    search=text)  # fmt: skip
        if page.total:
            found.append(Found(kind, page.total, [_hit(kind, r) for r in page.rows]))
    return SearchResult(text.strip(), found)
