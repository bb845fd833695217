"""Signing in and out, sessions, and who a request's session or token belongs to.

A session id is 128 random bits, sent only in an HttpOnly cookie and stored as its SHA-256.
It ends after `idle` without a request, `absolute` after sign-in whatever happens, on sign-out,
and when the person's password changes or they are disabled. A token or session of a disabled
person is refused on its next request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from salesmetrics.domain.access import Principal, Role, scope_for
from salesmetrics.domain.env import positive
from salesmetrics.domain.errors import NotFoundError, SalesmetricsError
from salesmetrics.services.access import passwords
from salesmetrics.services.access.audit import now, record, record_in
from salesmetrics.services.access.cache import Remembered, changed
from salesmetrics.services.access.throttle import Throttle, TooManyAttempts
from salesmetrics.services.access.users import token_hash
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import access as repo
from salesmetrics.storage.repositories.access import UserRow

IDLE_ENV, ABSOLUTE_ENV = "SALESMETRICS_SESSION_IDLE_MINUTES", "SALESMETRICS_SESSION_MAX_HOURS"
TOUCH_EVERY = timedelta(seconds=60)  # last-seen and last-used times, to the minute


class WrongCredentials(SalesmetricsError):
    """The e-mail and password do not match an active account (which part, we do not say)."""

    exit_code = 6
    http_status = 401


def idle_limit() -> timedelta:
    return timedelta(minutes=positive(IDLE_ENV, 120.0, float, "minutes"))


def absolute_limit() -> timedelta:
    return timedelta(hours=positive(ABSOLUTE_ENV, 168.0, float, "hours"))


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def principal_of(ws: Workspace, user: UserRow, via: str, csrf: str | None = None) -> Principal:
    """The person as of now: their role and the records their role lets them see."""
    role = Role(user.role)
    teams = (
        repo.team_reps(ws.store, user.rep_id)
        if role is Role.MANAGER and user.rep_id is not None
        else frozenset()
    )
    return Principal(user.id, user.email, user.name, role, user.rep_id,
                     scope_for(role, user.rep_id, teams), via, csrf)  # fmt: skip


def as_person(ws: Workspace, email: str) -> Principal:
    """Someone's view without signing in (the command line's `--as`): whoever can open the
    database sees everything anyway, and may look through another person's eyes."""
    user = repo.user_by_email(ws.store, email.strip().lower())
    if user is None:
        raise NotFoundError(f"no user '{email}': see `salesmetrics users list`")
    return principal_of(ws, user, "local")


@dataclass(frozen=True, slots=True)
class Started:
    """A new session: the id for the cookie (never stored as is), its CSRF token, and the
    device cookie that marks this browser as one the person signs in with."""

    session_id: str
    csrf: str
    principal: Principal
    device: str


def device_token(email: str, password_hash: str) -> str:
    """`email:mac`, the mac keyed by the stored password hash: only this server can make it,
    and a new password makes every old one worthless."""
    mac = hmac.new(password_hash.encode(), f"device\n{email}".encode(), hashlib.sha256)
    return f"{base64.urlsafe_b64encode(email.encode()).decode().rstrip('=')}.{mac.hexdigest()}"


