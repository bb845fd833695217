"""Entry point: the Typer app, and the one place errors become a line and an exit code."""

from __future__ import annotations

import os
import sys

import typer

from salesmetrics import __version__
from salesmetrics.cli import (
    alerts_cmds,
    channels_cmds,
    events_cmds,
    feedback_cmds,
    import_cmds,
    insights_cmds,
    leads_cmds,
    metrics_cmds,
    pipeline_cmds,
    plan_cmds,
    records_cmds,
    report_cmds,
    segments_cmds,
    targets_cmds,
    users_cmds,
    warehouse_cmds,
    workspace_cmds,
)
from salesmetrics.domain.errors import SalesmetricsError

app = typer.Typer(
    name="salesmetrics",
    help="Sales metrics for small businesses: KPIs, targets, pipeline, leads, segments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
workspace_cmds.register(app)
import_cmds.register(app)
metrics_cmds.register(app)
events_cmds.register(app)
users_cmds.register(app)
records_cmds.register(app)
targets_cmds.register(app)
alerts_cmds.register(app)
pipeline_cmds.register(app)
leads_cmds.register(app)
segments_cmds.register(app)
feedback_cmds.register(app)
insights_cmds.register(app)
channels_cmds.register(app)
plan_cmds.register(app)
report_cmds.register(app)
warehouse_cmds.register(app)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def run() -> None:
    """Run the CLI; expected errors print one line to stderr and exit non-zero."""
    try:
        app()
    except SalesmetricsError as exc:
        typer.secho(f"error: {exc.message}", err=True, fg=typer.colors.RED)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("SALESMETRICS_DEBUG"):
            raise
        typer.secho(
            f"internal error: {type(exc).__name__}: {exc} "
            "(set SALESMETRICS_DEBUG=1 for the traceback, and please report it)",
            err=True,
            fg=typer.colors.RED,
        )
        sys.exit(70)
