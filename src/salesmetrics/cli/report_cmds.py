"""`salesmetrics report --format xlsx|pdf -o FILE` (a report of any period and scope, as the
person `--as` names sees it) and `salesmetrics report digest [--send] [--to EMAIL]` (the weekly
e-mail digest, previewed or sent now); docs/reports.md."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from salesmetrics.cli.metrics_cmds import parse_as_of
from salesmetrics.cli.options import DbOption
from salesmetrics.cli.people import AsUser, Lang, acting_as
from salesmetrics.cli.render import emit_json
from salesmetrics.domain.access import LOCAL
from salesmetrics.domain.errors import InputError
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.reports import digest
from salesmetrics.services.reports.build import DEFAULT_PERIOD
from salesmetrics.services.reports.files import report_file
from salesmetrics.services.reports.scope import SCOPE_HELP

app = typer.Typer(help="Reports: XLSX or PDF of any period and scope, and the weekly e-mail "
                  "digest.", invoke_without_command=True)  # fmt: skip


class ReportFormat(StrEnum):
    XLSX = "xlsx"
    PDF = "pdf"


Period = Annotated[
    str,
    typer.Option(
        "--period", help="this_month, last_month, 2026-Q3, 2026-10, 2026-01-01..2026-06-30 …"
    ),
]
Scope = Annotated[str, typer.Option("--scope", help=SCOPE_HELP)]
AsOf = Annotated[str | None, typer.Option(
    "--as-of", help="Periods seen from this day, YYYY-MM-DD (default: today).")]  # fmt: skip


@app.callback()
def report_cmd(
    ctx: typer.Context, db: DbOption = None,
    fmt: Annotated[ReportFormat | None, typer.Option(
        "--format", "-f", help="xlsx or pdf (default: from the file name).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="The file to write.")] = None,
    period: Period = DEFAULT_PERIOD, scope: Scope = "company", lang: Lang = None,
    as_user: AsUser = None, as_of: AsOf = None,
    sections: Annotated[str | None, typer.Option(
        "--sections", help="Only these sections, comma-separated (default: all).")] = None,
) -> None:  # fmt: skip
    """Write a report (headline KPIs, revenue by month, targets, team, pipeline, segments,
    feedback) of a period and scope to an XLSX or PDF file, as `--as` sees it."""
    if ctx.invoked_subcommand is not None:
        return
    if output is None:
        raise InputError("say where to write the report: -o FILE (.xlsx or .pdf)")
    chosen = fmt.value if fmt else output.suffix.lstrip(".").lower()
    if chosen not in ("xlsx", "pdf"):
        raise InputError(f"cannot tell the format from '{output.name}': add --format xlsx|pdf")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    quiet = Console(stderr=True)
    with ws_service.workspace(db) as ws, Progress(*columns, transient=True, console=quiet) as bar:
        task = bar.add_task("report", total=None)

        def step(key: str, done: int, total: int) -> None:
            bar.update(task, description=key or chosen, completed=done, total=total)

        who = acting_as(ws, as_user)
        made = report_file(ws, who, chosen, period=period, scope=scope, lang=lang,
                           as_of=parse_as_of(as_of), progress=step,
                           actor=LOCAL if as_user else None,
                           sections=[x.strip() for x in sections.split(",") if x.strip()]
                           if sections else None)  # fmt: skip
    output.write_bytes(made.data)
    r = made.report
    typer.echo(f"{r.title} {r.period}, {r.scope_label}: {len(r.sections)} sections "
               f"({len(made.data):,} bytes) written to {output}")  # fmt: skip
    for why in r.skipped:
        typer.echo(f"  left out: {why}", err=True)


@app.command("digest")
def digest_cmd(
    db: DbOption = None,
    send: Annotated[bool, typer.Option("--send", help="Send it now (default: print it).")] = False,
    to: Annotated[str | None, typer.Option(
        "--to", help="Only this user (their view); default: every owner and manager.")] = None,
    lang: Lang = None, as_of: AsOf = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part too.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:  # fmt: skip
    """The weekly e-mail digest (last week's KPIs, targets, top insights): printed for each
    recipient, or sent through the alerts' SMTP server with `--send`."""
    day = parse_as_of(as_of)
    with ws_service.workspace(db) as ws:
        plan = digest.Schedule.from_env()
        if send:
            mails = digest.send(ws, schedule=plan, to=to, as_of=day, lang=lang)
        else:
            mails = [digest.compose(ws, who, email, as_of=day, lang=lang, link=plan.link)
                     for email, who in digest.recipients(ws, plan.roles, to)]  # fmt: skip
    if json_out:
        emit_json([{"to": m.to, "subject": m.subject, "lang": m.lang, "text": m.text,
                    "figures": m.figures} for m in mails])  # fmt: skip
        return
    for m in mails:
        typer.echo(f"To: {m.to}\nSubject: {m.subject}\n\n{m.text}\n")
        if html:
            typer.echo(m.html)
    if send:
        typer.echo(f"sent {len(mails)} digest{'s' * (len(mails) != 1)}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report")
