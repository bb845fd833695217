"""`salesmetrics segments rfm|clusters|clv|refresh|playbook|export`: customers by how they buy
and what they are worth, what to do with each segment, and its customers as a campaign list
(docs/segments.md)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from salesmetrics.cli.metrics_cmds import parse_as_of
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.people import acting_as, language
from salesmetrics.cli.records_cmds import FileFormat
from salesmetrics.cli.render import emit_json
from salesmetrics.domain.access import LOCAL
from salesmetrics.domain.errors import InputError
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.segments import clusters as cl
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments import playbooks as pb
from salesmetrics.services.segments.export import export_segment
from salesmetrics.services.segments.refresh import refresh
from salesmetrics.services.segments.rfm import rfm
from salesmetrics.services.workspace import Workspace

app = typer.Typer(help="Customer segments: RFM, behaviour clusters, lifetime value, playbooks "
                  "and campaign exports.", no_args_is_help=True)  # fmt: skip
console = Console()

AsUser = Annotated[str | None, typer.Option("--as", help="What this user sees (their customers).")]
Lang = Annotated[str | None, typer.Option(
    "--lang", help="uk or en (default: the workspace's locale).")]  # fmt: skip
AsOf = Annotated[str | None, typer.Option(
    "--as-of", help="As at the end of YYYY-MM-DD (default: today).")]  # fmt: skip


def _day(ws: Workspace, text: str | None) -> date:
    return parse_as_of(text) or ws.metrics.today()


def _money(v: Any) -> str:
    return "—" if v is None else f"{v / 100:,.0f}".replace(",", " ")


@app.command("rfm")
def rfm_cmd(db: DbOption = None, as_of: AsOf = None, as_user: AsUser = None, lang: Lang = None,
            k: Annotated[int, typer.Option("--k", min=3, max=10,
                                           help="Score steps (5: quintiles).")] = 5,
            fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """RFM segments: every customer scored on recency, frequency and money, named by the
    segment table, with each segment's size and revenue and the moves since last month."""
    with ws_service.workspace(db) as ws:
        r = rfm(ws, acting_as(ws, as_user), _day(ws, as_of), k=k, lang=language(ws, lang))
        if fmt is not OutputFormat.TABLE:
            emit_json(r.as_dict())
            return
        t = Table(title=f"RFM segments as of {r.as_of} ({r.customers} customers)")
        for c in ("segment", "customers", "share", f"revenue, {r.currency}", "days since last",
                  "purchases", "what it means"):  # fmt: skip
            t.add_column(c, justify="left" if c in ("segment", "what it means") else "right")
        for s in r.segments:
            t.add_row(s.label, str(s.customers), f"{s.share:.0%}", _money(s.revenue_minor),
                      "—" if s.mean_recency_days is None else f"{s.mean_recency_days:.0f}",
                      "—" if s.mean_purchases is None else f"{s.mean_purchases:.1f}",
                      s.description)  # fmt: skip
        console.print(t)
        if r.moved_from:
            stayed = sum(row.get(src, 0) for src, row in r.transitions.items() if src != "none")
            moved = sum(n for src, row in r.transitions.items() for dst, n in row.items()
                        if src != "none" and dst != src)  # fmt: skip
            new = sum(r.transitions.get("none", {}).values())
            console.print(f"Since {r.moved_from}: {stayed} stayed in their segment, {moved} "
                          f"moved, {new} bought for the first time (--format json has the "
                          "whole matrix).")  # fmt: skip


