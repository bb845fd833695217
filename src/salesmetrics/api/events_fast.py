"""The hot path of `POST /api/v1/events` as plain ASGI, in front of the FastAPI route.

A shop or CRM sends one small event per request, hundreds a second. Through FastAPI each one
pays for routing over every route, dependency solving, the body read through a Request and the
exception middlewares: more than the inbox commit itself. This middleware takes only requests
the route would accept as they are (declared as JSON, a declared length within the limit, a
valid signature when secrets are set, a body that validates) and answers them itself with the
same service call and the same 202 body. Anything else (another content type, no
Content-Length, too large, unsigned, invalid JSON or event) goes on, unread bytes replayed, to
the route, whose answer (problem+json 413, 401, 403, 422) is the documented one; so does a
request of a person who may not change data (found in front of this, by web/authn.py). So the
route stays the one definition in OpenAPI and makes every refusal; this only skips the
framework on the way to the same outcome (and answers 503 itself when the inbox cannot
commit).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from salesmetrics.api.errors import PROBLEM_JSON, error_code, problem_body
from salesmetrics.api.events import event_keys, receipts_document
from salesmetrics.domain.access import Permission, Principal
from salesmetrics.domain.errors import SalesmetricsError, SignatureError
from salesmetrics.services.events import EventsService
from salesmetrics.services.events.model import EventsBody, as_list
from salesmetrics.services.events.service import max_body_bytes
from salesmetrics.services.events.signatures import verify

PATH = "/api/v1/events"
_BODY = TypeAdapter(EventsBody)


class EventsFastPath:
    """ASGI middleware: answers valid `POST /api/v1/events` requests without the framework."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        events: EventsService | None = getattr(state, "events", None)
        size = _declared_length(scope)
        who = scope.get("state", {}).get("principal")
        if (
            not isinstance(who, Principal) or not who.can(Permission.WRITE)  # the route says no
            or events is None or not events.running or size is None or size > max_body_bytes()
            or not _declares_json(scope)  # a form or text/plain POST (any site can send one)
        ):  # fmt: skip
            await self.app(scope, receive, send)
            return
        body, more = await _read(receive, size)
        parsed = _accept(state, scope, body) if not more else None
        if parsed is None:  # the route gives the documented answer from the same bytes
            await self.app(scope, _replay(body, more, receive), send)
            return
        try:
            receipts = await events.receive_async(parsed)
        except SalesmetricsError as exc:  # the inbox did not commit in time (503): say so
            problem = problem_body(exc.http_status, exc.message, error_code(exc), PATH)
            await _answer(send, exc.http_status, problem, PROBLEM_JSON)
            return
        await _answer(send, 202, receipts_document(receipts), "application/json")


async def _answer(send: Send, status: int, document: dict[str, Any], media_type: str) -> None:
    payload = json.dumps(document, ensure_ascii=False).encode()
    headers = [(b"content-type", media_type.encode()),
               (b"content-length", str(len(payload)).encode())]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _declares_json(scope: Scope) -> bool:
    """Whether the request says its body is JSON (application/json or application/*+json).
    Anything else is the route's to judge: browsers send forms and text/plain across sites
    without asking, and the route refuses them."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind: bytes = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or (
                kind.startswith(b"application/") and kind.endswith(b"+json")
            )
    return False


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() and value.isascii() else None
    return None


async def _read(receive: Receive, size: int) -> tuple[bytes, bool]:
    """The body, up to its declared size; `more` is whether the client kept sending."""
    chunks: list[bytes] = []
    got = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True  # a disconnect: let the framework see it
        chunk = message.get("body", b"")
        chunks.append(chunk)
        got += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), got > size
        if got > size:
            return b"".join(chunks), True


def _accept(state: Any, scope: Scope, body: bytes) -> list[Any] | None:
    """The events when the route would take them as they are; None for any doubt."""
    keys = event_keys(state)
    if keys:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            verify(keys, headers, body)
        except SignatureError:
            return None
    try:
        return as_list(_BODY.validate_json(body))
    except (ValidationError, SalesmetricsError):  # a validator's own error (a bad currency)
        return None


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A receive that gives the bytes already read first, then the rest from the client."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay
