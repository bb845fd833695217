"""Users, sessions, API tokens and the audit log: the only SQL that touches them.

Session ids and tokens are stored as SHA-256 hashes: they are 128 and 256 random bits, so a
slow hash adds nothing, and a copy of the database gives no one a way in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from salesmetrics.storage.dialect import Dialect
from salesmetrics.storage.protocol import Store, WriteTx

USER_COLUMNS = "id, email, name, role, rep_id, active, created_at, password_changed_at"


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    email: str
    name: str | None
    role: str
    rep_id: int | None
    active: bool
    created_at: datetime
    password_changed_at: datetime | None


def _user(row: tuple[Any, ...]) -> UserRow:
    rep_id = None if row[4] is None else int(row[4])
    return UserRow(int(row[0]), str(row[1]), row[2], str(row[3]), rep_id, bool(row[5]), row[6],
                   row[7])  # fmt: skip


def count_users(store: Store) -> int:
    return int(store.fetchall("SELECT count(*) FROM users")[0][0])


def users(store: Store) -> list[UserRow]:
    return [_user(r) for r in store.fetchall(f"SELECT {USER_COLUMNS} FROM users ORDER BY id")]


def user_by_email(store: Store | WriteTx, email: str) -> UserRow | None:
    rows = store.fetchall(f"SELECT {USER_COLUMNS} FROM users WHERE email = ?", [email])
    return _user(rows[0]) if rows else None


def user_by_id(store: Store | WriteTx, user_id: int) -> UserRow | None:
    rows = store.fetchall(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", [user_id])
    return _user(rows[0]) if rows else None


def password_hash(store: Store, user_id: int) -> str | None:
    rows = store.fetchall("SELECT password_hash FROM users WHERE id = ?", [user_id])
    return rows[0][0] if rows else None


def insert_user(
    tx: WriteTx, email: str, name: str | None, role: str, rep_id: int | None,
    password_hash: str | None, at: datetime,
) -> int:  # fmt: skip
    rows = tx.fetchall(
        "INSERT INTO users (email, name, role, password_hash, rep_id, active, created_at, "
        "password_changed_at) VALUES (?, ?, ?, ?, ?, TRUE, ?, ?) RETURNING id",
        [email, name, role, password_hash, rep_id, at, at if password_hash else None],
    )
    return int(rows[0][0])


def update_user(tx: WriteTx, user_id: int, **values: Any) -> None:
    """Set some of role, rep_id, name, active, password_hash, password_changed_at."""
    allowed = {"role", "rep_id", "name", "active", "password_hash", "password_changed_at"}
    assert values and set(values) <= allowed, values
    sets = ", ".join(f"{k} = ?" for k in values)
    tx.execute(f"UPDATE users SET {sets} WHERE id = ?", [*values.values(), user_id])


def lock_users(tx: WriteTx) -> None:
    """Hold other writers of the users table until this transaction ends (PostgreSQL; DuckDB
    has one writer anyway)."""
    if tx.dialect is Dialect.POSTGRES:
        tx.execute("LOCK TABLE users IN EXCLUSIVE MODE")


def rep_exists(store: Store | WriteTx, rep_id: int) -> bool:
    return bool(store.fetchall("SELECT 1 FROM reps WHERE id = ?", [rep_id]))


def team_reps(store: Store, manager_rep_id: int) -> frozenset[int]:
    """The reps in the teams this rep manages."""
    rows = store.fetchall(
        "SELECT r.id FROM reps r JOIN teams t ON t.id = r.team_id WHERE t.manager_rep_id = ?",
        [manager_rep_id],
    )
    return frozenset(int(r[0]) for r in rows)


def demo_people(store: Store) -> tuple[tuple[int, str], tuple[int, str]]:
    """The manager of the team with the lowest id, and that team's first other rep."""
    rows = store.fetchall(
        "SELECT t.manager_rep_id, m.name, r.id, r.name FROM teams t "
        "JOIN reps m ON m.id = t.manager_rep_id JOIN reps r ON r.team_id = t.id "
        "WHERE r.id <> t.manager_rep_id ORDER BY t.id, r.id LIMIT 1"
    )
    manager_id, manager, rep_id, rep = rows[0]
    return (int(manager_id), str(manager)), (int(rep_id), str(rep))


# ---------------------------------------------------------------- sessions


@dataclass(frozen=True, slots=True)
class SessionRow:
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    csrf_token: str