class SignIn:
    """Sign-in for one workspace in one server process (the throttle and cache live here)."""

    def __init__(self, ws: Workspace, throttle: Throttle | None = None) -> None:
        self.ws = ws
        self.throttle = throttle or Throttle()
        self._sessions: Remembered[tuple[Principal, datetime, datetime] | None] = Remembered()
        self._tokens: Remembered[tuple[Principal, int, datetime | None] | None] = Remembered()

    # ------------------------------------------------------------ sign in and out

    def login(self, email: str, password: str, address: str, device: str | None = None) -> Started:
        """A new session, or WrongCredentials / TooManyAttempts. `device` is the device
        cookie this browser got at an earlier sign-in, if any."""
        clean = email.strip().lower()
        try:
            self.throttle.check(address, clean, known_device=self._known(clean, device))
        except TooManyAttempts:
            record(self.ws, None, "login_throttled", details={"email": clean}, address=address)
            raise
        user = repo.user_by_email(self.ws.store, clean)
        if user is None:
            passwords.spend_time(password)  # every refusal costs one hash: timing tells nothing
            ok = False
        else:
            ok = passwords.verify(repo.password_hash(self.ws.store, user.id), password)
            ok = ok and user.active
        if not ok or user is None:
            self.throttle.failed(address, clean)
            record(self.ws, None, "login_failed", object_type="user",
                   object_id=user.id if user else None, details={"email": clean},
                   address=address)  # fmt: skip
            raise WrongCredentials("the e-mail or the password is wrong, or the account is "
                                   "disabled")  # fmt: skip
        self.throttle.succeeded(address, clean)
        session_id, csrf, at = secrets.token_urlsafe(16), secrets.token_urlsafe(32), now()
        principal = principal_of(self.ws, user, "session", csrf)

        def work(tx: WriteTx) -> None:
            repo.delete_expired_sessions(tx, at - idle_limit(), at)
            repo.insert_session(tx, session_hash(session_id), user.id, at,
                                at + absolute_limit(), csrf)  # fmt: skip
            record_in(tx, principal, "login", object_type="user", object_id=user.id,
                      address=address)  # fmt: skip

        self.ws.store.write(work, changes_data=False)
        stored = repo.password_hash(self.ws.store, user.id) or ""
        return Started(session_id, csrf, principal, device_token(clean, stored))

    def _known(self, email: str, device: str | None) -> bool:
        """Whether `device` is this e-mail's device cookie (a signed-in-before browser)."""
        if not device:
            return False
        user = repo.user_by_email(self.ws.store, email)
        stored = repo.password_hash(self.ws.store, user.id) if user else None
        return bool(stored) and hmac.compare_digest(device, device_token(email, stored or ""))

    def logout(self, session_id: str, principal: Principal, address: str | None) -> None:
        def work(tx: WriteTx) -> None:
            repo.delete_session(tx, session_hash(session_id))
            record_in(tx, principal, "logout", object_type="user", object_id=principal.user_id,
                      address=address)  # fmt: skip

        self.ws.store.write(work, changes_data=False)
        changed()

    # ------------------------------------------------------------ who is asking

    def session(self, session_id: str) -> Principal | None:
        """The person of a live session, or None (unknown, ended, idle or too old)."""
        key = session_hash(session_id)
        found = self._sessions.get(key, lambda: self._load_session(key))
        if found is None:
            return None
        principal, last_seen, expires = found
        at = now()
        if at >= expires or at - last_seen > idle_limit():
            self._sessions.forget(key)
            self.ws.store.write(lambda tx: repo.delete_session(tx, key), changes_data=False)
            return None
        if at - last_seen >= TOUCH_EVERY:
            self._sessions.forget(key)
            self.ws.store.write(lambda tx: repo.touch_session(tx, key, at), changes_data=False)
        return principal

    def _load_session(self, key: str) -> tuple[Principal, datetime, datetime] | None:
        row = repo.session(self.ws.store, key)
        if row is None:
            return None
        user = repo.user_by_id(self.ws.store, row.user_id)
        if user is None or not user.active:
            return None
        return (
            principal_of(self.ws, user, "session", row.csrf_token),
            row.last_seen_at,
            row.expires_at,
        )

    def token(self, secret: str) -> Principal | None:
        """The person a live API token belongs to, or None."""
        key = token_hash(secret)
        found = self._tokens.get(key, lambda: self._load_token(key))
        if found is None:
            return None
        principal, token_id, last_used = found
        at = now()
        if last_used is None or at - last_used >= TOUCH_EVERY:
            self._tokens.forget(key)
            self.ws.store.write(lambda tx: repo.token_used(tx, token_id, at), changes_data=False)
        return principal

    def _load_token(self, key: str) -> tuple[Principal, int, datetime | None] | None:
        row = repo.token_by_hash(self.ws.store, key)
        if row is None or row.revoked_at is not None:
            return None
        user = repo.user_by_id(self.ws.store, row.user_id)
        if user is None or not user.active:
            return None
        return principal_of(self.ws, user, "token"), row.id, row.last_used_at

    def has_users(self) -> bool:
        return repo.count_users(self.ws.store) > 0
