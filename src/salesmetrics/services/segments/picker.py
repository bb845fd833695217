"""The segment filter the pages offer: the RFM segments as last stored (services/segments/
refresh.py), each with its name in the reader's language and its number of customers.

Choosing one narrows a page to that segment's customers (domain.access.Scope.segment): the
metric engine filters `segment=<code>`, record lists keep the records of those customers. A
customer's stored segment is where they stand as of the day the segments were computed, so
"revenue of Champions over the last year" is this year's revenue of today's Champions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from salesmetrics.services.segments.rfm import builtin_table
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import segment_sizes


@dataclass(frozen=True, slots=True)
class Option:
    code: str
    label: str
    customers: int


@dataclass(frozen=True, slots=True)
class Picker:
    as_of: date | None  # None: segments never computed
    options: tuple[Option, ...]  # in the segment table's order, empty segments included

    def label(self, code: str | None) -> str | None:
        return next((o.label for o in self.options if o.code == code), None)

    def customers(self, code: str | None) -> int | None:
        return next((o.customers for o in self.options if o.code == code), None)


def codes() -> tuple[str, ...]:
    """Every segment code of the segment table."""
    return tuple(r.name for r in builtin_table().rules)


def known(code: str | None) -> str | None:
    """`code` if it names a segment, else None (a stale or mistyped choice is dropped)."""
    text = (code or "").strip()
    return text if text in codes() else None


def picker(ws: Workspace, lang: str) -> Picker:
    stored = segment_sizes.sizes(ws.store)
    options = tuple(
        Option(r.name, r.label.get(lang) or r.label.get("en") or r.name,
               stored.sizes.get(r.name, 0))
        for r in builtin_table().rules
    )  # fmt: skip
    return Picker(stored.as_of, options)
