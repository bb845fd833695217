"""`salesmetrics plan allocate|what-if|forecast`: where to put next month's marketing budget,
what changing the team or the funnel would do to next quarter, and the revenue forecast with its
backtest (docs/plan.md)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Plan ahead: budget allocation across channels, what-if on the funnel, "
                  "the revenue forecast.", no_args_is_help=True)  # fmt: skip


def register(root: typer.Typer) -> None:
    from salesmetrics.cli import channels_cmds, plan_outlook  # what-if and forecast live there

    plan_outlook.add_commands(app)
    channels_cmds.add_plan_commands(app)  # allocate
    root.add_typer(app, name="plan")
