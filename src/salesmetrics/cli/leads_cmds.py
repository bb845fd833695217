"""`salesmetrics leads train|score|explain|evaluate|rules`: which leads to call first, and why
(docs/leads.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from salesmetrics.cli.metrics_cmds import parse_as_of
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.people import acting_as, language
from salesmetrics.cli.render import emit_json
from salesmetrics.domain.access import LOCAL
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.leads import scoring, training

app = typer.Typer(help="Lead scores: train, score, explain, evaluate; the points table.",
                  no_args_is_help=True)  # fmt: skip
console = Console()

Rep = Annotated[str | None, typer.Option("--rep", help="Only this rep's leads (id, name, email).")]
Team = Annotated[str | None, typer.Option("--team", help="Only this team's leads (id or name).")]
AsUser = Annotated[str | None, typer.Option("--as", help="What this user sees (their leads).")]
Lang = Annotated[str | None, typer.Option(
    "--lang", help="uk or en for the reasons (default: the workspace's locale).")]  # fmt: skip
AsOf = Annotated[str | None, typer.Option(
    "--as-of", help="As at the end of YYYY-MM-DD: nothing recorded later is read.")]  # fmt: skip


def _pct(v: Any) -> str:
    return "—" if v is None else f"{v:.0%}"


def _num(v: Any, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _money(v: Any) -> str:
    return "—" if v is None else f"{v / 100:,.0f}".replace(",", " ")


def _evaluation(ev: dict[str, Any]) -> None:
    split = ev.get("split")
    if not split:
        console.print(f"[yellow]No held-out evaluation:[/yellow] {ev.get('why', '')}")
    else:
        console.print(f"Time split: learnt from the older {split['train']} decided leads, tested "
                      f"on the newest {split['test']} (from {split['test_from'][:10]}); "
                      f"their conversion rate {_pct(ev.get('base_rate'))}.")  # fmt: skip
    t = Table(title="On held-out leads")
    for c in ("score", "AUC", "lift top 10 %", "lift top 20 %"):
        t.add_column(c, justify="left" if c == "score" else "right")
    names = {"served": "the scores served", "model": "model alone",
             "naive_bayes": "naive Bayes (baseline)", "rules": "points table"}  # fmt: skip
    for key, label in names.items():
        s = ev.get("scores", {}).get(key)
        if s:
            t.add_row(label, _num(s["auc"]), _num(s["lift_top10"], 2), _num(s["lift_top20"], 2))
    console.print(t)
    if ev.get("rules_not_judged"):
        console.print(f"The points table is judged without its rules on "
                      f"{', '.join(ev['rules_not_judged'])}: at a lead's decision they mean "
                      "something else than for an open lead.")  # fmt: skip
    bands = ev.get("calibration") or []
    if bands:
        cal = Table(title="Calibration: predicted against actual (95 % interval, all bands)")
        for col in ("band", "leads", "predicted", "actual", "interval", "holds"):
            cal.add_column(col, justify="right")
        for b in bands:
            cal.add_row(f"{_pct(b['low'])}–{_pct(b['high'])}", str(b["leads"]),
                      _pct(b["predicted"]), _pct(b["actual"]),
                      f"{_pct(b['interval'][0])}–{_pct(b['interval'][1])}",
                      "yes" if b["within"] else "[red]no[/red]")  # fmt: skip
        console.print(cal)


def _card(d: dict[str, Any]) -> None:
    console.print(f"[bold]Lead model {d['id']}[/bold] ({d['kind']}), trained "
                  f"{d['trained_at'][:16]} on {d['decided']} decided leads; the model gives "
                  f"{d['model_share']:.0%} of each score, the points table the rest.")  # fmt: skip
    _evaluation(d["evaluation"])
    if d["drivers"]:
        t = Table(title="What moves scores most")
        for c in ("column", "strongest value", "direction", "spread (logit)"):
            t.add_column(c, justify="left" if c != "spread (logit)" else "right")
        for x in d["drivers"]:
            t.add_row(x.get("label", x["column"]), x["level"] or "(the number)",
                      "up" if x["effect"] == "+" else "down", f"{x['spread']:.2f}")  # fmt: skip
        console.print(t)
    for x in d["excluded"]:
        state = "kept by request" if x["kept"] else "left out"
        console.print(f"[yellow]Leakage screen:[/yellow] '{x['column']}' {state} "
                      f"({x['reason']}{': ' + x['detail'] if x['detail'] else ''})")  # fmt: skip


@app.command("train")
def train_cmd(db: DbOption = None, as_of: AsOf = None,
              keep: Annotated[list[str] | None, typer.Option(
                  "--keep", help="Use a column the leakage screen flagged all the same.")] = None,
              newest: Annotated[int, typer.Option(
                  "--newest", min=50, max=5_000_000,
                  help="Learn from the newest this many decided leads.")] = training.NEWEST,
              fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Learn from the decided leads (owners): screen the attributes for leakage, evaluate on a
    time split against naive Bayes and the points table, and store the model with its
    evaluation. Below lead_min_history decided leads the points table scores alone."""
    from datetime import UTC, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    with ws_service.workspace(db) as ws:
        day = parse_as_of(as_of)
        at = None
        if day is not None:
            at = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(ws.settings.time_zone))
            at = min(at.astimezone(UTC), datetime.now(UTC))
        with console.status("training…") as status:
            report = training.train_model(ws, LOCAL, keep=keep or (), at=at, newest=newest,
                                          step=lambda s: status.update(s + "…"))  # fmt: skip
        if fmt is OutputFormat.JSON:
            emit_json(report.as_dict())
            return
        _card(training.card(ws, LOCAL).as_dict())
        console.print(f"trained in {report.seconds:.1f} s")


