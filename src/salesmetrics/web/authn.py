"""Authentication in front of every route: who is asking, or the way to the sign-in page.

Every request but the public ones (sign-in, first-run set-up, health and static files) needs
credentials: an API token (`Authorization: Bearer smt_...`) or a session cookie. The API takes
a session cookie for reading only: changing data through the API takes a token, so a page of
another site can never make a browser change data with its cookie (pages' own forms carry a
CSRF token instead, web/csrf.py). `POST /api/v1/events` also takes a signed request without a
token when webhook secrets are set: the route refuses any that is not signed.

Without credentials the API answers 401 problem+json; a page redirects to /login and back.
The person found is put in the request's state; routes read it through api.deps.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from starlette.types import ASGIApp, Receive, Scope, Send

from salesmetrics.api.errors import PROBLEM_JSON, problem_body
from salesmetrics.api.events import event_keys
from salesmetrics.domain.access import LOCAL, Principal
from salesmetrics.services.access.sign_in import SignIn

SECURE_ENV = "SALESMETRICS_COOKIE_SECURE"
COOKIE = "salesmetrics_session"
SECURE_COOKIE = "__Host-salesmetrics_session"  # over HTTPS: only this host, path /, secure
PUBLIC_PAGES = ("/login", "/setup")
PUBLIC = ("/healthz", "/favicon.ico")
PUBLIC_PREFIXES = ("/static/",)
SAFE = ("GET", "HEAD", "OPTIONS")
EVENTS = "/api/v1/events"
SIGNED = Principal(0, "webhook", "a signed webhook", LOCAL.role, None, LOCAL.scope, "signature")
"""A request signed with one of the workspace's webhook secrets: it may post events only (the
route checks the signature; the middleware lets nothing else through with it)."""


def secure(scope: Scope) -> bool:
    """Whether cookies go out Secure (and the session under its `__Host-` name): over HTTPS,
    or whenever SALESMETRICS_COOKIE_SECURE=1 (a TLS proxy that does not say so)."""
    return scope.get("scheme") == "https" or os.environ.get(SECURE_ENV, "") == "1"


def is_public(path: str) -> bool:
    return path in PUBLIC or path in PUBLIC_PAGES or path.startswith(PUBLIC_PREFIXES)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def session_cookie(scope: Scope) -> str | None:
    """The session id: over HTTPS only from the `__Host-` cookie (which a sibling subdomain
    cannot set), over plain HTTP from the plain one."""
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    wanted = SECURE_COOKIE if secure(scope) else COOKIE
    for part in raw.split(";"):
        name, _, value = part.strip().partition("=")
        if name == wanted and value:
            return value
    return None


def bearer(scope: Scope) -> str | None:
    raw = _header(scope, b"authorization")
    if raw is None:
        return None
    kind, _, secret = raw.partition(" ")
    return secret.strip() if kind.lower() == "bearer" else ""


class Authenticate:
    """ASGI middleware: resolves the principal, or refuses the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        sign_in: SignIn = scope["app"].state.sign_in
        principal: Principal | None = None
        token = bearer(scope)
        if token is not None:
            principal = sign_in.token(token) if token else None
            if principal is None:
                await _refuse(send, path, "this API token is not valid (unknown, revoked, or its "
                              "user is disabled)")  # fmt: skip
                return
        elif (sid := session_cookie(scope)) and (method in SAFE or not path.startswith("/api/")):
            principal = sign_in.session(sid)
        if (
            principal is None
            and path == EVENTS
            and method == "POST"
            and event_keys(scope["app"].state)
        ):
            principal = SIGNED
        if principal is None and not is_public(path):
            await _unauthenticated(scope, send, path, method)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


async def _unauthenticated(scope: Scope, send: Send, path: str, method: str) -> None:
    accept = _header(scope, b"accept") or ""
    if method in SAFE and not path.startswith("/api/") and "text/html" in accept:
        query = scope.get("query_string", b"").decode("latin-1")
        back = path + (f"?{query}" if query else "")
        await _send(send, 303, b"", [(b"location", f"/login?next={quote(back)}".encode())])
        return
    if path.startswith("/api/") and method not in SAFE and session_cookie(scope):
        detail = "changing data through the API takes an API token (Authorization: Bearer)"
    else:
        detail = "sign in first: send an API token (Authorization: Bearer) or sign in at /login"
    await _refuse(send, path, detail)


async def _refuse(send: Send, path: str, detail: str) -> None:
    body = problem_body(401, detail, "unauthenticated_error", path)
    await _send(send, 401, json.dumps(body).encode(),
                [(b"content-type", PROBLEM_JSON.encode()),
                 (b"www-authenticate", b'Bearer realm="salesmetrics"')])  # fmt: skip


async def _send(send: Send, status: int, body: bytes, headers: list[Any]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
