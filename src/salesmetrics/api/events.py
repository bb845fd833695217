"""Events for real-time tracking: receive (signed, idempotent), list, show, replay."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from salesmetrics.api.deps import PrincipalDep, WriterDep, get_workspace
from salesmetrics.domain.errors import TooLargeError
from salesmetrics.services.events import STATUSES, EventsService
from salesmetrics.services.events.model import EventsBody, as_list
from salesmetrics.services.events.service import Receipt, max_body_bytes
from salesmetrics.services.events.signatures import secrets_from_env, verify


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the inbox and applier threads with the server (pending events are applied now)."""
    app.state.event_keys = secrets_from_env()
    service = EventsService(app.state.workspace).start()
    app.state.events = service
    try:
        yield
    finally:
        service.stop()


class _LimitedBody(APIRoute):
    """Refuses a body over the limit with 413 before it is read whole or parsed: at once when
    Content-Length says so, else as soon as the streamed body passes it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            if request.method == "POST":
                await _read_body(request, max_body_bytes())
            return await handler(request)

        return limited


async def _read_body(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(None, limit)
        chunks.append(chunk)
    request._body = b"".join(chunks)  # what request.body() returns from now on


def _too_large(size: int | None, limit: int) -> TooLargeError:
    got = f"{size:,} bytes" if size is not None else "more"
    return TooLargeError(
        f"the events body is {got}; send at most {limit:,} bytes per request "
        "(split the events over several requests)"
    )


router = APIRouter(
    prefix="/api/v1/events", tags=["events"], lifespan=lifespan, route_class=_LimitedBody
)


async def get_events(request: Request) -> EventsService:
    state = request.app.state
    if getattr(state, "events", None) is None:  # an app run without its lifespan (tests)
        state.events = EventsService(get_workspace(request)).start()
    return cast(EventsService, state.events)


def event_keys(state: Any) -> tuple[bytes, ...]:
    """The webhook secrets of this app (read from the environment once, at first use)."""
    keys: tuple[bytes, ...] | None = getattr(state, "event_keys", None)
    if keys is None:
        keys = state.event_keys = secrets_from_env()
    return keys


async def check_signature(request: Request) -> None:
    """With secrets configured, every POST must carry a valid Standard Webhooks signature."""
    keys = event_keys(request.app.state)
    if keys:
        verify(keys, request.headers, await request.body())


EventsDep = Annotated[EventsService, Depends(get_events)]


class ReceiptOut(BaseModel):
    id: str = Field(examples=["evt_01JD7Z3K9M"])
    status: str = Field(examples=["accepted"], description="accepted, or duplicate (seen before)")


class ReceiptsOut(BaseModel):
    data: list[ReceiptOut]
    count: int
    accepted: int
    duplicate: int


class EventOut(BaseModel):
    id: str = Field(examples=["evt_01JD7Z3K9M"])
    type: str = Field(examples=["deal.stage_changed"])
    source: str | None = Field(examples=["events"])
    occurred_at: datetime | None
    received_at: datetime
    status: str = Field(examples=["waiting"], description=", ".join(STATUSES))
    attempts: int
    error: str | None = Field(examples=[None], description="why it failed")
    waiting_for: str | None = Field(examples=["deal 'DEAL-000981'"])
    applied_at: datetime | None
    payload: dict[str, Any]


class EventList(BaseModel):
    data: list[EventOut]
    count: int = Field(description="Events matching the filter, in all pages.")
    limit: int
    offset: int


def _out(row: Any) -> EventOut:
    return EventOut(
        id=row.event_id, type=row.type, source=row.source, occurred_at=row.occurred_at,
        received_at=row.received_at, status=row.status, attempts=row.attempts, error=row.error,
        waiting_for=row.waiting_for, applied_at=row.applied_at, payload=row.payload,
    )  # fmt: skip


@router.post(
    "",
    status_code=202,
    response_model=ReceiptsOut,
    dependencies=[Depends(check_signature)],
    responses={
        401: {"description": "Signature missing, stale or wrong (problem+json)."},
        413: {"description": "Body over SALESMETRICS_EVENTS_MAX_BYTES (problem+json)."},
    },
)
async def post_events(body: EventsBody, events: EventsDep, who: WriterDep) -> Response:
    """One event, a JSON array of events, or {"events": [...]}: committed to the inbox before
    this reply, then applied in the background. A repeated id is acknowledged as a duplicate and
    never applied twice."""
    receipts = await events.receive_async(as_list(body))
    return Response(json.dumps(receipts_document(receipts), ensure_ascii=False), 202,
                    media_type="application/json")  # fmt: skip


def receipts_document(receipts: Sequence[Receipt]) -> dict[str, Any]:
    """The ReceiptsOut shape, written directly: no second validation on the hot path."""
    accepted = sum(r.status == "accepted" for r in receipts)
    return {"data": [{"id": r.id, "status": r.status} for r in receipts], "count": len(receipts),
            "accepted": accepted, "duplicate": len(receipts) - accepted}  # fmt: skip


@router.get("", response_model=EventList)
def list_events(
    events: EventsDep,
    who: PrincipalDep,
    status: Annotated[str | None, Query(description=", ".join(STATUSES))] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EventList:
    """The inbox, newest first: pending, applied, waiting (for a record) or failed (with why).
    Events carry every rep's records: the owner and viewers see them."""
    who.require_everything("the events inbox")
    rows, total = events.page(status, limit, offset)
    return EventList(data=[_out(r) for r in rows], count=total, limit=limit, offset=offset)


@router.get("/{event_id}", response_model=EventOut)
def show_event(event_id: str, events: EventsDep, who: PrincipalDep) -> EventOut:
    """One event of the inbox, with its status and payload."""
    who.require_everything("the events inbox")
    return _out(events.get(event_id))


@router.post(
    "/{event_id}/replay",
    response_model=EventOut,
    responses={409: {"description": "The event is still pending (problem+json)."}},
)
def replay_event(event_id: str, events: EventsDep, who: WriterDep) -> EventOut:
    """Apply a failed or waiting event again (after the data it needs arrived, or a fix);
    waits up to 5 s for the outcome."""
    rows = events.replay([event_id])  # a pending one is refused (409) before this
    return _out(rows[0] if rows else events.get(event_id))
