"""The Users page (owners): everyone who signs in, adding a person, changing a role or rep,
disabling, and making an API token (shown once, on the answer page, never in an address)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesmetrics.api.deps import AdminDep, WorkspaceDep
from salesmetrics.domain.access import Principal, Role
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.services.access import users
from salesmetrics.services.records import list_records
from salesmetrics.web import csrf
from salesmetrics.web.render import locale_of, render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, ws: WorkspaceDep, who: Principal, *, error: str | None = None,
    status: int = 200, token: users.NewToken | None = None,
) -> HTMLResponse:  # fmt: skip
    locale = locale_of(request, ws.settings.locale)
    reps = list_records(ws, "reps", who.scope, sort="name", limit=500).rows
    context: dict[str, Any] = {
        "people": users.list_users(ws, who), "roles": [r.value for r in Role], "reps": reps,
        "rep_names": {r["id"]: r["name"] for r in reps}, "error": error, "token": token,
        "done": request.query_params.get("done"),
    }  # fmt: skip
    return render(request, "users.html", locale, context, status_code=status)


def _back(request: Request, done: str) -> Response:
    lang = request.query_params.get("lang", "")
    return RedirectResponse(f"/users?done={done}" + (f"&lang={lang}" if lang else ""), 303)


def _submit(request: Request, ws: WorkspaceDep, who: Principal, token: str,
            work: Callable[[], object], done: str) -> Response:  # fmt: skip
    """A form's change after its CSRF check: back to the page saying `done`, or the page again
    with what was refused and why."""
    try:
        csrf.check(request, token)
        work()
    except SalesmetricsError as exc:
        return _page(request, ws, who, error=exc.message, status=exc.http_status)
    return _back(request, done)


def _rep(text: str) -> int | None:
    return int(text) if text.strip().isdecimal() and len(text.strip()) < 12 else None


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, ws: WorkspaceDep, who: AdminDep) -> HTMLResponse:
    """Everyone who signs in, and the forms to add and change them."""
    return _page(request, ws, who)


@router.post("/users", response_model=None)
def add(
    request: Request,
    ws: WorkspaceDep,
    who: AdminDep,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
    rep_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Add a person."""
    return _submit(request, ws, who, token, lambda: users.add_user(
        ws, who, email, role, password=password, name=name.strip() or None,
        rep_id=_rep(rep_id)), "added")  # fmt: skip


@router.post("/users/{user_id}/change", response_model=None)
def change(
    request: Request,
    ws: WorkspaceDep,
    who: AdminDep,
    user_id: int,
    role: Annotated[str, Form()] = "",
    rep_id: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Change a role and rep, or disable or enable a person."""
    return _submit(request, ws, who, token, lambda: users.change_user(
        ws, who, users.email_of(ws, user_id), role=role or None, rep_id=_rep(rep_id),
        active={"true": True, "false": False}.get(active)), "changed")  # fmt: skip


@router.post("/users/{user_id}/password", response_model=None)
def password(
    request: Request,
    ws: WorkspaceDep,
    who: AdminDep,
    user_id: int,
    new: Annotated[str, Form()] = "",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Set a person's password (a forgotten one): every session of theirs ends."""
    return _submit(request, ws, who, token, lambda: users.set_password(
        ws, who, users.email_of(ws, user_id), new), "password")  # fmt: skip


@router.post("/users/{user_id}/token", response_model=None)
def new_token(
    request: Request,
    ws: WorkspaceDep,
    who: AdminDep,
    user_id: int,
    name: Annotated[str, Form()] = "",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Make an API token for a person and show it this once."""
    try:
        csrf.check(request, token)
        made = users.create_token(ws, who, users.email_of(ws, user_id), name.strip() or None)
    except SalesmetricsError as exc:
        return _page(request, ws, who, error=exc.message, status=exc.http_status)
    page = _page(request, ws, who, token=made)
    page.headers["Cache-Control"] = "no-store"
    return page
