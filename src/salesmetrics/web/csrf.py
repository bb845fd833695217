"""Cross-site request forgery: every form that changes data carries a token that a page of
another site cannot know.

A signed-in person's token is their session's own (made at sign-in, kept with the session,
never sent in a cookie): each form carries it in a hidden field, and a POST whose field does
not equal it is refused. Before sign-in (the sign-in and set-up forms) a double submit stands
in: a random token in a cookie (HttpOnly, SameSite=Strict) and the same in the field. Another
site can make a browser post a form here, but it cannot read the page to learn the token, and
the session cookie (SameSite=Lax) is not sent with another site's POST in the first place.
A request with an API token (no cookie) cannot be forged by a page, and needs no field.
"""

from __future__ import annotations

import hmac
import re
import secrets

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup

from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import SalesmetricsError

COOKIE = "salesmetrics_csrf"
FIELD = "csrf"
_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class CsrfError(SalesmetricsError):
    """A form posted without this browser's token (from another site, or an old page)."""

    http_status = 403


def _principal(request: Request) -> Principal | None:
    found = request.scope.get("state", {}).get("principal")
    return found if isinstance(found, Principal) else None


def token(request: Request) -> str:
    """The token a form of this page posts: the session's, else this browser's cookie's (or a
    new one that `remember` will set)."""
    who = _principal(request)
    if who is not None and who.session_csrf:
        return who.session_csrf
    known = request.cookies.get(COOKIE, "")
    if _SHAPE.fullmatch(known):
        return known
    fresh: str | None = getattr(request.state, "csrf_new", None)
    if fresh is None:
        fresh = request.state.csrf_new = secrets.token_urlsafe(32)
    return fresh


def field(request: Request) -> Markup:
    """The hidden input a form posts the token in."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token(request))


def remember(request: Request, response: Response) -> None:
    """Set the cookie when this request made a new token."""
    fresh = getattr(request.state, "csrf_new", None)
    if fresh:
        response.set_cookie(COOKIE, fresh, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")  # fmt: skip


def check(request: Request, posted: str) -> None:
    """Refuse a form whose token is not this session's (or, before sign-in, this browser's)."""
    who = _principal(request)
    if who is not None and who.via == "token":
        return  # an API token, not a cookie: no other site can send it
    if who is not None and who.session_csrf:
        known = who.session_csrf
    else:
        known = request.cookies.get(COOKIE, "")
        if not _SHAPE.fullmatch(known):
            known = ""
    if not (known and hmac.compare_digest(known, posted or "")):
        raise CsrfError(
            "this form did not come from this site's page, or the page is too old: "
            "reload it and send the form again"
        )
