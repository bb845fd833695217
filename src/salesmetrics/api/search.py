"""Search across the records the caller sees: one text, every kind, the first hits of each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.api.records import Search
from salesmetrics.services import search
from salesmetrics.services.search import SearchResult

router = APIRouter(prefix="/api/v1", tags=["records"])

if TYPE_CHECKING:
    Kind: TypeAlias = str
else:
    Kind = Literal[search.ORDER]


class HitOut(BaseModel):
    kind: str = Field(examples=["customers"])
    id: int = Field(examples=[42])
    label: str = Field(description="What the record is called.", examples=["Олена Коваленко"])
    detail: str = Field(description="A line of what else it is.",
                        examples=["ТОВ Світанок · olena@example.com · Київ · Ірина"])  # fmt: skip
    url: str = Field(description="The record in the API.", examples=["/api/v1/customers/42"])


class FoundOut(BaseModel):
    kind: str = Field(examples=["customers"])
    total: int = Field(description="Every match of this kind, not just the hits shown.")
    hits: list[HitOut]
    more: str = Field(description="The kind's list, searched for the same text: every match.",
                      examples=["/api/v1/customers?q=%D0%9E%D0%BB%D0%B5%D0%BD%D0%B0"])  # fmt: skip


class SearchOut(BaseModel):
    q: str
    total: int = Field(description="Matches of every kind.")
    found: list[FoundOut] = Field(description="Kinds with matches, customers first.")


def as_json(result: SearchResult, base: str = "/api/v1") -> SearchOut:
    return SearchOut(
        q=result.text,
        total=result.total,
        found=[
            FoundOut(
                kind=f.kind,
                total=f.total,
                hits=[
                    HitOut(
                        kind=h.kind,
                        id=h.id,
                        label=h.label,
                        detail=h.detail,
                        url=f"{base}/{h.kind}/{h.id}",
                    )
                    for h in f.hits
                ],
                more=f"{base}/{f.kind}?{urlencode({'q': result.text})}",
            )
            for f in result.found
        ],
    )


SEARCH_HELP = "Part of a name, title, company, email, phone, SKU or external id (case ignored)."


@router.get("/search", response_model=SearchOut, responses=problem_responses(422, 503))
def search_records(
    ws: WorkspaceDep,
    who: PrincipalDep,
    q: Annotated[Search, Query(description=SEARCH_HELP)],
    kind: Annotated[list[Kind], Query(max_length=6, description="Only these kinds.")] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=search.MAX_PER_KIND, description="Hits per kind.")] = (
        search.DEFAULT_PER_KIND
    ),
) -> SearchOut:
    """Customers, leads, deals, orders, reps and products that hold the text, among the records
    the caller may see; each kind with its first hits and its total."""
    kinds = tuple(kind) or search.ORDER
    return as_json(search.search(ws, who.scope, q, kinds=kinds, per_kind=limit))
