"""kpi, and metrics list|show|explain|validate|schema."""

from __future__ import annotations

import csv
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.render import console, emit_json
from salesmetrics.domain.access import EVERYTHING, LOCAL
from salesmetrics.domain.cells import inert
from salesmetrics.domain.errors import DefinitionError, QueryError
from salesmetrics.domain.periods import NAMED_PERIODS
from salesmetrics.metrics.result import MetricResult
from salesmetrics.metrics.spec import json_schema
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.access import audit
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.metrics import parse_variants, validate_files

metrics_app = typer.Typer(
    help="The metric catalog: list, show, explain, validate.", no_args_is_help=True
)


class KpiFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


Metrics = Annotated[list[str], typer.Argument(help="Metric names, e.g. revenue win_rate.")]
Period = Annotated[
    str,
    typer.Option(help="YYYY-MM-DD..YYYY-MM-DD, YYYY-MM, YYYY or a name: "
                 + ", ".join(NAMED_PERIODS) + "."),
]  # fmt: skip
Grain = Annotated[
    str | None, typer.Option(help="day, week, month, quarter, year (default: one row).")
]
By = Annotated[list[str] | None, typer.Option("--by", help="Break down by a dimension (repeat).")]
Filter = Annotated[
    list[str] | None,
    typer.Option("--filter", help="DIMENSION=VALUE, DIMENSION=A|B or DIMENSION!=VALUE (repeat)."),
]
Compare = Annotated[str | None, typer.Option(help="previous or year_ago.")]
Variant = Annotated[
    list[str] | None, typer.Option("--variant", help="AXIS=OPTION, e.g. returns=gross.")
]
AsOf = Annotated[
    str | None, typer.Option(help="The day named periods count from, YYYY-MM-DD (default: today).")
]


def _options(
    period: str, grain: str | None, by: list[str] | None, filters: list[str] | None,
    compare: str | None, variant: list[str] | None, as_of: str | None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "period": period, "grain": grain, "by": by or [], "filters": filters or [],
        "compare": compare, "variants": parse_variants(variant or []),
        "as_of": parse_as_of(as_of),
    }  # fmt: skip


