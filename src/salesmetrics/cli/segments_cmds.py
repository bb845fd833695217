"""`salesmetrics segments rfm|clusters|clv|refresh`: customers by how they buy and what they are
worth (docs/segments.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from salesmetrics.cli.metrics_cmds import parse_as_of
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.people import acting_as, language
from salesmetrics.cli.render import emit_json
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.segments import clusters as cl
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments.refresh import refresh
from salesmetrics.services.segments.rfm import rfm
from salesmetrics.services.workspace import Workspace

app = typer.Typer(help="Customer segments: RFM, behaviour clusters, lifetime value.",
                  no_args_is_help=True)  # fmt: skip
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
            months: Annotated[int, typer.Option("--months", min=1, max=120,
                                                help="Horizon of the value.")] = 12,
            discount: Annotated[float, typer.Option(
                "--discount", help="Monthly discount rate (0.01: 1 %).")] = 0.01,
            margin: Annotated[float, typer.Option(
                "--margin", help="Profit share of revenue (1: value in revenue).")] = 1.0,
            limit: Annotated[int, typer.Option("--limit", min=1, help="Customers to list.")] = 15,
            fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Lifetime value: BG/NBD and Gamma-Gamma fitted on the purchases, with each customer's
    P(alive), expected purchases and spend, and the discounted value over the horizon."""
    with ws_service.workspace(db) as ws:
        day = _day(ws, as_of)
        settings = value.Settings(day, parse_as_of(calibration_end) or day, time_unit, months,
                                  discount, margin)  # fmt: skip
        r = value.clv(ws, acting_as(ws, as_user), settings)
        if fmt is not OutputFormat.TABLE:
            emit_json(r.as_dict())
            return
        _clv_table(r, limit)


def _clv_table(r: value.ClvReport, limit: int) -> None:
    p = r.parameters()
    g = p["bgnbd"]
    console.print(
        f"BG/NBD ({r.settings.time_unit}s): r {g['r']:.3f}, alpha {g['alpha']:.3f}, "
        f"a {g['a']:.3f}, b {g['b']:.3f}; log-likelihood {g['log_likelihood']:.1f}"
    )
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
    console.print(f"{len(risk)} valuable customers at risk (top fifth by spend, P(alive) "
                  "below 50 %): --format json lists them.")  # fmt: skip


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


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="segments")
