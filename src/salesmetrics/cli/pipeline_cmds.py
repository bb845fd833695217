"""`salesmetrics pipeline funnel|bottlenecks|stale|hygiene|forecast`: how deals move, where
they stick, which need care, and what the period will bring (docs/pipeline.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from salesmetrics.cli.metrics_cmds import parse_as_of
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.render import emit_json
from salesmetrics.domain.access import LOCAL
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.pipeline import bottlenecks, care, common, forecast, funnel

app = typer.Typer(help="Pipeline: funnel, bottlenecks, stale deals, hygiene, forecast.",
                  no_args_is_help=True)  # fmt: skip

Pipeline = Annotated[
    str | None, typer.Option("--pipeline", help="Id or name (default: the default pipeline).")
]
Period = Annotated[str | None, typer.Option(
    "--period", help="YYYY-MM, YYYY, this_quarter, last_90_days … or YYYY-MM-DD..YYYY-MM-DD "
    "(default: the last 365 days; forecast: this month).")]  # fmt: skip
Rep = Annotated[str | None, typer.Option("--rep", help="Only this rep's deals (id, name, email).")]
Team = Annotated[str | None, typer.Option("--team", help="Only this team's deals (id or name).")]
Channel = Annotated[str | None, typer.Option("--channel", help="Only this channel's deals.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Read as at the end of YYYY-MM-DD.")]
AsUser = Annotated[str | None, typer.Option("--as", help="What this user sees (their deals).")]
Limit = Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Rows to list.")]


@contextmanager
def _ask(db: str | None, *, pipeline: str | None, period: str | None, rep: str | None,
         team: str | None, channel: str | None, as_of: str | None,
         as_user: str | None) -> Iterator[common.Ask]:  # fmt: skip
    with ws_service.workspace(db) as ws:
        who = as_person(ws, as_user) if as_user else LOCAL
        yield common.ask(ws, who, pipeline=pipeline, period=period, rep=rep, team=team,
                         channel=channel, as_of=parse_as_of(as_of))  # fmt: skip


def money(v: Any) -> str:
    return "—" if v is None else f"{v / 100:,.0f}".replace(",", " ")


def pct(r: Any) -> str:
    if not r or r.get("value") is None:
        return "—"
    return f"{r['value']:.0%} ({r['low']:.0%}–{r['high']:.0%})"


def days(v: Any) -> str:
    return "—" if v is None else f"{v:.1f}"


def _table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    t = Table(title=title)
    for i, c in enumerate(columns):
        t.add_column(c, justify="left" if i == 0 else "right")
    for r in rows:
        t.add_row(*r)
    Console().print(t)


@app.command("funnel")
def funnel_cmd(db: DbOption = None, pipeline: Pipeline = None, period: Period = None,
               rep: Rep = None, team: Team = None, channel: Channel = None, as_of: AsOf = None,
               as_user: AsUser = None,
               by: Annotated[str | None, typer.Option(
                   "--by", help="A funnel per rep, team, channel or month.")] = None,
               fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """The funnel of the deals made in the period (step and cumulative conversion with 95 %
    intervals, drop-off), time in each stage, and the observed stage-to-won rates beside the
    configured probabilities."""
    if by is not None and by not in funnel.GROUPS:
        raise typer.BadParameter(f"--by: one of {', '.join(funnel.GROUPS)}")
    with _ask(db, pipeline=pipeline, period=period, rep=rep, team=team, channel=channel,
              as_of=as_of, as_user=as_user) as a:  # fmt: skip
        out = funnel.report(a, by)
    if fmt is OutputFormat.JSON:
        emit_json(out)
        return
    p = out["period"]
    _table(f"{out['pipeline']['name']}: deals made {p['start']}..{p['end']} ({out['deals']})",
           ["stage", "reached", "value", "still there", "moved on", "of all", "dropped"],
           [[s["stage"], str(s["reached"]), money(s["value_minor"]), str(s["still_there"]),
             pct(s["step"]), pct(s["cumulative"]), str(s["dropped"])]
            for s in out["steps"]])  # fmt: skip
    times = out["time_in_stage"]
    _table("days in stage (deals that left it in the period)",
           ["stage", "deals", "median", "mean", "p90", "rotting days"],
           [[s["stage"], str(s["deals"]), days(s["median"]), days(s["mean"]), days(s["p90"]),
             str(s["rotting_days"] or "—")] for s in times["stages"]])  # fmt: skip
    _table("stage-to-won: configured and observed (deals closed in the last 365 days)",
           ["stage", "configured", "observed (95 %)", "suggested"],
           [[s["stage"], f"{s['configured']:.0%}", pct(s["observed"]),
             "—" if s["suggested"] is None else f"{s['suggested']:.0%}"]
            for s in out["probabilities"]])  # fmt: skip
    trend = times["cycle_trend_days_per_month"]
    if trend is not None:
        typer.echo(f"won cycle: {trend:+.1f} days per month over the period")
    for g in out.get("groups", []):
        _table(f"{out['by']}: {g['label']} ({g['deals']})", ["stage", "reached", "moved on"],
               [[s["stage"], str(s["reached"]), pct(s["step"])] for s in g["steps"]])  # fmt: skip


@app.command("bottlenecks")
def bottlenecks_cmd(db: DbOption = None, pipeline: Pipeline = None, rep: Rep = None,
                    team: Team = None, channel: Channel = None, as_of: AsOf = None,
                    as_user: AsUser = None, limit: Limit = 10,
                    fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Stages where deals wait longer or move on less than at the other stages, than in their
    own history, or than at other reps and teams: ranked by how much worse at least."""
    with _ask(db, pipeline=pipeline, period=None, rep=rep, team=team, channel=channel,
              as_of=as_of, as_user=as_user) as a:  # fmt: skip
        out = bottlenecks.bottlenecks(a, limit)
    if fmt is OutputFormat.JSON:
        emit_json(out)
        return
    if not out["findings"]:
        typer.echo(f"no bottleneck: none of {out['comparisons']} comparisons is clearly worse")
        return
    for i, f in enumerate(out["findings"], 1):
        typer.echo(f"{i}. at least {f['severity']:.0%} worse — {f['summary']}")


