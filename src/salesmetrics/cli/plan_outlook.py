"""`salesmetrics plan what-if|forecast`: next quarter's revenue from the funnel with levers, and
the revenue forecast with its backtest against seasonal naive (docs/plan.md). Registered on the
`plan` group by cli/plan_cmds.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from salesmetrics.cli.metrics_cmds import parse_as_of
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.people import AsUser, acting_as
from salesmetrics.cli.render import emit_json
from salesmetrics.domain.errors import InputError
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.strategy import forecast as fc
from salesmetrics.services.strategy import whatif

console = Console()
AsOf = Annotated[str | None, typer.Option(
    "--as-of", help="Plan as if today were this day, YYYY-MM-DD (default: today).")]  # fmt: skip


def _money(minor: float | None) -> str:
    return "—" if minor is None else f"{minor / 100:,.0f}".replace(",", " ")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f} %"


def _month(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip() + "-01")
    except ValueError:
        raise InputError(f"--start '{text}' is not a month: use YYYY-MM") from None


def what_if_cmd(
    db: DbOption = None,
    reps: Annotated[str | None, typer.Option(
        "--reps", help="Reps to add or remove, e.g. +1 or -1.")] = None,
    leads: Annotated[list[str] | None, typer.Option(
        "--leads", help="Change a channel's leads, CHANNEL=+20% (repeat for more).")] = None,
    stage: Annotated[list[str] | None, typer.Option(
        "--stage", help="Change a stage's conversion, STAGE=+5pp (repeat for more).")] = None,
    deal_size: Annotated[str | None, typer.Option(
        "--deal-size", help="Change the average deal size, e.g. +10%.")] = None,
    cycle: Annotated[str | None, typer.Option(
        "--cycle", help="Change the sales cycle, e.g. -5d (new deals).")] = None,
    ramp_months: Annotated[int, typer.Option(
        "--ramp-months", help="Months a new rep takes to reach full speed.")] = 3,
    start: Annotated[str | None, typer.Option(
        "--start", help="First month of the quarter, YYYY-MM (default: next month).")] = None,
    as_of: AsOf = None, as_user: AsUser = None, fmt: FormatOption = OutputFormat.TABLE,
) -> None:  # fmt: skip
    """Next quarter's revenue by month from the funnel model: the baseline, the scenario with
    the levers you set, the target and the gap."""
    levers = whatif.parse_levers(reps=reps, leads=leads or [], stages=stage or [],
                                 deal_size=deal_size, cycle=cycle,
                                 ramp_months=ramp_months)  # fmt: skip
    with ws_service.workspace(db) as ws:
        r = whatif.what_if(ws, acting_as(ws, as_user), levers, as_of=parse_as_of(as_of),
                           start=_month(start))  # fmt: skip
    if fmt is OutputFormat.JSON:
        emit_json(r.as_dict())
        return
    t = Table(title=f"What if — next quarter, {r.currency}")
    for c in ("month", "baseline", "scenario", "change", "target", "gap"):
        t.add_column(c, justify="left" if c == "month" else "right")
    for m in r.months:
        t.add_row(f"{m.month:%Y-%m}", _money(m.baseline_minor), _money(m.scenario_minor),
                  _money(m.scenario_minor - m.baseline_minor), _money(m.target_minor),
                  _money(m.gap_minor))  # fmt: skip
    b, s = r.total("baseline_minor") or 0, r.total("scenario_minor") or 0
    t.add_row("quarter", _money(b), _money(s), _money(s - b), _money(r.total("target_minor")),
              _money(r.total("gap_minor")))  # fmt: skip
    console.print(t)
    i = r.inputs
    console.print(f"Funnel of {i['window']['start']}..{i['window']['end']}: "
                  f"{sum(i['leads_per_month'].values()):.0f} leads a month, win rate "
                  f"{i['win_rate']:.0%}, average deal {_money(i['deal_size_minor'])}, cycle "
                  f"{i['cycle_median_days']:.0f} days (median), {i['reps']:.0f} reps; "
                  f"{1 - r.deal_share:.0%} of revenue comes from outside deals.")  # fmt: skip
    for note in r.notes:
        console.print(note)


def forecast_cmd(
    db: DbOption = None,
    grain: Annotated[str, typer.Option("--grain", help="month or week.")] = "month",
    horizon: Annotated[int | None, typer.Option(
        "--horizon", help="Periods ahead, the current one first (default 3 months, 13 weeks).")
    ] = None,
    backtest: Annotated[bool, typer.Option(
        "--backtest", help="Also list every backtest forecast against its actual.")] = False,
    as_of: AsOf = None, as_user: AsUser = None, fmt: FormatOption = OutputFormat.TABLE,
) -> None:  # fmt: skip
    """The revenue forecast with its 80 % interval, the pipeline blended into the near months,
    and the backtest's MAPE against seasonal naive."""
    with ws_service.workspace(db) as ws:
        r = fc.revenue_forecast(ws, acting_as(ws, as_user), grain=grain, horizon=horizon,
                                as_of=parse_as_of(as_of))  # fmt: skip
    if fmt is OutputFormat.JSON:
        out = r.as_dict()
        if not backtest and out["backtest"]:
            out["backtest"].pop("trials")
        emit_json(out)
        return
    t = Table(title=f"Revenue forecast by {r.grain}, {r.currency} (80 % interval)")
    for c in ("period", "forecast", "low", "high", "so far", "pipeline", "model"):
        t.add_column(c, justify="left" if c == "period" else "right")
    for p in r.points:
        t.add_row(p.period.isoformat(), _money(p.expected_minor), _money(p.low_minor),
                  _money(p.high_minor), _money(p.to_date_minor), _money(p.pipeline_minor),
                  _money(p.model_minor))  # fmt: skip
    console.print(t)
    console.print(f"Model: {r.method['model']}, trained on {r.method['trained_on']['periods']} "
                  f"complete {r.grain}s.")  # fmt: skip
    if r.backtest is None:
        return
    bt = r.backtest
    s = Table(title=f"Backtest: {len(bt.origins)} origins from {bt.origins[0]} "
              f"(MAPE, lower is better)" if bt.origins else "Backtest")  # fmt: skip
    for c in ("horizon", "forecasts", "model", "seasonal naive"):
        s.add_column(c, justify="left" if c == "horizon" else "right")
    for x in bt.scores:
        s.add_row(x.horizons, str(x.trials), _pct(x.model_mape), _pct(x.naive_mape))
    console.print(s)
    if backtest:
        d = Table(title="Every backtest forecast")
        for c in ("origin", "period", "h", "actual", "model", "seasonal naive"):
            d.add_column(c, justify="left" if c in ("origin", "period") else "right")
        for tr in bt.trials:
            d.add_row(tr.origin.isoformat(), tr.period.isoformat(), str(tr.h),
                      _money(tr.actual_minor), _money(tr.model_minor),
                      _money(tr.naive_minor))  # fmt: skip
        console.print(d)


def add_commands(app: typer.Typer) -> None:
    """Put `what-if` and `forecast` on the `plan` group."""
    app.command("what-if")(what_if_cmd)
    app.command("forecast")(forecast_cmd)
