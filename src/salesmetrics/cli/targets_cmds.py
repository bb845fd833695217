"""`salesmetrics targets set|list|status|remove`: goals on any metric for the company, a team or a
rep, and where each stands (pacing, run-rate needed, projection, coverage, what it takes)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from salesmetrics.cli.metrics_cmds import fmt_value, parse_as_of
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.people import acting_as
from salesmetrics.cli.render import emit_json
from salesmetrics.domain.access import LOCAL
from salesmetrics.domain.enums import TargetSplit
from salesmetrics.domain.errors import InputError
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.targets import plan, rollup, status
from salesmetrics.services.targets.status import TargetStatus
from salesmetrics.services.workspace import Workspace

app = typer.Typer(help="Targets: set them, list them, see where they stand.", no_args_is_help=True)

Rep = Annotated[str | None, typer.Option("--rep", help="For this rep (id, name or email).")]
Team = Annotated[str | None, typer.Option("--team", help="For this team (id or name).")]
PeriodArg = Annotated[str, typer.Argument(help="YYYY-MM, YYYY-Qn, YYYY or YYYY-MM..YYYY-MM.")]
PeriodOpt = Annotated[
    str | None,
    typer.Option("--period", help="Targets overlapping this period (YYYY-MM, YYYY-Qn, YYYY) "
                 "[the one holding the status day]."),
]  # fmt: skip
MetricOpt = Annotated[str | None, typer.Option("--metric", help="Only this metric's targets.")]
AsUser = Annotated[
    str | None, typer.Option("--as", help="The targets this user sees (a rep's own).")
]
AsOf = Annotated[str | None, typer.Option("--as-of", help="The status day, YYYY-MM-DD [today].")]


def _short(value: Any, unit: str) -> str:
    """A table cell: money in whole major units (the title names the currency)."""
    if value is None:
        return "—"
    if unit == "money":
        return f"{value / 100:,.0f}".replace(",", " ")
    if unit == "percent":
        return f"{value * 100:.1f}%"
    if unit == "count":
        return f"{value:,.1f}".replace(",", " ").removesuffix(".0")
    return f"{value:.1f}"


def _fmt(value: Any, unit: str, currency: str) -> str:
    if unit == "count" and isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", " ")
    if unit == "count" and isinstance(value, float):
        value = int(value)
    return fmt_value(value, unit, currency)


def _weights(text: str | None) -> list[float] | None:
    if not text:
        return None
    try:
        return [float(w) for w in text.replace(";", ",").split(",") if w.strip()]
    except ValueError:
        raise InputError(f"--weights '{text}': give numbers, e.g. 1,1,2") from None


@app.command("set")
def set_cmd(
    metric: Annotated[str, typer.Argument(help="Any metric: revenue, deals_won, win_rate …")],
    period: PeriodArg,
    value: Annotated[str, typer.Argument(help="Money in major units (250000), 24% for rates.")],
    db: DbOption = None,
    rep: Rep = None,
    team: Team = None,
    split: Annotated[
        TargetSplit, typer.Option(help="How a quarter or year splits into months.")
    ] = TargetSplit.EVEN,
    weights: Annotated[
        str | None, typer.Option(help="With --split custom: one weight per month, e.g. 1,1,2.")
    ] = None,
) -> None:
    """Set a target (or replace the one for the same metric, scope and period)."""
    with ws_service.workspace(db) as ws:
        owner = plan.find_owner(ws, rep, team)
        ids = plan.set_target(ws, LOCAL, metric, period, value, owner=owner, split=split,
                              weights=_weights(weights))  # fmt: skip
    months = f" and {len(ids) - 1} monthly parts" if len(ids) > 1 else ""
    typer.echo(f"target {ids[0]} set: {metric} {period} {value} for {owner.name or 'the company'}"
               f"{months}")  # fmt: skip


@app.command("remove")
def remove_cmd(target_id: Annotated[int, typer.Argument(help="The target's id.")],
               db: DbOption = None) -> None:  # fmt: skip
    """Remove a target (a quarter or year target with its months)."""
    with ws_service.workspace(db) as ws:
        gone = plan.remove_target(ws, LOCAL, target_id)
    typer.echo(f"target {target_id} removed ({gone} row{'s' * (gone != 1)})")


def _range(ws: Workspace, period: str | None, day: date) -> tuple[date, date]:
    if not period:
        return day, day
    p = plan.parse_target_period(period)
    return p.start, p.end


@app.command("list")
def list_cmd(db: DbOption = None, period: PeriodOpt = None, metric: MetricOpt = None,
             as_user: AsUser = None, fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """The targets, with their periods, values and splits."""
    with ws_service.workspace(db) as ws:
        day = ws.metrics.today()
        start, end = _range(ws, period, day)
        rows = status.list_targets(ws, acting_as(ws, as_user), start, end, metric)
        units = {t.metric: ws.metrics.catalog.get(t.metric).unit.value for t in rows}
        currency = ws.settings.base_currency
    if fmt is OutputFormat.JSON:
        emit_json([status.target_json(t) for t in rows])
        return
    table = Table(title=f"targets {start}..{end}")
    for name in ("id", "metric", "for", "period", "value", "split", "plan"):
        table.add_column(name, justify="right" if name in ("id", "value", "plan") else "left")
    for t in rows:
        table.add_row(str(t.id), t.metric, t.scope_name or t.scope, f"{t.start}..{t.end}",
                      _fmt(t.value, units[t.metric], currency), t.split,
                      str(t.parent_id or ""))  # fmt: skip
    Console().print(table)


def _projected(s: TargetStatus) -> str:
    p = s.pace
    if p.projected_low is None or p.projected_high is None or p.projected_low == p.projected_high:
        return _short(p.projected, s.unit)
    return f"{_short(p.projected, s.unit)} ({_short(p.projected_low, s.unit)}–" \
           f"{_short(p.projected_high, s.unit)})"  # fmt: skip


@app.command("status")
def status_cmd(db: DbOption = None, period: PeriodOpt = None, metric: MetricOpt = None,
               as_of: AsOf = None, as_user: AsUser = None,
               fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Where each target stands: achieved, attainment, expected to date, the run-rate needed per
    working day left, the projection with its 80 % interval, pipeline coverage, what it takes."""
    with ws_service.workspace(db) as ws:
        day = parse_as_of(as_of) or ws.metrics.today()
        start, end = _range(ws, period, day)
        who = acting_as(ws, as_user)
        found = status.status(ws, who, day, start=start, end=end, metric=metric)
        flags = rollup.mismatches(ws, who, start, end, metric)
        units = {m.metric: ws.metrics.catalog.get(m.metric).unit.value for m in flags}
        currency = ws.settings.base_currency
    if fmt is OutputFormat.JSON:
        emit_json({"as_of": day.isoformat(), "targets": [s.as_json() for s in found],
                   "mismatches": [m.as_json() for m in flags]})  # fmt: skip
        return
    if not found:
        typer.echo(f"no targets for {start}..{end}" if period else f"no targets hold {day}")
        return
    table = Table(title=f"targets as of {day} (money in {currency})")
    for name in ("metric", "for", "period", "target", "achieved", "%", "expected", "need/day",
                 "projected (80 %)", "cover"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("metric", "for", "period") else "right")
    for s in found:
        p = s.pace
        pct = "—" if p.attainment is None else f"{p.attainment:.0%}"
        mark = " ▲" if p.ahead else " ▼"
        table.add_row(
            s.target.metric, s.target.scope_name or "company", s.period,
            _short(p.target, s.unit), _short(p.achieved, s.unit), pct + mark,
            _short(p.expected_to_date, s.unit), _short(p.required_run_rate, s.unit),
            _projected(s), "—" if p.coverage is None else f"{p.coverage:.1f}x",
        )  # fmt: skip
    Console().print(table)
    for s in found:
        if s.takes is not None and s.takes.gap > 0:
            who_for = s.target.scope_name or "company"
            typer.echo(f"{who_for}, {s.target.metric}: {status.what_it_takes_text(s)}")
    for m in flags:
        unit = units[m.metric]
        typer.secho(f"mismatch: {m.level} {m.name or ''} {m.metric} {m.start}..{m.end}: target "
                    f"{_fmt(m.target, unit, currency)}, its {m.count} {m.of} add up to "
                    f"{_fmt(m.parts, unit, currency)}", fg=typer.colors.YELLOW)  # fmt: skip


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="targets")
