"""People and API tokens through the API (owners): what `salesmetrics users` does, for a
workspace the server holds open (a DuckDB file is open in one process only, so while it
serves, the command line cannot add anyone)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from salesmetrics.api.deps import AdminDep, PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.domain.access import Permission, Role
from salesmetrics.services.access import users

router = APIRouter(prefix="/api/v1", tags=["access"])
MAX_ID = 2**62
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The user's id.")]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="The token's id.")]


class UserOut(BaseModel):
    id: int
    email: str
    name: str | None
    role: Role
    rep_id: int | None
    active: bool


class UserList(BaseModel):
    data: list[UserOut]
    count: int


class UserIn(BaseModel):
    """A new person. A rep or manager is linked to their rep (`rep_id`)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"email": "olena@shop.ua", "role": "rep", "rep_id": 3, "name": "Олена",
         "password": "a phrase she remembers"}]})  # fmt: skip

    email: str = Field(max_length=254)
    role: Role
    password: str = Field(min_length=1, max_length=1024)
    name: str | None = Field(default=None, max_length=200)
    rep_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class UserChange(BaseModel):
    """What to change; fields left out stay as they are. `active: false` ends their sessions
    and makes their tokens refused."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    rep_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    name: str | None = Field(default=None, max_length=200)
    active: bool | None = None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, description="What it is for")


class TokenOut(BaseModel):
    id: int
    user_id: int
    name: str | None
    starts: str | None = Field(description="The token's first characters, to tell them apart")
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class TokenList(BaseModel):
    data: list[TokenOut]
    count: int


class NewTokenOut(BaseModel):
    id: int
    user: str
    name: str | None
    token: str = Field(description="Shown this once; stored only as a hash")


def _user(row: Any) -> UserOut:
    return UserOut(id=row.id, email=row.email, name=row.name, role=Role(row.role),
                   rep_id=row.rep_id, active=row.active)  # fmt: skip


def _email(ws: WorkspaceDep, user_id: int) -> str:
    return users.email_of(ws, user_id)


@router.get("/users", response_model=UserList, responses=problem_responses(401, 403))
def list_users(ws: WorkspaceDep, who: AdminDep) -> UserList:
    """Everyone who signs in, with their role and rep. Owners only."""
    rows = [UserOut.model_validate(r) for r in users.list_users(ws, who)]
    return UserList(data=rows, count=len(rows))


@router.post("/users", status_code=201, response_model=UserOut,
             responses=problem_responses(401, 403, 404, 409, 422))  # fmt: skip
def add_user(body: UserIn, ws: WorkspaceDep, who: AdminDep) -> UserOut:
    """Add a person (the password is checked: 8 to 256 characters, not a common one)."""
    return _user(users.add_user(ws, who, body.email, body.role, password=body.password,
                                name=body.name, rep_id=body.rep_id))  # fmt: skip


@router.patch("/users/{user_id}", response_model=UserOut,
              responses=problem_responses(401, 403, 404, 422))  # fmt: skip
def change_user(user_id: UserId, body: UserChange, ws: WorkspaceDep, who: AdminDep) -> UserOut:
    """Change a role, rep, name, or whether the person may sign in; from their next request."""
    email = _email(ws, user_id)
    changed = users.change_user(ws, who, email, role=body.role, rep_id=body.rep_id,
                                name=body.name, active=body.active)  # fmt: skip
    return _user(changed)


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=1024)


@router.put("/users/{user_id}/password", status_code=204,
            responses=problem_responses(401, 403, 404, 422))  # fmt: skip
def set_password(user_id: UserId, body: PasswordIn, ws: WorkspaceDep, who: AdminDep) -> Response:
    """Set a person's password (a forgotten one); every session of theirs ends."""
    users.set_password(ws, who, _email(ws, user_id), body.password)
    return Response(status_code=204)


@router.get("/tokens", response_model=TokenList, responses=problem_responses(401, 403))
def list_tokens(ws: WorkspaceDep, who: PrincipalDep) -> TokenList:
    """API tokens: the caller's own (every one, for an owner)."""
    found = users.list_tokens(ws, who, None if who.can_admin else who.email)
    rows = [TokenOut(id=t.id, user_id=t.user_id, name=t.name, starts=t.prefix,
                     created_at=t.created_at.isoformat(),
                     last_used_at=t.last_used_at.isoformat() if t.last_used_at else None,
                     revoked_at=t.revoked_at.isoformat() if t.revoked_at else None)
            for t in found]  # fmt: skip
    return TokenList(data=rows, count=len(rows))


@router.post("/users/{user_id}/tokens", status_code=201, response_model=NewTokenOut,
             responses=problem_responses(401, 403, 404, 422))  # fmt: skip
def create_token(
    user_id: UserId, ws: WorkspaceDep, who: PrincipalDep, body: TokenIn | None = None
) -> NewTokenOut:
    """A new API token carrying the person's role (an owner for anyone, a person for
    themselves). The token is in this answer only."""
    if user_id != who.user_id:
        who.require(Permission.ADMIN)  # before looking the id up: no probing for users
    made = users.create_token(ws, who, _email(ws, user_id), body.name if body else None)
    return NewTokenOut(id=made.id, user=made.user, name=made.name, token=made.secret)


@router.delete("/tokens/{token_id}", status_code=204,
               responses=problem_responses(401, 403, 404))  # fmt: skip
def revoke_token(token_id: TokenId, ws: WorkspaceDep, who: PrincipalDep) -> Response:
    """Revoke a token (one's own, or any for an owner): its next request is refused."""
    users.revoke_token(ws, who, token_id)
    return Response(status_code=204)
