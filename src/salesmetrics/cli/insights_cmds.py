"""`salesmetrics insights`: the ranked plain-language findings, in uk or en, each with its
numbers, its chart and how it is computed, and a suggested action (docs/insights.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from salesmetrics.cli.metrics_cmds import parse_as_of
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.people import AsUser, Lang, acting_as, language
from salesmetrics.cli.render import emit_json
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.strategy.insights import (
    DEFAULT_LIMIT,
    DEFAULT_PERIOD,
    MAX_LIMIT,
    Insights,
    insights,
)

console = Console()
COLOURS = {"high": "red", "medium": "yellow", "low": "cyan"}


def insights_cmd(
    db: DbOption = None,
    period: Annotated[str, typer.Option(
        "--period", help="The month whose KPIs are tested: last_month (default), this_month, "
        "2026-10 …; a longer period means its last month.")] = DEFAULT_PERIOD,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Read as on this day, YYYY-MM-DD (default: today).")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, max=MAX_LIMIT, help="Findings to show.")] = DEFAULT_LIMIT,
    lang: Lang = None, as_user: AsUser = None, fmt: FormatOption = OutputFormat.TABLE,
) -> None:  # fmt: skip
    """The findings that matter most, best first: bottlenecks, the cheapest channel, products
    customers are unhappy with, KPIs outside their usual range, targets far off pace, stale
    deals, rising and falling products; each with a suggested action."""
    with ws_service.workspace(db) as ws:
        found = insights(ws, acting_as(ws, as_user), period=period, as_of=parse_as_of(as_of),
                         lang=language(ws, lang), limit=limit)  # fmt: skip
        if fmt is OutputFormat.JSON:
            emit_json(found.as_dict())
            return
        _print(found)


def _print(found: Insights) -> None:
    m = found.month
    console.print(f"Insights as of {found.as_of}, KPIs of {m.start:%Y-%m} "
                  f"({len(found.findings)} of {found.total})")  # fmt: skip
    if not found.findings:
        console.print("Nothing stands out.")
    for i, f in enumerate(found.findings, 1):
        colour = COLOURS[f.severity]
        console.print(f"\n[bold]{i}. {escape(f.title)}[/bold] [{colour}]{f.severity} "
                      f"{f.score:.0f}[/{colour}] ({f.kind})")  # fmt: skip
        console.print(f"   {escape(f.text)}")
        console.print(f"   → {escape(f.action)}")
        console.print(f"   [dim]chart: {escape(f.chart_url)}[/dim]")


def register(root: typer.Typer) -> None:
    root.command("insights")(insights_cmd)
