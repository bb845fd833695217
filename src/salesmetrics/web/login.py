"""Sign in, sign out, the first-run set-up of a workspace's owner, and the audit log page.

The session cookie is HttpOnly, SameSite=Lax, for the whole site, and Secure with the
`__Host-` prefix when the page was served over HTTPS (run behind a TLS proxy with
`--proxy-headers`, or set SALESMETRICS_COOKIE_SECURE=1). See docs/security.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesmetrics.api.deps import AdminDep, PrincipalDep, WorkspaceDep
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.services.access import audit
from salesmetrics.services.access.sign_in import SignIn, Started, absolute_limit
from salesmetrics.services.access.throttle import TooManyAttempts
from salesmetrics.services.access.users import create_owner
from salesmetrics.web import csrf
from salesmetrics.web.authn import COOKIE, SECURE_COOKIE, secure, session_cookie
from salesmetrics.web.render import locale_of, render

router = APIRouter(include_in_schema=False)
DEVICE_COOKIE = "salesmetrics_device"  # this browser signed in before (services/access/throttle)
DEVICE_SECONDS = 365 * 24 * 3600


def _sign_in(request: Request) -> SignIn:
    found: SignIn = request.app.state.sign_in
    return found


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _back(target: str | None) -> str:
    """Only a path of this site (not `//other.site`, not a full address) is a way back."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _secure(request: Request) -> bool:
    return secure(request.scope)


def _signed_in(request: Request, started: Started, target: str) -> Response:
    response = RedirectResponse(_back(target), 303)
    secure = _secure(request)
    response.set_cookie(
        SECURE_COOKIE if secure else COOKIE, started.session_id, httponly=True, samesite="lax",
        secure=secure, path="/", max_age=int(absolute_limit().total_seconds()),
    )  # fmt: skip
    response.set_cookie(DEVICE_COOKIE, started.device, httponly=True, samesite="strict",
                        secure=secure, path="/login", max_age=DEVICE_SECONDS)  # fmt: skip
    return response


def _form(
    request: Request, ws: WorkspaceDep, page: str, *, error: str | None = None,
    status: int = 200, email: str = "", headers: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    locale = locale_of(request, ws.settings.locale)
    context: dict[str, Any] = {"error": error, "email": email,
                               "next": _back(request.query_params.get("next"))}  # fmt: skip
    out = render(request, page, locale, context, status_code=status)
    out.headers.update(headers or {})
    return out


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, ws: WorkspaceDep) -> Response:
    """The sign-in form (the set-up form while the workspace has nobody to sign in)."""
    if not _sign_in(request).has_users():
        return RedirectResponse("/setup", 303)
    return _form(request, ws, "login.html")


@router.post("/login", response_model=None)
def login(
    request: Request,
    ws: WorkspaceDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Check the e-mail and password; on success start a session and go back."""
    try:
        csrf.check(request, token)
        device = request.cookies.get(DEVICE_COOKIE)
        started = _sign_in(request).login(email, password, address(request), device)
    except TooManyAttempts as exc:
        return _form(request, ws, "login.html", error=exc.message, status=429, email=email,
                     headers={"Retry-After": str(exc.retry_after)})  # fmt: skip
    except SalesmetricsError as exc:
        return _form(request, ws, "login.html", error=exc.message, status=exc.http_status,
                     email=email)  # fmt: skip
    return _signed_in(request, started, next)


@router.post("/logout", response_model=None)
def logout(
    request: Request, who: PrincipalDep, token: Annotated[str, Form(alias=csrf.FIELD)] = ""
) -> Response:
    """End this session."""
    csrf.check(request, token)
    sid = session_cookie(request.scope)
    if sid and who.via == "session":
        _sign_in(request).logout(sid, who, address(request))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/")
    response.delete_cookie(SECURE_COOKIE, path="/", secure=True)  # else the browser keeps it
    return response


@router.get("/setup", response_class=HTMLResponse)
def setup_page(request: Request, ws: WorkspaceDep) -> Response:
    """First run: create the owner of a workspace that has no users yet."""
    if _sign_in(request).has_users():
        return RedirectResponse("/login", 303)
    return _form(request, ws, "setup.html")


@router.post("/setup", response_model=None)
def setup(
    request: Request,
    ws: WorkspaceDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """Create the owner (only while there are no users) and sign them in."""
    try:
        csrf.check(request, token)
        create_owner(ws, email, password, name.strip() or None)
        started = _sign_in(request).login(email, password, address(request))
    except SalesmetricsError as exc:
        return _form(request, ws, "setup.html", error=exc.message, status=exc.http_status,
                     email=email)  # fmt: skip
    return _signed_in(request, started, "/")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, ws: WorkspaceDep, who: AdminDep) -> HTMLResponse:
    """The audit log, newest first (owners)."""
    locale = locale_of(request, ws.settings.locale)
    entries = audit.entries(ws, who, limit=200)
    return render(request, "audit.html", locale, {"entries": entries})
