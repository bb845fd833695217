"""Who am I, and the audit log (owners)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from salesmetrics.api.deps import AdminDep, PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.services.access import audit

router = APIRouter(prefix="/api/v1", tags=["access"])


class MeOut(BaseModel):
    """The signed-in person and what their role lets them see."""

    user_id: int
    email: str
    name: str | None
    role: str = Field(description="owner, manager, rep or viewer")
    rep_id: int | None = Field(description="The rep this person is (rep and manager roles)")
    sees_reps: list[int] | None = Field(
        description="The reps whose records this person sees; null: every record"
    )
    sees_unassigned: bool = Field(description="Whether records assigned to no rep are in view")
    via: str = Field(description="session, token or signature")


class AuditEntry(BaseModel):
    id: int
    at: str
    user_id: int | None
    actor: str | None
    action: str
    object_type: str | None
    object_id: str | None
    details: dict[str, Any]
    address: str | None


class AuditList(BaseModel):
    data: list[AuditEntry]
    count: int


@router.get("/me", response_model=MeOut, responses=problem_responses(401))
def me(who: PrincipalDep) -> MeOut:
    """Who the credentials belong to, their role and the records they see."""
    reps = who.scope.reps
    return MeOut(
        user_id=who.user_id, email=who.email, name=who.name, role=who.role.value,
        rep_id=who.rep_id, sees_reps=None if reps is None else sorted(reps),
        sees_unassigned=who.scope.unassigned, via=who.via,
    )  # fmt: skip


@router.get("/audit", response_model=AuditList, responses=problem_responses(401, 403, 422))
def audit_log(
    ws: WorkspaceDep,
    who: AdminDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62, description="Page: older than")] = None,
    action: Annotated[str | None, Query(description=", ".join(audit.ACTIONS))] = None,
) -> AuditList:
    """The audit log, newest first: sign-ins (good and failed), user, role and token changes,
    imports, reverts and exports. Owners only."""
    rows = audit.entries(ws, who, limit=limit, before_id=before_id, action=action)
    return AuditList(data=[AuditEntry.model_validate(r) for r in rows], count=len(rows))
