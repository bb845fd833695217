"""Cross-site request forgery: every form that changes data carries a token that a page of
another site cannot know.

Double submit: a random token in a cookie (HttpOnly, SameSite=Strict) and the same token in a
hidden field of each form; a POST whose field does not equal the cookie is refused. Another
site can make a browser post a form here, but it cannot read the cookie to fill the field, and
SameSite=Strict keeps the browser from sending the cookie with such a post in the first place.
"""

from __future__ import annotations

import hmac
import re
import secrets

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup

from salesmetrics.domain.errors import SalesmetricsError

COOKIE = "salesmetrics_csrf"
FIELD = "csrf"
_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class CsrfError(SalesmetricsError):
    """A form posted without this browser's token (from another site, or an old page)."""

    http_status = 403


def token(request: Request) -> str:
    """This browser's token: the cookie's, or a new one that `remember` will set."""
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
    """Refuse a form whose token is not this browser's."""
    known = request.cookies.get(COOKIE, "")
    if not (_SHAPE.fullmatch(known) and hmac.compare_digest(known, posted or "")):
        raise CsrfError(
            "this form did not come from this site's page, or the page is too old: "
            "reload it and send the form again"
        )