@app.command("clusters")
def clusters_cmd(db: DbOption = None, as_of: AsOf = None, as_user: AsUser = None,
                 lang: Lang = None,
                 k: Annotated[int | None, typer.Option(
                     "--k", min=2, max=12, help="Force this many clusters (default: chosen by "
                     "the silhouette, 2 to 8).")] = None,
                 seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
                 fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Behaviour clusters: customers grouped by how they buy, each described in words."""
    with ws_service.workspace(db) as ws:
        r = cl.clusters(ws, acting_as(ws, as_user), _day(ws, as_of), seed=seed, k=k,
                        lang=language(ws, lang))  # fmt: skip
        if fmt is not OutputFormat.TABLE:
            emit_json(r.as_dict(customers=True))
            return
        t = Table(title=f"{r.k} clusters of {r.customers} customers as of {r.as_of}")
        for c in ("cluster", "customers", "share", "purchases", "days since last", "spent",
                  "how they buy"):  # fmt: skip
            t.add_column(c, justify="left" if c == "how they buy" else "right")
        for row in r.clusters:
            t.add_row(str(row.cluster + 1), str(row.customers), f"{row.share:.0%}",
                      f"{row.means['frequency']:.1f}", f"{row.means['recency']:.0f}",
                      _money(row.means.get("monetary")), row.words)  # fmt: skip
        console.print(t)
        console.print("Chosen by the silhouette (higher is better): " + ", ".join(
            f"k={k2}: {v:.3f}" for k2, v in r.silhouettes.items()))  # fmt: skip


@app.command("clv")
def clv_cmd(db: DbOption = None, as_of: AsOf = None, as_user: AsUser = None,
            calibration_end: Annotated[str | None, typer.Option(
                "--calibration-end", help="Learn from purchases up to this day (YYYY-MM-DD); "
                "the days after it, up to --as-of, check the predictions.")] = None,
            time_unit: Annotated[str, typer.Option(
                "--time-unit", help="day, week or month: the models' unit of time.")] = "week",
            model: Annotated[str, typer.Option(
                "--model", help="bgnbd (default), mbgnbd or auto: the purchase model (auto: "
                "both fitted, the one of higher likelihood used).")] = "bgnbd",
            months: Annotated[int, typer.Option("--months", min=1, max=120,
                                                help="Horizon of the value.")] = 12,
            discount: Annotated[float, typer.Option(
                "--discount", help="Monthly discount rate (0.01: 1 %).")] = 0.01,
            margin: Annotated[float, typer.Option(
                "--margin", help="Profit share of revenue (1: value in revenue).")] = 1.0,
            limit: Annotated[int, typer.Option("--limit", min=1, help="Customers to list.")] = 15,
            fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Lifetime value: BG/NBD or MBG/NBD and Gamma-Gamma fitted on the purchases, with each
    customer's P(alive), expected purchases and spend, and the discounted value over the
    horizon."""
    with ws_service.workspace(db) as ws:
        day = _day(ws, as_of)
        settings = value.Settings(day, parse_as_of(calibration_end) or day, time_unit, months,
                                  discount, margin, model)  # fmt: skip
        r = value.clv(ws, acting_as(ws, as_user), settings)
        if fmt is not OutputFormat.TABLE:
            emit_json(r.as_dict())
            return
        _clv_table(r, limit)


def _clv_table(r: value.ClvReport, limit: int) -> None:
    p = r.parameters()
    g = p["bgnbd"]  # the purchase model in force, whichever it is
    console.print(
        f"{value.MODELS[p['model']].LABEL} ({r.settings.time_unit}s): r {g['r']:.3f}, alpha "
        f"{g['alpha']:.3f}, a {g['a']:.3f}, b {g['b']:.3f}; log-likelihood "
        f"{g['log_likelihood']:.1f}"
    )
    for name, c in p["candidates"].items():
        if name != p["model"]:
            other = value.MODELS[name].LABEL
            console.print(f"{other} could not be fitted." if c is None else f"Chosen over "
                          f"{other} (log-likelihood {c['log_likelihood']:.1f}).")  # fmt: skip
    if p["gamma_gamma"]:
        s = p["gamma_gamma"]
        console.print(f"Gamma-Gamma on {s['repeat_customers']} repeat customers: p {s['p']:.3f}"
                      f", q {s['q']:.3f}, gamma {s['gamma']:.1f}; spend-frequency correlation "
                      f"{s['spend_frequency_correlation']:.2f}")  # fmt: skip
    h = r.holdout()
    if h:
        console.print(f"Check, {h['from']} to {h['to']}: predicted {h['predicted']:.0f} "
                      f"purchases, {h['actual']} happened.")  # fmt: skip
    rows = sorted(r.customer_rows(), key=lambda x: -x["clv_minor"])[:limit]
    t = Table(title=f"Most valuable customers, next {r.settings.months} months ({r.currency})")
    for c in ("customer", "rep", "purchases", "P(alive)", "expected", "value"):
        t.add_column(c, justify="left" if c in ("customer", "rep") else "right")
    for x in rows:
        t.add_row(f"{x['external_id'] or x['id']} {x['name'] or ''}", x["rep"] or "—",
                  str(x["frequency"] + 1), f"{x['p_alive']:.0%}",
                  f"{x['expected_purchases']:.1f}", _money(x["clv_minor"]))  # fmt: skip
    console.print(t)
    risk = r.at_risk()
    unhappy = sum(1 for x in risk if "detractor" in x["reasons"])
    console.print(f"{len(risk)} valuable customers at risk (top fifth by spend, P(alive) "
                  f"below 50 % or a detractor's answer in the last half year: {unhappy}): "
                  "--format json lists them, with the reasons.")  # fmt: skip


@app.command("refresh")
def refresh_cmd(db: DbOption = None, as_of: AsOf = None) -> None:
    """Store every customer's segment, cluster and value: what `kpi --by segment` and the
    pages' segment filter read."""
    with ws_service.workspace(db) as ws:
        r = refresh(ws, _day(ws, as_of))
        console.print(f"{r.customers} customers' segments stored as of {r.as_of}: " + ", ".join(
            f"{k} {v}" for k, v in sorted(r.segments.items(), key=lambda x: -x[1])))  # fmt: skip
        for note in r.notes:
            console.print(f"[yellow]{note}[/yellow]")


class PlaybookFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    YAML = "yaml"


@app.command("playbook")
def playbook_cmd(
    segment: Annotated[str | None, typer.Argument(
        help="A segment's code, e.g. champions (default: every segment).")] = None,
    db: DbOption = None, lang: Lang = None,
    fmt: Annotated[PlaybookFormat, typer.Option(
        "--format", "-f", help="text, json, or yaml: the whole table, to edit and --set.")] = (
        PlaybookFormat.TEXT),
    set_file: Annotated[Path | None, typer.Option(
        "--set", exists=True, dir_okay=False,
        help="Use this YAML playbook table (owners).")] = None,
    reset: Annotated[bool, typer.Option(
        "--reset", help="Go back to the built-in playbooks.")] = False,
) -> None:  # fmt: skip
    """Per segment: the goal, the tactics recommended and the KPIs to watch (an editable table)."""
    with ws_service.workspace(db) as ws:
        if set_file is not None or reset:
            if set_file is not None and reset:
                raise InputError("give --set FILE or --reset, not both")
            text = None if set_file is None else set_file.read_text(encoding="utf-8")
            pb.set_playbooks(ws, LOCAL, text)
            console.print(f"The playbooks of {set_file} are in force." if text is not None
                          else "The built-in playbooks are in force.")  # fmt: skip
            return
        if fmt is PlaybookFormat.YAML:
            if segment is not None:
                raise InputError("--format yaml prints the whole table: leave out the segment")
            print(pb.playbooks_text(ws), end="")
            return
        said = language(ws, lang)
        found = [pb.playbook(ws, segment, said)] if segment else pb.playbooks(ws, said)
        if fmt is PlaybookFormat.JSON:
            every = {"builtin": pb.is_builtin(ws), "playbooks": [p.as_dict() for p in found]}
            emit_json(found[0].as_dict() if segment else every)
            return
        for p in found:
            _playbook_text(p)


def _playbook_text(p: pb.Playbook) -> None:
    console.print(f"[bold]{escape(p.label)}[/bold] ({p.segment}): {escape(p.description)}")
    console.print(f"Goal: {escape(p.goal)}")
    for n, tactic in enumerate(p.tactics, start=1):
        console.print(f"  {n}. {escape(tactic)}")
    if p.kpis:
        names = " ".join(k.metric for k in p.kpis)
        watch = ", ".join(escape(k.label) for k in p.kpis)
        console.print(f"Watch: {watch} (salesmetrics kpi {names} --filter segment={p.segment})")
    console.print()


@app.command("export")
def export_cmd(
    segment: Annotated[str | None, typer.Argument(
        help="The RFM segment's code, e.g. champions.")] = None,
    db: DbOption = None,
    cluster: Annotated[int | None, typer.Option(
        "--cluster", min=1, help="A behaviour cluster instead: its number as `segments clusters` "
        "shows it.")] = None,
    fmt: Annotated[FileFormat, typer.Option("--format", "-f", help="csv or xlsx.")] = (
        FileFormat.CSV),
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="The file to write [./segment-CODE-DAY.csv or .xlsx].",
        show_default=False)] = None,
    as_of: AsOf = None, as_user: AsUser = None, lang: Lang = None,
) -> None:  # fmt: skip
    """Write the customers of one segment (or cluster) to a CSV or Excel file for a campaign:
    contacts, owner, scores, spend, P(alive) and predicted value."""
    with ws_service.workspace(db) as ws:
        done = export_segment(ws, acting_as(ws, as_user), fmt.value, _day(ws, as_of),
                              segment=segment, cluster=cluster, lang=language(ws, lang),
                              actor=LOCAL)  # fmt: skip
    target = output or Path(done.file_name)
    target.write_bytes(done.data)
    typer.echo(f"{done.rows:,} customers written to {target}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="segments")
