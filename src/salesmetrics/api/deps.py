"""Shared dependencies as Annotated aliases."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from salesmetrics.services.workspace import Workspace


def get_workspace(request: Request) -> Workspace:
    """The workspace the app was started on (opened once, at start-up)."""
    return cast(Workspace, request.app.state.workspace)


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
