"""users add|list|disable|enable|change|password|token|tokens|revoke, and audit.

The command line runs as whoever can open the workspace's database directly (the file's
owner, or a PostgreSQL login): it acts as the workspace's owner, and the audit log records
it as `local`.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.render import emit_json
from salesmetrics.domain.access import LOCAL, Role
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.access import audit, users

app = typer.Typer(help="People who sign in, their roles and API tokens.", no_args_is_help=True)

RoleOption = Annotated[Role, typer.Option(help="owner, manager, rep or viewer.")]
RepOption = Annotated[
    int | None,
    typer.Option("--rep", help="The rep this person is (rep and manager roles): their id."),
]
StdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return value


def _print(rows: list[dict[str, Any]], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.JSON:
        emit_json(rows)
        return
    if not rows:
        typer.echo("(none)")
        return
    keys = list(rows[0])
    width = {k: max(len(k), *(len(str(r[k] if r[k] is not None else "")) for r in rows))
             for k in keys}  # fmt: skip
    typer.echo("  ".join(k.ljust(width[k]) for k in keys))
    for r in rows:
        typer.echo("  ".join(str(r[k] if r[k] is not None else "").ljust(width[k]) for k in keys))


@app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="The e-mail they sign in with.")],
    role: RoleOption,
    rep: RepOption = None,
    name: Annotated[str | None, typer.Option(help="Their name as pages show it.")] = None,
    password_stdin: StdinOption = False,
    db: DbOption = None,
) -> None:
    """Add a person (asks for their password, or reads it with --password-stdin)."""
    secret = _password(password_stdin)
    with ws_service.workspace(db) as ws:
        user = users.add_user(ws, LOCAL, email, role, password=secret, name=name, rep_id=rep)
    typer.echo(f"added {user.email} ({user.role}" + (f", rep {user.rep_id}" if user.rep_id else "")
               + ")")  # fmt: skip


@app.command("list")
def list_(db: DbOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Everyone, with their role, rep, whether active and how many live tokens."""
    with ws_service.workspace(db) as ws:
        rows = users.list_users(ws, LOCAL)
    for r in rows:
        r["created_at"] = users.when(r["created_at"])
    _print(rows, fmt)


@app.command("disable")
def disable(email: str, db: DbOption = None) -> None:
    """Stop a person signing in: their sessions end and their tokens stop working."""
    with ws_service.workspace(db) as ws:
        users.change_user(ws, LOCAL, email, active=False)
    typer.echo(f"disabled {email}: their sessions ended, their tokens are refused")


@app.command("enable")
def enable(email: str, db: DbOption = None) -> None:
    """Let a disabled person sign in again."""
    with ws_service.workspace(db) as ws:
        users.change_user(ws, LOCAL, email, active=True)
    typer.echo(f"enabled {email}")


@app.command("change")
def change(
    email: str,
    role: Annotated[Role | None, typer.Option(help="A new role.")] = None,
    rep: RepOption = None,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    db: DbOption = None,
) -> None:
    """Change a person's role, rep or name; it applies from their next request."""
    with ws_service.workspace(db) as ws:
        user = users.change_user(ws, LOCAL, email, role=role, rep_id=rep, name=name)
    typer.echo(f"{user.email}: {user.role}" + (f", rep {user.rep_id}" if user.rep_id else ""))


@app.command("password")
def password(email: str, password_stdin: StdinOption = False, db: DbOption = None) -> None:
    """Set a new password; every session of the person ends."""
    secret = _password(password_stdin)
    with ws_service.workspace(db) as ws:
        ended = users.set_password(ws, LOCAL, email, secret)
    typer.echo(f"password of {email} changed; {ended} session(s) ended")


@app.command("token")
def token(
    email: str,
    name: Annotated[str | None, typer.Option(help="What it is for, e.g. 'shop webhook'.")] = None,
    db: DbOption = None,
) -> None:
    """Create an API token carrying the person's role. It is shown this once: keep it."""
    with ws_service.workspace(db) as ws:
        made = users.create_token(ws, LOCAL, email, name)
    typer.echo(made.secret)
    typer.echo(f"token {made.id} for {made.user}: shown once, stored only as a hash; send it as "
               "'Authorization: Bearer <token>'", err=True)  # fmt: skip


@app.command("tokens")
def tokens(
    email: Annotated[str | None, typer.Argument(help="Only this person's.")] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """API tokens: id, owner, name, first characters, created, last used, revoked."""
    with ws_service.workspace(db) as ws:
        found = users.list_tokens(ws, LOCAL, email)
        emails = {u["id"]: u["email"] for u in users.list_users(ws, LOCAL)}
    rows = [
        {"id": t.id, "user": emails.get(t.user_id), "name": t.name, "starts": t.prefix,
         "created": users.when(t.created_at), "last_used": users.when(t.last_used_at),
         "revoked": users.when(t.revoked_at) if t.revoked_at else ""}
        for t in found
    ]  # fmt: skip
    _print(rows, fmt)


@app.command("revoke")
def revoke(token_id: Annotated[int, typer.Argument(help="The token's id (see tokens).")],
           db: DbOption = None) -> None:  # fmt: skip
    """Revoke an API token: its next request is refused."""
    with ws_service.workspace(db) as ws:
        users.revoke_token(ws, LOCAL, token_id)
    typer.echo(f"token {token_id} revoked")


def audit_log(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="How many entries, newest first.")] = 50,
    action: Annotated[str | None, typer.Option(help=", ".join(audit.ACTIONS))] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """The audit log: sign-ins, user and token changes, imports, reverts, exports."""
    with ws_service.workspace(db) as ws:
        rows = audit.entries(ws, LOCAL, limit=limit, action=action)
    if fmt is OutputFormat.TABLE:
        rows = [{"id": r["id"], "at": r["at"][:19], "who": r["actor"], "action": r["action"],
                 "object": f"{r['object_type'] or ''} {r['object_id'] or ''}".strip(),
                 "address": r["address"], "details": json.dumps(r["details"], ensure_ascii=False)}
                for r in rows]  # fmt: skip
    _print(rows, fmt)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="users")
    root.command("audit")(audit_log)