@app.command("evaluate")
def evaluate_cmd(db: DbOption = None, lang: Lang = None,
                 fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """The model card: the model in force, its held-out evaluation (AUC, lift, calibration,
    baselines), what moves scores, and the columns the leakage screen left out."""
    with ws_service.workspace(db) as ws:
        d = training.card(ws, LOCAL, language(ws, lang)).as_dict()
        if fmt is OutputFormat.JSON:
            emit_json(d)
        else:
            _card(d)


@app.command("score")
def score_cmd(db: DbOption = None, rep: Rep = None, team: Team = None, as_user: AsUser = None,
              lang: Lang = None,
              every: Annotated[bool, typer.Option("--all", help="Every open lead.")] = False,
              limit: Annotated[int, typer.Option("--limit", min=1, max=100_000,
                                                 help="Leads to list.")] = 20,
              fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """The work queue: open leads by expected value (score x the typical won deal of their
    channel), each with its score, its strongest reasons and a suggested next step."""
    with ws_service.workspace(db) as ws:
        q = scoring.queue(ws, acting_as(ws, as_user), rep=rep, team=team, lang=language(ws, lang),
                          limit=None if every else limit)  # fmt: skip
        if fmt is not OutputFormat.TABLE:
            emit_json(q.as_dict())
            return
        t = Table(title=f"Open leads by expected value ({len(q.leads)} of {q.total})")
        for c in ("lead", "rep", "score", f"value, {q.currency}", "why", "next"):
            t.add_column(c, justify="right" if c in ("score",) else "left")
        for x in q.leads:
            t.add_row(f"{x.external_id or x.id}\n{x.company or x.name or ''}", x.rep or "—",
                      f"{x.probability:.0%}", _money(x.expected_minor),
                      "\n".join(r.text for r in x.reasons), x.action_text)  # fmt: skip
        console.print(t)
        if q.model is None:
            console.print("[yellow]Scored by the points table: no model trained yet "
                          "(salesmetrics leads train).[/yellow]")  # fmt: skip


@app.command("explain")
def explain_cmd(lead: Annotated[str, typer.Argument(help="The lead's id or external id.")],
                db: DbOption = None, as_user: AsUser = None, lang: Lang = None,
                fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """One open lead's score with every factor that pushes it up or down, in points."""
    with ws_service.workspace(db) as ws:
        x = scoring.explain(ws, acting_as(ws, as_user), lead, lang=language(ws, lang))
        if fmt is not OutputFormat.TABLE:
            emit_json(x.as_dict())
            return
        console.print(f"[bold]{x.external_id or x.id}[/bold] {x.company or ''} {x.name or ''} "
                      f"({x.rep or 'no owner'}): [bold]{x.probability:.0%}[/bold]")  # fmt: skip
        for r in x.reasons:
            colour = "green" if r.points > 0 else "red"
            console.print(f"  [{colour}]{r.text}[/{colour}]")
        console.print(f"Next: {x.action_text}")


@app.command("rules")
def rules_cmd(db: DbOption = None,
              set_file: Annotated[Path | None, typer.Option(
                  "--set", help="Use this YAML points table (owners).")] = None,
              reset: Annotated[bool, typer.Option(
                  "--reset", help="Go back to the built-in points table.")] = False,
              ) -> None:  # fmt: skip
    """Print the points table that scores leads before there is enough history (or set it)."""
    with ws_service.workspace(db) as ws:
        if set_file is not None or reset:
            text = None if reset else set_file.read_text(encoding="utf-8") if set_file else None
            print(training.set_rules(ws, LOCAL, text), end="")
            return
        print(training.rules_text(ws), end="")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="leads")
