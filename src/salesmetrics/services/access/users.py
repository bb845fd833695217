"""People and their API tokens: add, change, disable, tokens shown once and stored hashed.

Every change is logged in the audit log in the same transaction, and moves the access
version on, so a signed-in person's next request sees their new role (or is refused).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from salesmetrics.domain.access import Permission, Principal, Role
from salesmetrics.domain.errors import ConflictError, InputError, NotFoundError
from salesmetrics.services.access import passwords
from salesmetrics.services.access.audit import now, record_in
from salesmetrics.services.access.cache import changed
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import access as repo
from salesmetrics.storage.repositories.access import TokenRow, UserRow

TOKEN_PREFIX = "smt_"  # so a leaked token is recognisable by secret scanners and people
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token as created: `secret` is shown this once and never stored."""

    id: int
    secret: str
    user: str
    name: str | None


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _email(email: str) -> str:
    clean = email.strip().lower()
    if not _EMAIL.fullmatch(clean):
        raise InputError(f"'{email}' is not an e-mail address (a person signs in with one)")
    return clean


def _role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InputError(
            f"no role '{role}': use one of {', '.join(r.value for r in Role)}"
        ) from None


def _check_rep(tx: WriteTx, role: Role, rep_id: int | None) -> None:
    if rep_id is not None and not repo.rep_exists(tx, rep_id):
        raise NotFoundError(f"no rep with id {rep_id}: see `salesmetrics` reps in /api/v1/reps")
    if role in (Role.REP, Role.MANAGER) and rep_id is None:
        raise InputError(
            f"a {role.value} is linked to their rep (--rep ID): a rep sees that rep's records, "
            "a manager the reps of the teams that rep manages"
        )


def _find(tx: WriteTx, email: str) -> UserRow:
    user = repo.user_by_email(tx, _email(email))
    if user is None:
        raise NotFoundError(f"no user '{email}': see `salesmetrics users list`")
    return user


def add_user(
    ws: Workspace, actor: Principal, email: str, role: str | Role, *, password: str,
    name: str | None = None, rep_id: int | None = None,
) -> UserRow:  # fmt: skip
    """A new person who signs in with `email` and `password`."""
    actor.require(Permission.ADMIN)
    clean, chosen = _email(email), _role(role)
    passwords.check(password, clean)
    hashed = passwords.hash_password(password)  # slow on purpose: outside the transaction

    def work(tx: WriteTx) -> UserRow:
        if repo.user_by_email(tx, clean) is not None:
            raise ConflictError(f"there is already a user '{clean}'")
        _check_rep(tx, chosen, rep_id)
        user_id = repo.insert_user(tx, clean, name, chosen.value, rep_id, hashed, now())
        record_in(tx, actor, "user_added", object_type="user", object_id=user_id,
                  details={"email": clean, "role": chosen.value, "rep_id": rep_id})  # fmt: skip
        found = repo.user_by_id(tx, user_id)
        assert found is not None
        return found

    out = ws.store.write(work, changes_data=False)
    changed()
    return out


def create_owner(ws: Workspace, email: str, password: str, name: str | None = None) -> UserRow:
    """The first-run path: the first person of a workspace with no users becomes its owner."""
    clean = _email(email)
    passwords.check(password, clean)
    hashed = passwords.hash_password(password)

    def work(tx: WriteTx) -> UserRow:
        repo.lock_users(tx)  # two first visitors at once: one owner, the other is refused
        if int(tx.fetchall("SELECT count(*) FROM users")[0][0]):
            raise ConflictError("this workspace already has users: sign in instead")
        user_id = repo.insert_user(tx, clean, name, Role.OWNER.value, None, hashed, now())
        record_in(tx, None, "owner_created", object_type="user", object_id=user_id,
                  details={"email": clean})  # fmt: skip
        found = repo.user_by_id(tx, user_id)
        assert found is not None
        return found

    out = ws.store.write(work, changes_data=False)
    changed()
    return out


def list_users(ws: Workspace, actor: Principal) -> list[dict[str, Any]]:
    actor.require(Permission.ADMIN)
    out = []
    for u in repo.users(ws.store):
        live = [t for t in repo.tokens(ws.store, u.id) if t.revoked_at is None]
        out.append({"id": u.id, "email": u.email, "name": u.name, "role": u.role,
                    "rep_id": u.rep_id, "active": u.active, "created_at": u.created_at,
                    "tokens": len(live)})  # fmt: skip
    return out