def insert_session(
    tx: WriteTx, id_hash: str, user_id: int, at: datetime, expires_at: datetime, csrf: str
) -> None:
    tx.execute(
        "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, csrf_token) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [id_hash, user_id, at, at, expires_at, csrf],
    )


def session(store: Store, id_hash: str) -> SessionRow | None:
    rows = store.fetchall(
        "SELECT user_id, created_at, last_seen_at, expires_at, csrf_token FROM sessions "
        "WHERE id = ?",
        [id_hash],
    )
    if not rows:
        return None
    r = rows[0]
    return SessionRow(int(r[0]), r[1], r[2], r[3], str(r[4]))


def touch_session(tx: WriteTx, id_hash: str, at: datetime) -> None:
    tx.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", [at, id_hash])


def delete_session(tx: WriteTx, id_hash: str) -> None:
    tx.execute("DELETE FROM sessions WHERE id = ?", [id_hash])


def delete_sessions_of(tx: WriteTx, user_id: int) -> int:
    n = tx.fetchall("SELECT count(*) FROM sessions WHERE user_id = ?", [user_id])[0][0]
    tx.execute("DELETE FROM sessions WHERE user_id = ?", [user_id])
    return int(n)


def delete_expired_sessions(tx: WriteTx, idle_before: datetime, now: datetime) -> None:
    tx.execute("DELETE FROM sessions WHERE last_seen_at < ? OR expires_at <= ?",
               [idle_before, now])  # fmt: skip


# ---------------------------------------------------------------- API tokens


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    user_id: int
    name: str | None
    prefix: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


TOKEN_COLUMNS = "id, user_id, name, prefix, created_at, last_used_at, revoked_at"


def _token(r: tuple[Any, ...]) -> TokenRow:
    return TokenRow(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6])


def insert_token(
    tx: WriteTx, user_id: int, name: str | None, token_hash: str, prefix: str, at: datetime
) -> int:
    rows = tx.fetchall(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        [user_id, name, token_hash, prefix, at],
    )
    return int(rows[0][0])


def token_by_hash(store: Store, token_hash: str) -> TokenRow | None:
    rows = store.fetchall(
        f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?",
        [token_hash],
    )
    return _token(rows[0]) if rows else None


def tokens(store: Store | WriteTx, user_id: int | None = None) -> list[TokenRow]:
    where, params = ("WHERE user_id = ?", [user_id]) if user_id is not None else ("", [])
    rows = store.fetchall(
        f"SELECT {TOKEN_COLUMNS} FROM api_tokens {where} ORDER BY id",
        params,
    )
    return [_token(r) for r in rows]


def token_used(tx: WriteTx, token_id: int, at: datetime) -> None:
    tx.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [at, token_id])


def revoke_token(tx: WriteTx, token_id: int, at: datetime) -> bool:
    found = tx.fetchall("SELECT 1 FROM api_tokens WHERE id = ? AND revoked_at IS NULL", [token_id])
    tx.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
               [at, token_id])  # fmt: skip
    return bool(found)


# ---------------------------------------------------------------- the audit log


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    user_id: int | None
    actor: str | None
    action: str
    object_type: str | None
    object_id: str | None
    details: dict[str, Any]
    address: str | None


def append_audit(
    tx: WriteTx, at: datetime, user_id: int | None, actor: str | None, action: str,
    object_type: str | None, object_id: str | None, details: dict[str, Any],
    address: str | None,
) -> None:  # fmt: skip
    tx.execute(
        'INSERT INTO audit_log ("at", user_id, actor, action, object_type, object_id, details, '
        "address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [at, user_id, actor, action, object_type, object_id,
         json.dumps(details, ensure_ascii=False, default=str), address],
    )  # fmt: skip


def audit(store: Store, limit: int, before_id: int | None, action: str | None) -> list[AuditRow]:
    """The newest entries first, optionally before an id and of one action."""
    where: list[str] = []
    params: list[Any] = []
    if before_id is not None:
        where.append("id < ?")
        params.append(before_id)
    if action is not None:
        where.append("action = ?")
        params.append(action)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = store.fetchall(
        'SELECT id, "at", user_id, actor, action, object_type, object_id, details, address '
        f"FROM audit_log {clause} ORDER BY id DESC LIMIT ?",
        [*params, limit],
    )
    return [
        AuditRow(int(r[0]), r[1], r[2], r[3], str(r[4]), r[5], r[6],
                 json.loads(r[7]) if isinstance(r[7], str) else (r[7] or {}), r[8])
        for r in rows
    ]  # fmt: skip