def parse_as_of(text: str | None) -> date | None:
    """--as-of as a date (None when not given)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"--as-of '{text}' is not a date: use YYYY-MM-DD") from None


def kpi(
    metrics: Metrics,
    db: DbOption = None,
    period: Period = "this_month",
    grain: Grain = None,
    by: By = None,
    filters: Filter = None,
    compare: Compare = None,
    variant: Variant = None,
    as_of: AsOf = None,
    fmt: Annotated[KpiFormat, typer.Option("--format", "-f", help="table, json or csv.")] = (
        KpiFormat.TABLE
    ),
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Compute over the records this user sees (e.g. a rep's own)."),
    ] = None,
) -> None:
    """Compute KPIs for a period, by any dimension, with an optional comparison."""
    opts = _options(period, grain, by, filters, compare, variant, as_of)
    with ws_service.workspace(db) as ws:
        scope = as_person(ws, as_user).scope if as_user else EVERYTHING
        result = ws.metrics.query(metrics, scope=scope, **opts)
        currency = ws.settings.base_currency
        if fmt is KpiFormat.CSV:
            audit.record(ws, LOCAL, "export", object_type="metric", object_id=",".join(metrics),
                         details={"format": "csv", "period": period, "as": as_user})  # fmt: skip
    if fmt is KpiFormat.JSON:
        emit_json(_as_json(result))
    elif fmt is KpiFormat.CSV:
        writer = csv.writer(sys.stdout)
        writer.writerow(result.table.column_names)
        for row in result.rows():
            writer.writerow([inert(v) for v in row.values()])  # names stay text in a sheet
    else:
        _print_table(result, currency)
    for warning in result.warnings:
        typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)


def _as_json(result: MetricResult) -> dict[str, Any]:
    r = result.request
    return {
        "period": str(r.range),
        "grain": r.grain.value if r.grain else None,
        "by": list(r.by),
        "metrics": [m.__dict__ for m in result.metrics],
        "rows": result.rows(),
        "warnings": result.warnings,
    }


def fmt_value(value: Any, unit: str, currency: str) -> str:
    """A metric value for people: money in major units, rates in percent."""
    if value is None:
        return "—"
    if unit == "money":
        return f"{value / 100:,.2f}".replace(",", " ") + f" {currency}"
    if unit == "money_per_day":
        return f"{value / 100:,.2f}".replace(",", " ") + f" {currency}/day"
    if unit == "percent":
        return f"{value * 100:.1f} %"
    if unit == "days":
        return f"{value:.1f} d"
    if unit == "score":
        return f"{value:.1f}"
    if unit == "count":
        return f"{value:,}".replace(",", " ")
    return f"{value:.2f}"


def _print_table(result: MetricResult, currency: str) -> None:
    r = result.request
    rows = result.rows()
    if len(rows) == 1 and not r.by:
        _print_vertical(result, rows[0], currency)
        return
    table = Table(title=_title(result))
    table.add_column("period")
    for d in r.by:
        table.add_column(d)
    for m in result.metrics:
        table.add_column(m.label["en"], justify="right")
    for row in result.rows():
        cells = [row["period"].isoformat(), *("(none)" if row[d] is None else row[d] for d in r.by)]
        for m in result.metrics:
            cells.append(_cell(row, m.name, m.unit, m.interval, currency))
        table.add_row(*cells)
    console.print(table)


def _print_vertical(result: MetricResult, row: dict[str, Any], currency: str) -> None:
    r = result.request
    table = Table("metric", "value", title=_title(result))
    compare = r.compare is not None
    if compare:
        table.add_column("previous")
        table.add_column("change")
    for m in result.metrics:
        cells = [m.label["en"], _cell(row, m.name, m.unit, m.interval, currency, with_prev=False)]
        if compare:
            noise = {True: " (beyond noise)", False: " (within noise)", None: ""}
            change = _change(row, m.name, m.unit) + noise[row[f"{m.name}__significant"]]
            cells += [fmt_value(row[f"{m.name}__previous"], m.unit, currency), change]
        table.add_row(*cells)
    console.print(table)


def _title(result: MetricResult) -> str:
    r = result.request
    text = str(r.range) + (f" by {r.grain.value}" if r.grain else "")
    if r.comparison is not None:
        text += f" vs {r.comparison}"
    return text


def _change(row: dict[str, Any], name: str, unit: str) -> str:
    """Rates and scores change in points; everything else in percent."""
    if unit in ("percent", "score"):
        delta = row[f"{name}__delta"]
        if delta is None:
            return "—"
        if unit == "percent":
            return f"{delta * 100:+.1f} pp"
        return f"{delta:+.1f} points"
    pct = row[f"{name}__delta_pct"]
    return "—" if pct is None else f"{pct * 100:+.1f} %"


def _cell(
    row: dict[str, Any], name: str, unit: str, interval: bool, currency: str,
    with_prev: bool = True,
) -> str:  # fmt: skip
    text = fmt_value(row[name], unit, currency)
    if interval and row.get(f"{name}__low") is not None:
        low, high = row[f"{name}__low"], row[f"{name}__high"]
        scale = 100 if unit == "percent" else 1
        text += f" [{low * scale:.1f}–{high * scale:.1f}]"
    if with_prev and f"{name}__previous" in row:
        change = _change(row, name, unit)
        noise = {True: ", beyond noise", False: ", within noise", None: ""}[
            row[f"{name}__significant"]
        ]
        text += f"\n(was {fmt_value(row[f'{name}__previous'], unit, currency)}, {change}{noise})"
    return text


@metrics_app.command("list")
def list_metrics(
    db: DbOption = None,
    all_: Annotated[bool, typer.Option("--all", help="Include building-block metrics.")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List the metrics of the workspace: built-in and its own."""
    with ws_service.workspace(db) as ws:
        items = ws.metrics.list(include_hidden=all_)
        origins = {m.name: ws.metrics.catalog.entries[m.name] for m in items}
    if fmt is OutputFormat.JSON:
        emit_json([{"name": m.name, "label": m.label.model_dump(), "type": m.type.value,
                    "unit": m.unit.value, "direction": m.direction.value,
                    "variants": {a: list(x.options) for a, x in m.variants.items()},
                    "builtin": origins[m.name].builtin} for m in items])  # fmt: skip
        return
    table = Table("name", "label (en)", "назва (uk)", "unit", "better", "variants")
    for m in items:
        variants = "; ".join(f"{a}: {'|'.join(x.options)}" for a, x in m.variants.items())
        table.add_row(m.name, m.label.en, m.label.uk, m.unit.value, m.direction.value, variants)
    console.print(table)


