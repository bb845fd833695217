"""The Account page: anyone signed in sees who they are and what they see, changes their own
password (which ends their other sessions) and makes or revokes their own API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.services.access import users
from salesmetrics.services.access.sign_in import WrongCredentials
from salesmetrics.web import csrf
from salesmetrics.web.render import locale_of, render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, ws: WorkspaceDep, who: Principal, *, error: str | None = None,
    status: int = 200, token: users.NewToken | None = None,
) -> HTMLResponse:  # fmt: skip
    locale = locale_of(request, ws.settings.locale)
    context: dict[str, Any] = {
        "me": who, "tokens": [t for t in users.list_tokens(ws, who, who.email) if not t.revoked_at],
        "error": error, "token": token, "done": request.query_params.get("done"),
    }  # fmt: skip
    page = render(request, "account.html", locale, context, status_code=status)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """Who I am, my API tokens, my password."""
    return _page(request, ws, who)


@router.post("/account/token", response_model=None)
def new_token(
    request: Request,
    ws: WorkspaceDep,
    who: PrincipalDep,
    name: Annotated[str, Form()] = "",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """A token of my own, shown this once."""
    try:
        csrf.check(request, token)
        made = users.create_token(ws, who, who.email, name.strip() or None)
    except SalesmetricsError as exc:
        return _page(request, ws, who, error=exc.message, status=exc.http_status)
    return _page(request, ws, who, token=made)


@router.post("/account/tokens/{token_id}/revoke", response_model=None)
def revoke(
    request: Request,
    ws: WorkspaceDep,
    who: PrincipalDep,
    token_id: int,
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Revoke one of my tokens."""
    try:
        csrf.check(request, token)
        users.revoke_token(ws, who, token_id)
    except SalesmetricsError as exc:
        return _page(request, ws, who, error=exc.message, status=exc.http_status)
    return RedirectResponse("/account?done=revoked", 303)


@router.post("/account/password", response_model=None)
def password(
    request: Request,
    ws: WorkspaceDep,
    who: PrincipalDep,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Change my password: every session of mine ends, this one too (sign in again)."""
    try:
        csrf.check(request, token)
        if not users.password_matches(ws, who.email, current):
            raise WrongCredentials("the current password is wrong")
        users.set_password(ws, who, who.email, new)
    except SalesmetricsError as exc:
        return _page(request, ws, who, error=exc.message, status=exc.http_status)
    return RedirectResponse("/login", 303)
