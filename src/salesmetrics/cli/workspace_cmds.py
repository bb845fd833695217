"""init, demo, info and serve."""

from __future__ import annotations

import ipaddress
import os
from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from salesmetrics.cli import render
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.domain.enums import DemoSize
from salesmetrics.domain.errors import ConfigError
from salesmetrics.services import demo as demo_service
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.access import demo_accounts
from salesmetrics.services.access import users as access_users


def init(
    db: DbOption = None,
    name: Annotated[str | None, typer.Option(help="Workspace name.")] = None,
    currency: Annotated[str | None, typer.Option(help="Base currency, e.g. UAH.")] = None,
    time_zone: Annotated[str | None, typer.Option(help="IANA time zone.")] = None,
    locale: Annotated[str | None, typer.Option(help="uk or en.")] = None,
    fiscal_year_start: Annotated[int | None, typer.Option(help="Month 1-12.")] = None,
    work_calendar: Annotated[
        str | None, typer.Option(help="Days off for pacing targets: auto, ua or weekends.")
    ] = None,
    work_week: Annotated[str | None, typer.Option(help="Working weekdays, e.g. mon-fri.")] = None,
    days_off: Annotated[
        str | None, typer.Option(help="Own days off, YYYY-MM-DD, comma-separated.")
    ] = None,
    lead_min_history: Annotated[
        int | None, typer.Option(help="Decided leads before lead scores use a model (default 200).")
    ] = None,
    lead_full_history: Annotated[
        int | None,
        typer.Option(help="Decided leads at which the model alone scores (default 1000)."),
    ] = None,
) -> None:
    """Create a workspace (or bring an existing one's schema up to date) and set its settings."""
    given = {
        "name": name,
        "base_currency": currency,
        "time_zone": time_zone,
        "locale": locale,
        "fiscal_year_start_month": None if fiscal_year_start is None else str(fiscal_year_start),
        "work_calendar": work_calendar,
        "work_week": work_week,
        "days_off": days_off,
        "lead_min_history": None if lead_min_history is None else str(lead_min_history),
        "lead_full_history": None if lead_full_history is None else str(lead_full_history),
    }
    chosen = ws_service.init_workspace(db, {k: v for k, v in given.items() if v is not None})
    url = ws_service.resolve_url(db)
    typer.echo(
        f"workspace ready: {url} ({chosen.name}, {chosen.base_currency}, {chosen.time_zone})"
    )


def demo(
    db: DbOption = None,
    size: Annotated[
        DemoSize, typer.Option(help="small ~50k order lines, medium ~1M, large ~10M, xlarge ~100M.")
    ] = DemoSize.SMALL,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 42,
    as_of: Annotated[
        str | None, typer.Option(help="Last day of the demo's 24 months (YYYY-MM-DD) [today].")
    ] = None,
) -> None:
    """Create the demo business in a new workspace, with its ground truth beside it."""
    day = _parse_day(as_of) if as_of else None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("demo", total=None)

        def step(done: int, total: int, table: str) -> None:
            bar.update(task, completed=done, total=max(total, done), description=table)

        result = demo_service.create_demo_workspace(db, size, seed, day, step)
    typer.echo(
        f"demo ready: {result.rows:,} rows in {ws_service.resolve_url(db)}; "
        f"ground truth in {result.truth_path}"
    )


def info(db: DbOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Tables, row counts, date range and settings of a workspace."""
    with ws_service.workspace(db) as ws:
        render.workspace_info(ws_service.describe(ws), fmt)


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes. More than one needs a PostgreSQL workspace (a DuckDB file "
            "is open in one process); live updates cross them through LISTEN/NOTIFY.",
        ),
    ] = 1,
) -> None:
    """Serve the web app and the API (this process becomes the workspace's single writer)."""
    import uvicorn

    from salesmetrics.web.app import create_app, settle_for_serving
    from salesmetrics.web.served import SERVED_APP, SERVED_DB_ENV

    url = ws_service.resolve_url(db)
    if workers > 1 and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            f"--workers {workers} needs a PostgreSQL workspace: a DuckDB file is open in one "
            "process only (serve it with one worker, or move it to PostgreSQL)"
        )
    app = create_app(db)
    typer.echo(
        f"serving {url} on http://{host}:{port}" + (f" ({workers} workers)" if workers > 1 else "")
    )
    _sign_in_hint(app.state.workspace, f"http://{host}:{port}")
    if not _loopback(host):
        typer.echo(
            f"warning: listening on {host}, not only on this machine, over plain HTTP: put a "
            "TLS-terminating proxy in front before anyone else connects (docs/security.md)",
            err=True,
        )
    if workers == 1:
        settle_for_serving(app)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        return
    app.state.workspace.close()  # opened to migrate and check once; each worker opens its own
    os.environ[SERVED_DB_ENV] = url
    uvicorn.run(SERVED_APP, factory=True, workers=workers, host=host, port=port,
                log_level="warning", access_log=False)  # fmt: skip


def _sign_in_hint(ws: ws_service.Workspace, base: str) -> None:
    """The demo's accounts (while they keep the documented password), or the first-run page."""
    accounts = demo_accounts.usable(ws)
    if accounts:
        typer.echo(f"demo accounts (password: {demo_accounts.PASSWORD}):")
        for email, role, name in accounts:
            typer.echo(f"  {email:<24} {role:<8} {name}")
    elif not access_users.has_users(ws):
        typer.echo(f"no users yet: open {base}/setup to create the owner, or run "
                   "`salesmetrics users add EMAIL --role owner`")  # fmt: skip


def _loopback(host: str) -> bool:
    """Whether an address to listen on is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: whatever it resolves to, assume others can reach it
        return False


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a date: use YYYY-MM-DD") from None


def register(app: typer.Typer) -> None:
    for command in (init, demo, info, serve):
        app.command()(command)