@metrics_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="A metric name.")],
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show a metric's definition, formula and variants."""
    with ws_service.workspace(db) as ws:
        metric, where = ws.metrics.show(name)
    data = metric.model_dump(mode="json", exclude_defaults=True)
    data["defined_at"] = where
    if fmt is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(f"[bold]{metric.name}[/bold] — {metric.label.en} / {metric.label.uk}  ({where})")
    console.print(metric.description.en)
    console.print(metric.description.uk)
    if metric.measure is not None:
        m = metric.measure
        console.print(escape(f"  measure: {m.agg.value}({m.expr or 'rows'})"
                             + (f" per {m.per}" if m.per else "")))  # fmt: skip
    for key in ("type", "source", "filters", "time", "at_period_end", "window", "numerator",
                "denominator", "proportion", "converted", "expr", "metric", "unit",
                "direction"):  # fmt: skip
        value = getattr(metric, key)
        if value not in (None, [], False, {}):
            console.print(escape(f"  {key}: {getattr(value, 'value', value)}"))
    if metric.metric:
        console.print(f"  reset: {metric.reset}")
    for axis, spec in metric.variants.items():
        console.print(f"  variant {axis} (default {spec.default}):")
        for option, detail in spec.options.items():
            text = detail.description.en if detail.description else ""
            console.print(f"    {option}: {text}")


@metrics_app.command("explain")
def explain(
    metrics: Metrics,
    db: DbOption = None,
    period: Period = "this_month",
    grain: Grain = None,
    by: By = None,
    filters: Filter = None,
    compare: Compare = None,
    variant: Variant = None,
    as_of: AsOf = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show how a KPI query is computed: definitions, variants in force and the SQL."""
    opts = _options(period, grain, by, filters, compare, variant, as_of)
    with ws_service.workspace(db) as ws:
        data = ws.metrics.explain(metrics, **opts).as_dict()
    if fmt is OutputFormat.JSON:
        emit_json(data)
        return
    console.print(f"period {data['period']}, grain {data['grain'] or 'none'}, by "
                  f"{', '.join(data['by']) or 'nothing'}")  # fmt: skip
    for d in data["definitions"]:
        variants = ", ".join(f"{a}={o}" for a, o in d["variants"].items()) or "no variants"
        console.print(
            f"[bold]{escape(d['key'])}[/bold] ({d['type']}; {escape(variants)}; "
            f"{escape(d['defined_at'])})"
        )
        console.print(f"  {escape(d['description'])}")
    for q in data["queries"]:
        console.print(escape(f"\n-- {q['range']} {q['period']}: {', '.join(q['leaves'])}"))
        print(q["sql"])
    for note in data["notes"]:
        console.print(escape(f"note: {note}"))


@metrics_app.command("validate")
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="YAML files or folders (default: the workspace's own)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Check metric definitions; every problem is listed with its file and line."""
    if not paths:
        from salesmetrics.services.metrics import metrics_dir

        folder = metrics_dir(ws_service.resolve_url(db))
        if not folder.exists():
            problems = validate_files([])
            if problems:
                raise DefinitionError(problems)
            typer.echo(f"ok: the built-in catalog is valid; no workspace metrics ({folder} "
                       "does not exist: put *.yaml files there to add KPIs)")  # fmt: skip
            return
        paths = [folder]
    problems = validate_files(paths)
    if problems:
        raise DefinitionError(problems)
    typer.echo(f"ok: {', '.join(str(p) for p in paths)} and the built-in catalog are valid")


@metrics_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of metric definition files."""
    print(json_schema())


def register(app: typer.Typer) -> None:
    app.command("kpi")(kpi)
    app.add_typer(metrics_app, name="metrics")
