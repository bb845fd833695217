"""`salesmetrics search` and `salesmetrics export`: the records a person sees, found or written
to a CSV or XLSX file, through the same services as the Records page and the API."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.render import emit_json
from salesmetrics.domain.access import LOCAL, Principal
from salesmetrics.domain.errors import InputError
from salesmetrics.services import exports, records, search
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.workspace import Workspace


class Kind(StrEnum):
    CUSTOMERS = "customers"
    LEADS = "leads"
    DEALS = "deals"
    ORDERS = "orders"
    REPS = "reps"
    PRODUCTS = "products"


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


AsUser = Annotated[
    str | None,
    typer.Option("--as", help="Only the records this user sees (e.g. a rep's own)."),
]


Text = Annotated[
    str,
    typer.Argument(help="Part of a name, title, company, email, phone, SKU or external id "
                   "(case ignored)."),
]  # fmt: skip
Kinds = Annotated[
    list[Kind] | None, typer.Option("--kind", "-k", help="Only these kinds (repeatable).")
]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="The file to write [./KIND-DATE.csv or .xlsx].",
                 show_default=False),
]  # fmt: skip
Filters = Annotated[
    list[str] | None,
    typer.Option("--filter", help="name=value, as the API's list filters (repeatable), "
                 "e.g. status=open."),
]  # fmt: skip
Searched = Annotated[
    str | None, typer.Option("--search", "-s", help="Only records holding this text.")
]


def _person(ws: Workspace, email: str | None) -> Principal:
    return as_person(ws, email) if email else LOCAL


def search_cmd(
    text: Text,
    db: DbOption = None,
    kind: Kinds = None,
    limit: Annotated[int, typer.Option(help="Hits shown per kind.")] = search.DEFAULT_PER_KIND,
    as_user: AsUser = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Find customers, leads, deals, orders, reps and products by any part of their names."""
    with ws_service.workspace(db) as ws:
        kinds = tuple(k.value for k in kind) if kind else search.ORDER
        result = search.search(ws, _person(ws, as_user).scope, text, kinds=kinds, per_kind=limit)
    if fmt is OutputFormat.JSON:
        emit_json({"q": result.text, "total": result.total, "found": [
            {"kind": f.kind, "total": f.total, "hits": [h.__dict__ for h in f.hits]}
            for f in result.found]})  # fmt: skip
        return
    if not result.found:
        typer.echo(f"nothing holds '{result.text}'")
        return
    for f in result.found:
        more = f" (first {len(f.hits)})" if f.total > len(f.hits) else ""
        typer.secho(f"{f.kind}: {f.total}{more}", bold=True)
        for h in f.hits:
            typer.echo(f"  {h.id:>7}  {h.label}" + (f"  · {h.detail}" if h.detail else ""))


def _value(name: str, text: str) -> Any:
    if name.endswith(("_from", "_to")):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InputError(f"--filter {name}={text}: use a date YYYY-MM-DD") from None
    if name == "active":
        if text.lower() not in ("true", "false", "yes", "no", "1", "0"):
            raise InputError(f"--filter active={text}: use true or false")
        return text.lower() in ("true", "yes", "1")
    if name.endswith("_id"):
        if not text.isdecimal():
            raise InputError(f"--filter {name}={text}: use a record id (a whole number)")
        return int(text)
    return text


def _filters(kind: str, given: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in given:
        name, sep, text = item.partition("=")
        if not sep or not text:
            raise InputError(f"--filter '{item}': write it as name=value, e.g. status=open")
        if name not in records.FILTERS[kind]:
            raise InputError(f"{kind} cannot be filtered by '{name}': use "
                             f"{', '.join(records.FILTERS[kind])}")  # fmt: skip
        value = _value(name, text)
        if records.FILTERS[kind][name].op == "in":
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    return out


def export_cmd(
    kind: Annotated[Kind, typer.Argument(help="What to export.")],
    db: DbOption = None,
    fmt: Annotated[FileFormat, typer.Option("--format", "-f", help="csv or xlsx.")] = (
        FileFormat.CSV
    ),
    output: Output = None,
    filters: Filters = None,
    text: Searched = None,
    sort: Annotated[str, typer.Option(help="A sort field; '-' first for descending.")] = "id",
    as_user: AsUser = None,
) -> None:
    """Write the records you see to a CSV or Excel file that opens safely in any spreadsheet
    (text that looks like a formula stays text) and imports back unchanged."""
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    quiet = Console(stderr=True)
    with ws_service.workspace(db) as ws, Progress(*columns, transient=True, console=quiet) as bar:
        task = bar.add_task("export", total=None)
        done = exports.export_records(
            ws, _person(ws, as_user), kind.value, fmt.value,
            filters=_filters(kind.value, filters or []), sort=sort, search=text,
            progress=lambda n, total: bar.update(task, completed=n, total=total), actor=LOCAL,
        )  # fmt: skip
    target = output or Path(done.file_name)
    target.write_bytes(done.data)
    typer.echo(f"{done.rows:,} {kind.value} written to {target}")


def register(app: typer.Typer) -> None:
    app.command("search")(search_cmd)
    app.command("export")(export_cmd)
