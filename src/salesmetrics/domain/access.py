"""Who may see and do what: roles, the records a person sees, and the one rule that decides.

A record belongs to the rep it is assigned to (a deal's or lead's or customer's owner, an
order's or activity's or response's rep). The rule:

- owner and viewer see every record (the viewer changes nothing);
- a manager sees the records of the reps in the teams they manage, their own, and records
  assigned to nobody;
- a rep sees their own records only (not the unassigned ones: those wait for a manager).

Only the owner changes data (imports, reverts, events): an import can move records between
reps and teams, or reps between teams, so a change cannot be held inside one team's view (a
manager who could import could widen their own view to the whole company).

Data that belongs to no rep by its nature (marketing spend, the product list, settings) is
company-wide: a person whose view is narrowed to some reps does not get numbers built on it
(a rep's cost per customer would divide the whole company's spend by the rep's customers).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from salesmetrics.domain.errors import SalesmetricsError


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    REP = "rep"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"  # see records within one's view
    WRITE = "write"  # change data: imports, reverts, events
    ADMIN = "admin"  # users, tokens, settings, the audit log


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MANAGER: frozenset({Permission.READ}),
    Role.REP: frozenset({Permission.READ}),
    Role.VIEWER: frozenset({Permission.READ}),
}


class ForbiddenError(SalesmetricsError):
    """Signed in, but this role may not do this (or see this record)."""

    exit_code = 6
    http_status = 403


class UnauthenticatedError(SalesmetricsError):
    """No credentials, or credentials that are not (or no longer) valid."""

    exit_code = 6
    http_status = 401


@dataclass(frozen=True, slots=True)
class Scope:
    """The records a person sees: every one (`reps` None), or those of these reps, with or
    without the records assigned to nobody; and, when they chose to look at one customer
    segment, only that segment's customers (`segment`: a filter the person set on a page, not
    a permission; metric queries add `segment=<code>`, and metrics that cannot be split by
    segment are not shown)."""

    reps: frozenset[int] | None = None
    unassigned: bool = True
    segment: str | None = None

    @property
    def everything(self) -> bool:
        return self.reps is None

    def sees(self, rep_id: int | None) -> bool:
        """Whether a record assigned to `rep_id` (None: to nobody) is in view."""
        if self.reps is None:
            return True
        return self.unassigned if rep_id is None else rep_id in self.reps

    def key(self) -> tuple[tuple[int, ...] | None, bool, str | None]:
        """A hashable, ordered form (for caches and compiled statements)."""
        reps = None if self.reps is None else tuple(sorted(self.reps))
        return (reps, self.unassigned, self.segment)


EVERYTHING = Scope()


def scope_for(role: Role, rep_id: int | None, team_reps: frozenset[int]) -> Scope:
    """The one rule: what a role sees, given the person's own rep and the reps of the teams
    they manage. A rep user not linked to a rep sees nothing."""
    if role in (Role.OWNER, Role.VIEWER):
        return EVERYTHING
    own = frozenset() if rep_id is None else frozenset({rep_id})
    if role is Role.MANAGER:
        return Scope(own | team_reps, unassigned=True)
    return Scope(own, unassigned=False)


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in person (through a session or an API token), as of this request."""

    user_id: int
    email: str
    name: str | None
    role: Role
    rep_id: int | None
    scope: Scope
    via: str  # "session", "token" or "signature" (a signed webhook) or "local" (the CLI)
    session_csrf: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    @property
    def can_admin(self) -> bool:
        return self.can(Permission.ADMIN)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise ForbiddenError(
                f"a {self.role.value} may not {_DOING[permission]}: ask the workspace's owner"
            )

    def require_everything(self, what: str) -> None:
        """For data that is not split by rep: only people who see every record get it."""
        if not self.scope.everything:
            raise ForbiddenError(
                f"{what} covers every rep's records: a {self.role.value} sees only "
                + ("their own" if self.role is Role.REP else "their teams'")
            )


_DOING = {
    Permission.READ: "read this workspace",
    Permission.WRITE: "change data (imports, reverts, events): only the owner does",
    Permission.ADMIN: "manage users, tokens or settings, or read the audit log",
}

LOCAL = Principal(0, "local", "this computer's user", Role.OWNER, None, EVERYTHING, "local")
"""The command line on the machine that holds the workspace file (or its database URL):
whoever can open the database directly sees everything anyway."""
