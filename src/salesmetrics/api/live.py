"""GET /api/v1/live: data changes as Server-Sent Events, for pages that update themselves."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, cast

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from salesmetrics.api.deps import PrincipalDep
from salesmetrics.api.errors import problem_response, problem_responses
from salesmetrics.services.live import ChangeFeed, Slot, TooManyStreams, notices

router = APIRouter()
PING_SECONDS = 15
RETRY_MS = 1000
RETRY_AFTER_FULL = "5"

DESCRIPTION = f"""A stream of data changes (Server-Sent Events, `text/event-stream`).

Events:

- `hello` first, data `{{"version": 41, "at": "2026-11-26T10:15:02.120+00:00"}}`: the
  workspace's data version now;
- `change` after data changed (an event, an import, a revert), with the new version; at most
  one every 250 ms per stream, always the latest, so a burst of events is one refresh;
- a comment line (`: ping`) every {PING_SECONDS} s keeps proxies from closing the connection.

Each event's `id` is the version: a browser's EventSource sends it back as `Last-Event-ID` when
it reconnects, and hears a `change` at once if it missed one. The server ends every stream after
`SALESMETRICS_LIVE_MAX_SECONDS` (default 300) and asks the client to come back after
{RETRY_MS} ms (`retry:`); EventSource does so by itself. Beyond `SALESMETRICS_LIVE_MAX_STREAMS`
open streams (default 500) the answer is 503 with `Retry-After`."""

_EXAMPLE = (
    'event: hello\r\ndata: {"version": 41, "at": "2026-11-26T10:15:02.120+00:00"}\r\n'
    "id: 41\r\nretry: 1000\r\n\r\n"
    'event: change\r\ndata: {"version": 42, "at": "2026-11-26T10:15:04.031+00:00"}\r\n'
    "id: 42\r\n\r\n"
)


class _Stream(EventSourceResponse):
    """An SSE response that gives its stream slot back however it ends."""

    def __init__(self, content: AsyncIterator[ServerSentEvent], slot: Slot) -> None:
        super().__init__(content, ping=PING_SECONDS)
        self._slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._slot.release()


async def _events(feed: ChangeFeed, last_seen: int | None) -> AsyncIterator[ServerSentEvent]:
    async for notice in notices(feed, last_seen=last_seen):
        retry = RETRY_MS if notice.kind == "hello" else None
        yield ServerSentEvent(
            data=json.dumps(notice.as_dict()), event=notice.kind, id=str(notice.version),
            retry=retry,
        )  # fmt: skip


def _version(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


@router.get(
    "/api/v1/live", tags=["live"], summary="Data changes as Server-Sent Events",
    description=DESCRIPTION, response_class=Response,
    responses={
        200: {"description": "An event stream", "content": {
            "text/event-stream": {"schema": {"type": "string"}, "example": _EXAMPLE}}},
        **problem_responses(503),
    },
)  # fmt: skip
async def live(
    request: Request, who: PrincipalDep, last_event_id: Annotated[str | None, Header()] = None
) -> Response:
    # The stream says only that the data changed (a version number): each page then fetches
    # its parts, which show the records of the person's view.
    feed = cast(ChangeFeed, request.app.state.live)
    try:
        slot = feed.open_stream()
    except TooManyStreams as exc:
        headers: dict[str, Any] = {"Retry-After": RETRY_AFTER_FULL}
        response: JSONResponse = problem_response(
            request, exc.http_status, exc.message, "too_many_streams", headers=headers
        )
        return response
    return _Stream(_events(feed, _version(last_event_id)), slot)
