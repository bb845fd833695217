"""The demo workspace's accounts, one per role, with a documented password (README, `make
run` prints them). Only the demo gets them: a real workspace starts with nobody and its
first person creates the owner (/setup, or `salesmetrics users add --role owner`)."""

from __future__ import annotations

from dataclasses import dataclass

from salesmetrics.domain.access import LOCAL, Role
from salesmetrics.services.access import passwords
from salesmetrics.services.access.users import add_user
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import access as repo

PASSWORD = "demo-sales-2026"
DOMAIN = "demo.example"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    role: Role
    rep_id: int | None
    name: str | None


def plan(ws: Workspace) -> list[DemoAccount]:
    """Owner and viewer; a manager who is the manager of the first team; a rep of that team."""
    manager, rep = repo.demo_people(ws.store)
    return [
        DemoAccount(f"owner@{DOMAIN}", Role.OWNER, None, "Demo owner"),
        DemoAccount(f"manager@{DOMAIN}", Role.MANAGER, manager[0], manager[1]),
        DemoAccount(f"rep@{DOMAIN}", Role.REP, rep[0], rep[1]),
        DemoAccount(f"viewer@{DOMAIN}", Role.VIEWER, None, "Demo viewer"),
    ]


def add_demo_accounts(ws: Workspace) -> list[DemoAccount]:
    accounts = plan(ws)
    for a in accounts:
        add_user(ws, LOCAL, a.email, a.role, password=PASSWORD, name=a.name, rep_id=a.rep_id)
    return accounts


def usable(ws: Workspace) -> list[tuple[str, str, str]]:
    """(e-mail, role, who) of the demo accounts that still sign in with the documented
    password: what `serve` prints."""
    out = []
    for user in repo.users(ws.store):
        if (
            user.email.endswith("@" + DOMAIN)
            and user.active
            and passwords.verify(repo.password_hash(ws.store, user.id), PASSWORD)
        ):
            out.append((user.email, user.role, user.name or ""))
    return out
