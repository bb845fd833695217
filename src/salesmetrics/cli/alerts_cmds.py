"""`salesmetrics alerts check|list|send|digest`: the alert rules run by hand (the server runs them
on a schedule and after data changes), the alerts kept, and their deliveries."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from salesmetrics.cli.metrics_cmds import parse_as_of
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.render import emit_json
from salesmetrics.domain.access import LOCAL
from salesmetrics.domain.errors import InputError
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.alerts import service
from salesmetrics.services.alerts.channels import alert_json
from salesmetrics.services.alerts.rules import RULES

app = typer.Typer(help="Alerts: check the rules, list what they found, send.", no_args_is_help=True)


@app.command("check")
def check_cmd(
    db: DbOption = None,
    rule: Annotated[list[str] | None, typer.Option(help="Only this rule (repeatable).")] = None,
    as_of: Annotated[str | None, typer.Option(help="The day to check, YYYY-MM-DD [today].")] = None,
    send: Annotated[bool, typer.Option(help="Send what is due afterwards.")] = True,
) -> None:
    """Run the alert rules; keep each condition once; send the deliveries due."""
    unknown = [r for r in rule or [] if r not in RULES]
    if unknown:
        raise InputError(f"no rule {', '.join(unknown)}: use {', '.join(RULES)}")
    day = parse_as_of(as_of)
    with ws_service.workspace(db) as ws:
        done = service.check(ws, day, rules=tuple(rule or RULES))
        sent = service.send_due(ws) if send else 0
    typer.echo(f"{done.found} condition(s) met, {len(done.new)} new alert(s), {sent} sent")


AsUser = Annotated[str | None, typer.Option("--as", help="What this user sees.")]


@app.command("list")
def list_cmd(db: DbOption = None, days: Annotated[int, typer.Option(help="How far back.")] = 30,
             as_user: AsUser = None, fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """The alerts of the last days, newest first."""
    with ws_service.workspace(db) as ws:
        who = as_person(ws, as_user) if as_user else LOCAL
        found = service.visible(ws, who, days=days)
    if fmt is OutputFormat.JSON:
        emit_json([alert_json(a) for a in found])
        return
    table = Table(title=f"alerts, last {days} days")
    for name in ("id", "fired", "rule", "title"):
        table.add_column(name)
    for a in found:
        table.add_row(str(a.id), f"{a.fired_at:%Y-%m-%d %H:%M}", a.rule, a.title)
    Console().print(table)


@app.command("send")
def send_cmd(db: DbOption = None) -> None:
    """Send the deliveries that are due (after quiet hours; failures are retried)."""
    with ws_service.workspace(db) as ws:
        sent = service.send_due(ws)
    typer.echo(f"{sent} sent")


@app.command("digest")
def digest_cmd(
    db: DbOption = None,
    period: Annotated[str, typer.Option(help="daily or weekly.")] = "daily",
) -> None:
    """One message listing the alerts of the last day or week, to every channel (once a day)."""
    if period not in service.DIGESTS:
        raise InputError(f"--period '{period}': use daily or weekly")
    with ws_service.workspace(db) as ws:
        made = service.digest(ws, period)
        sent = service.send_due(ws)
    typer.echo("nothing to tell, or sent already today" if made is None else
               f"digest {made} made, {sent} sent")  # fmt: skip


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="alerts")