@app.command("stale")
def stale_cmd(db: DbOption = None, pipeline: Pipeline = None, rep: Rep = None,
              team: Team = None, channel: Channel = None, as_of: AsOf = None,
              as_user: AsUser = None, limit: Limit = 50,
              quiet_days: Annotated[int, typer.Option(
                  "--quiet-days", min=1, max=365, help="No activity for this many days.")] = (
                  care.QUIET_DAYS),
              fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Open deals past their stage's rotting days, or with no activity for --quiet-days."""
    with _ask(db, pipeline=pipeline, period=None, rep=rep, team=team, channel=channel,
              as_of=as_of, as_user=as_user) as a:  # fmt: skip
        out = care.stale(a, quiet_days, limit)
    if fmt is OutputFormat.JSON:
        emit_json(out)
        return
    _table(f"stale deals: {out['deals']}, {money(out['amount_minor'])}",
           ["deal", "owner", "stage", "amount", "days in stage", "quiet days", "why"],
           [[f"{d['id']} {d['title'] or ''}"[:48], d["rep"] or "—", d["stage"],
             money(d["amount_minor"]), days(d["days_in_stage"]), days(d["days_quiet"]),
             " + ".join(w for w, on in (("rotting", d["rotting"]), ("quiet", d["quiet"])) if on)]
            for d in out["list"]])  # fmt: skip


@app.command("hygiene")
def hygiene_cmd(db: DbOption = None, pipeline: Pipeline = None, rep: Rep = None,
                team: Team = None, channel: Channel = None, as_of: AsOf = None,
                as_user: AsUser = None, limit: Limit = 20,
                fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Per rep: open deals with past or slipping close dates, missing amount or close date, or
    nothing planned next; the score is the share of open deals with none of these."""
    with _ask(db, pipeline=pipeline, period=None, rep=rep, team=team, channel=channel,
              as_of=as_of, as_user=as_user) as a:  # fmt: skip
        out = care.hygiene(a, limit)
    if fmt is OutputFormat.JSON:
        emit_json(out)
        return
    score = "—" if out["score"] is None else f"{out['score']:.0f}"
    _table(f"hygiene of {out['open_deals']} open deals: score {score}",
           ["rep", "open", "close past", "slipped", "no amount", "no close date", "no next step",
            "score"],
           [[r["rep"], str(r["open_deals"]), str(r["close_past"]), str(r["slipped"]),
             str(r["no_amount"]), str(r["no_close_date"]), str(r["no_next_activity"]),
             "—" if r["score"] is None else f"{r['score']:.0f}"] for r in out["reps"]])  # fmt: skip


@app.command("forecast")
def forecast_cmd(db: DbOption = None, pipeline: Pipeline = None, period: Period = None,
                 rep: Rep = None, team: Team = None, channel: Channel = None,
                 as_of: AsOf = None, as_user: AsUser = None,
                 snapshot: Annotated[bool, typer.Option(
                     "--snapshot", help="Store it as a snapshot (for accuracy).")] = False,
                 rebuild_weeks: Annotated[int, typer.Option(
                     "--rebuild-weeks", min=0, max=104,
                     help="Also rebuild this many past weekly snapshots from history.")] = 0,
                 months: Annotated[int, typer.Option(
                     "--months", min=1, max=36, help="Closed months in the accuracy report.")] = 6,
                 fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """The weighted forecast of a period (configured and observed probabilities, commit, best
    case) by rep and stage, against the revenue target; and how past snapshots came true."""
    with _ask(db, pipeline=pipeline, period=None, rep=rep, team=team, channel=channel,
              as_of=as_of, as_user=as_user) as a:  # fmt: skip
        p = forecast.period_of(a, period)
        taken = forecast.rebuild_history(a, rebuild_weeks) if rebuild_weeks else []
        if snapshot:
            taken.append(forecast.take_snapshot(a, p))
        out = forecast.forecast(a, p)
        out["accuracy"] = forecast.accuracy(a, months)
        out["snapshots_taken"] = taken
    if fmt is OutputFormat.JSON:
        emit_json(out)
        return
    _print_forecast(out)


def _print_forecast(out: dict[str, Any]) -> None:
    p, t = out["period"], out["target"]
    typer.echo(f"forecast {p['start']}..{p['end']}: won {money(out['won_minor'])}, expected "
               f"{money(out['expected_minor'])} (observed rates: "
               f"{money(out['expected_observed_minor'])}), commit {money(out['commit_minor'])}, "
               f"best case {money(out['best_case_minor'])}"
               + (f"; target {money(t['value_minor'])}" if t else ""))  # fmt: skip
    cols = ["", "won", "open deals", "open", "weighted", "observed", "commit", "best case"]
    for key in ("by_rep", "by_stage"):
        _table(key.replace("_", " "), cols,
               [[r["name"], money(r["won_minor"]), f"{r['deals']:.0f}", money(r["amount_minor"]),
                 money(r["weighted_minor"]), money(r["observed_minor"]),
                 money(r["commit_minor"]), money(r["best_case_minor"])]
                for r in out[key]])  # fmt: skip
    acc = out["accuracy"]
    rows = [[f"{x['period']['start']:%Y-%m}", f"{s['taken_at']:%Y-%m-%d}", s["how"] or "",
             money(s["expected_minor"]), money(s["expected_observed_minor"]),
             money(s["actual_minor"]), "—" if s["error"] is None else f"{s['error']:+.0%}"]
            for x in acc["periods"] for s in x["snapshots"]]  # fmt: skip
    if rows:
        _table("accuracy: snapshots against what was won", ["month", "taken", "how", "expected",
               "observed", "actual", "error"], rows)  # fmt: skip
    else:
        typer.echo("no snapshots of closed months yet: `--snapshot` weekly, or --rebuild-weeks")
    for sid in out["snapshots_taken"]:
        typer.echo(f"snapshot {sid} stored")


@app.command("stages")
def stages_cmd(db: DbOption = None, pipeline: Pipeline = None,
               stage: Annotated[str | None, typer.Option(
                   "--set", help="Change this stage (name or id).")] = None,
               probability: Annotated[float | None, typer.Option(
                   "--probability", min=0.0, max=1.0,
                   help="With --set: its configured probability, 0 to 1.")] = None,
               rotting_days: Annotated[int | None, typer.Option(
                   "--rotting-days", min=1, max=3650,
                   help="With --set: days in the stage before a deal is stale.")] = None,
               no_rotting: Annotated[bool, typer.Option(
                   "--no-rotting", help="With --set: no rotting days for the stage.")] = False,
               fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """The pipeline's stages (position, kind, probability, rotting days); with --set, change
    one stage's probability or rotting days, e.g. to take a suggested recalibration."""
    with _ask(db, pipeline=pipeline, period=None, rep=None, team=None, channel=None,
              as_of=None, as_user=None) as a:  # fmt: skip
        if stage is not None:
            if probability is None and rotting_days is None and not no_rotting:
                raise typer.BadParameter("--set: give --probability, --rotting-days or "
                                         "--no-rotting")  # fmt: skip
            changed = common.set_stage(a, LOCAL, stage, probability=probability,
                                       rotting_days=rotting_days,
                                       clear_rotting=no_rotting)  # fmt: skip
            typer.echo(f"{changed.name}: probability {changed.probability:.0%}, rotting days "
                       f"{changed.rotting_days or '—'}")  # fmt: skip
        rows = list(common.ask(a.ws, LOCAL, pipeline=str(a.pipeline.id)).stages)
    if fmt is OutputFormat.JSON:
        emit_json([{"id": s.id, "name": s.name, "position": s.position, "kind": s.kind,
                    "probability": s.probability, "rotting_days": s.rotting_days}
                   for s in rows])  # fmt: skip
        return
    _table(a.pipeline.name, ["stage", "position", "kind", "probability", "rotting days"],
           [[s.name, str(s.position), s.kind, f"{s.probability:.0%}", str(s.rotting_days or "—")]
            for s in rows])  # fmt: skip


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="pipeline")
