"""Credentials for tests: a person of any role with an API token, or a browser session."""

from __future__ import annotations

import itertools
import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from salesmetrics.domain.access import LOCAL, Role
from salesmetrics.services.access import users
from salesmetrics.services.workspace import Workspace
from salesmetrics.web.app import create_app

PASSWORD = "a test password that is long"
_serial = itertools.count(1)


def person(ws: Workspace, role: Role | str = Role.OWNER, rep_id: int | None = None) -> str:
    """A new user of the role (a rep or manager linked to `rep_id`); their e-mail."""
    email = f"{Role(role).value}{next(_serial)}@test.example"
    users.add_user(ws, LOCAL, email, role, password=PASSWORD, rep_id=rep_id)
    return email


def token_for(ws: Workspace, role: Role | str = Role.OWNER, rep_id: int | None = None) -> str:
    """A new user of the role and an API token of theirs."""
    return users.create_token(ws, LOCAL, person(ws, role, rep_id)).secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client(
    app: FastAPI, role: Role | str = Role.OWNER, rep_id: int | None = None, **kwargs: Any
) -> TestClient:
    """A TestClient sending an API token of a new user of the role."""
    token = token_for(app.state.workspace, role, rep_id)
    c = TestClient(app, **kwargs)
    c.headers.update(bearer(token))
    return c


def owner_client(url: str, **kwargs: Any) -> TestClient:
    """The app on `url`, with an owner's token (use as a context manager, like TestClient)."""
    return client(create_app(url), **kwargs)


def form_token(c: TestClient, path: str = "/login") -> str:
    """The CSRF token a form of the page at `path` carries."""
    found = re.search(r'name="csrf" value="([^"]+)"', c.get(path).text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def browser_client(app: FastAPI, role: Role | str = Role.OWNER, rep_id: int | None = None,
                   **kwargs: Any) -> TestClient:  # fmt: skip
    """A TestClient signed in through the sign-in form, as a browser is (a session cookie)."""
    email = person(app.state.workspace, role, rep_id)
    c = TestClient(app, **kwargs)
    answer = c.post("/login", data={"email": email, "password": PASSWORD,
                                    "csrf": form_token(c)}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    return c


def offline_token(url: str, role: Role | str = Role.OWNER, rep_id: int | None = None) -> str:
    """A token made on a closed workspace (before a server opens it): its Authorization."""
    from salesmetrics.services.workspace import workspace

    with workspace(url) as ws:
        return token_for(ws, role, rep_id)
