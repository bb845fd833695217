"""Shared dependencies as Annotated aliases: the workspace, and who is asking.

Every route that is not public takes a `PrincipalDep` (or `WriterDep`/`AdminDep`, which also
check the role) and hands it to the service it calls; the services apply the one visibility
rule (salesmetrics.domain.access). tests/test_access_matrix.py fails for a route that does not.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from salesmetrics.domain.access import Permission, Principal, UnauthenticatedError
from salesmetrics.services.workspace import Workspace


def get_workspace(request: Request) -> Workspace:
    """The workspace the app was started on (opened once, at start-up)."""
    return cast(Workspace, request.app.state.workspace)


def get_principal(request: Request) -> Principal:
    """The signed-in person (the authentication middleware found them, or refused)."""
    principal = request.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):
        raise UnauthenticatedError("sign in first: send an API token or sign in at /login")
    return principal


def get_writer(request: Request) -> Principal:
    """A person who may change data (the owner, or a signed webhook posting events)."""
    principal = get_principal(request)
    principal.require(Permission.WRITE)
    return principal


def get_admin(request: Request) -> Principal:
    """An owner."""
    principal = get_principal(request)
    principal.require(Permission.ADMIN)
    return principal


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
WriterDep = Annotated[Principal, Depends(get_writer)]
AdminDep = Annotated[Principal, Depends(get_admin)]
PRINCIPAL_DEPENDENCIES = (get_principal, get_writer, get_admin)