def change_user(
    ws: Workspace, actor: Principal, email: str, *, role: str | Role | None = None,
    rep_id: int | None = None, active: bool | None = None, name: str | None = None,
) -> UserRow:  # fmt: skip
    """Change a role, link, name or whether the person may sign in. Disabling ends their
    sessions (their tokens stop working too: a disabled user's tokens are refused)."""
    actor.require(Permission.ADMIN)

    def work(tx: WriteTx) -> UserRow:
        user = _find(tx, email)
        values: dict[str, Any] = {}
        new_role = _role(role) if role is not None else Role(user.role)
        if role is not None:
            values["role"] = new_role.value
        if rep_id is not None:
            values["rep_id"] = rep_id
        if name is not None:
            values["name"] = name
        if active is not None:
            values["active"] = active
        if not values:
            raise InputError("nothing to change: give --role, --rep, --name, or disable/enable")
        _check_rep(tx, new_role, rep_id if rep_id is not None else user.rep_id)
        if user.id == actor.user_id and (active is False or values.get("role") not in
                                         (None, Role.OWNER.value)):  # fmt: skip
            raise InputError("you cannot disable yourself or give up your own owner role")
        repo.update_user(tx, user.id, **values)
        ended = repo.delete_sessions_of(tx, user.id) if active is False else 0
        record_in(tx, actor, "user_changed", object_type="user", object_id=user.id,
                  details={**values, "email": user.email, "sessions_ended": ended})  # fmt: skip
        found = repo.user_by_id(tx, user.id)
        assert found is not None
        return found

    out = ws.store.write(work, changes_data=False)
    changed()
    return out


def set_password(ws: Workspace, actor: Principal, email: str, password: str) -> int:
    """A new password (an owner for anyone, a person for themselves); every session of the
    person ends. How many ended."""
    clean = _email(email)
    if actor.email != clean:
        actor.require(Permission.ADMIN)
    passwords.check(password, clean)
    hashed = passwords.hash_password(password)

    def work(tx: WriteTx) -> int:
        user = _find(tx, clean)
        repo.update_user(tx, user.id, password_hash=hashed, password_changed_at=now())
        ended = repo.delete_sessions_of(tx, user.id)
        record_in(tx, actor, "password_changed", object_type="user", object_id=user.id,
                  details={"email": clean, "sessions_ended": ended})  # fmt: skip
        return ended

    out = ws.store.write(work, changes_data=False)
    changed()
    return out


def create_token(ws: Workspace, actor: Principal, email: str, name: str | None = None) -> NewToken:
    """A new API token for a person (an owner for anyone, a person for themselves)."""
    clean = _email(email)
    if actor.email != clean:
        actor.require(Permission.ADMIN)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def work(tx: WriteTx) -> NewToken:
        user = _find(tx, clean)
        if not user.active:
            raise InputError(f"{clean} is disabled: enable them before giving them a token")
        token_id = repo.insert_token(tx, user.id, name, token_hash(secret), secret[:10], now())
        record_in(tx, actor, "token_created", object_type="api_token", object_id=token_id,
                  details={"email": clean, "name": name})  # fmt: skip
        return NewToken(token_id, secret, clean, name)

    out = ws.store.write(work, changes_data=False)
    changed()
    return out


def list_tokens(ws: Workspace, actor: Principal, email: str | None = None) -> list[TokenRow]:
    if email is None or actor.email != _email(email):
        actor.require(Permission.ADMIN)
    if email is None:
        return repo.tokens(ws.store)
    user = repo.user_by_email(ws.store, _email(email))
    if user is None:
        raise NotFoundError(f"no user '{email}': see `salesmetrics users list`")
    return repo.tokens(ws.store, user.id)


def revoke_token(ws: Workspace, actor: Principal, token_id: int) -> None:
    def work(tx: WriteTx) -> None:
        mine = {t.id for t in repo.tokens(tx, actor.user_id)} if actor.user_id else set()
        if token_id not in mine:
            actor.require(Permission.ADMIN)
        if not repo.revoke_token(tx, token_id, now()):
            raise NotFoundError(f"no live token with id {token_id}: see `salesmetrics users "
                                "tokens`")  # fmt: skip
        record_in(tx, actor, "token_revoked", object_type="api_token", object_id=token_id)

    ws.store.write(work, changes_data=False)
    changed()


def password_matches(ws: Workspace, email: str, password: str) -> bool:
    """Whether `password` is this person's current one (before they may set a new one)."""
    user = repo.user_by_email(ws.store, _email(email))
    return user is not None and passwords.verify(repo.password_hash(ws.store, user.id), password)


def email_of(ws: Workspace, user_id: int) -> str:
    found = repo.user_by_id(ws.store, user_id)
    if found is None:
        raise NotFoundError(f"no user with id {user_id}")
    return found.email


def has_users(ws: Workspace) -> bool:
    return repo.count_users(ws.store) > 0


def describe_user(user: UserRow) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "rep_id": user.rep_id, "active": user.active}  # fmt: skip


def when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "never"
