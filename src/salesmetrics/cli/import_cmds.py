"""import, and imports list|show|revert."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.render import console, emit_json
from salesmetrics.domain.errors import InputError
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.imports import log
from salesmetrics.services.imports.model import ImportReport, ImportRequest
from salesmetrics.services.imports.revert import revert_import
from salesmetrics.services.imports.run import STEPS, Steps, run_import, write_errors

imports_app = typer.Typer(help="Past imports: list, show, revert.", no_args_is_help=True)


def import_file(
    kind: Annotated[str, typer.Argument(help="What the file holds: orders, customers, deals …")],
    file: Annotated[Path, typer.Argument(help="CSV/TSV, XLSX, Parquet or JSON lines.")],
    db: DbOption = None,
    mapping: Annotated[Path | None, typer.Option(help="YAML: columns: {header: field}.")] = None,
    preset: Annotated[str | None, typer.Option(help="A known export, e.g. shopify_orders.")] = None,
    source: Annotated[str | None, typer.Option(help="Where the rows come from [import].")] = None,
    encoding: Annotated[str | None, typer.Option(help="Override the detected encoding.")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet [first].")] = None,
    delimiter: Annotated[str | None, typer.Option(help="Override the detected delimiter.")] = None,
    date_format: Annotated[
        str | None, typer.Option(help="DD.MM.YYYY, YYYY-MM-DD, MM/DD/YYYY.")
    ] = None,
    decimal: Annotated[str | None, typer.Option(help="Decimal separator: ',' or '.'.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Show what would happen; write nothing.")] = False,
    skip_invalid: Annotated[
        bool, typer.Option(help="Load the good rows, report the rest.")
    ] = False,
    create_missing: Annotated[bool, typer.Option(help="Create unknown linked records.")] = True,
    errors_out: Annotated[Path | None, typer.Option(help="Where to write the errors file.")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Import a file of one kind: all or nothing by default, idempotent, revertible."""
    req = ImportRequest(
        kind,
        file,
        mapping,
        preset,
        source,
        encoding,
        sheet,
        delimiter,
        date_format,
        decimal,
        dry_run,
        skip_invalid,
        create_missing,
    )
    with ws_service.workspace(db) as ws, _steps_bar(file.name) as steps:
        report = run_import(ws, req, steps)
    target = None
    if report.issues:
        target = errors_out or file.with_name(file.stem + ".errors.csv")
        write_errors(report, target)
    _show(report, fmt, target)
    if report.status == "rejected":
        raise InputError(
            f"import rejected: {report.rows_rejected} row(s) have problems, "
            f"nothing was written; details in {target}"
        )


STEP_LABELS = {
    "read": "reading {file}",
    "convert": "converting and checking",
    "write": "matching and writing",
    "rollups": "refreshing the metrics' rollups",
    "segments": "refreshing customer segments",
    "": "done",
}


@contextmanager
def _steps_bar(file: str) -> Iterator[Steps]:
    """A progress bar on stderr over the import's steps, on a terminal only; gone once the
    import ends."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    err = Console(stderr=True)
    with Progress(*columns, transient=True, console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"importing {file}", total=len(STEPS))

        def step(key: str, done: int, total: int) -> None:
            label = STEP_LABELS.get(key, key).format(file=file)
            bar.update(task, description=label, completed=done, total=total)

        yield step


def _show(report: ImportReport, fmt: OutputFormat, errors: Path | None) -> None:
    if fmt is OutputFormat.JSON:
        emit_json({**report.as_dict(), "errors_file": str(errors) if errors else None})
        return
    s = report.sniff
    rows = f"{report.rows_read:,}".replace(",", " ")
    delimiter = f"delimiter {s.delimiter!r}, " if s.delimiter else ""
    console.print(
        f"[bold]{report.file}[/bold]: {s.format}, {s.encoding or ''} {delimiter}"
        f"header at row {s.header_row}, {rows} rows"
    )
    for note in [*s.notes, *report.warnings]:
        console.print(f"  · {note}")
    table = Table("column in file", "field")
    for header, field in report.mapping.columns.items():
        table.add_row(header, field)
    kept = "(attributes)" if report.keeps_attributes else "(ignored)"
    for header in report.mapping.unmapped:
        table.add_row(header, f"[dim]{kept}[/dim]")
    console.print(table)
    for issue in report.issues[:10]:
        console.print(f"  [red]✗[/red] {issue}")
    if len(report.issues) > 10:
        console.print(f"  … and {len(report.issues) - 10} more in {errors}")
    console.print(
        f"{report.status}: {report.inserted} new, {report.updated} changed, "
        f"{report.unchanged} unchanged, {report.rows_rejected} rejected"
        + (f"; import #{report.import_id}" if report.import_id else "")
    )


@imports_app.command("list")
def list_cmd(db: DbOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Past imports, newest first."""
    with ws_service.workspace(db) as ws:
        rows = log.list_imports(ws)
    if fmt is OutputFormat.JSON:
        emit_json(rows)
        return
    table = Table("id", "kind", "file", "status", "rows", "loaded", "rejected", "started")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["kind"],
            r["file_name"] or "",
            r["status"],
            str(r["rows_read"]),
            str(r["rows_loaded"]),
            str(r["rows_rejected"]),
            r["started_at"] or "",
        )
    console.print(table)


@imports_app.command("show")
def show_cmd(import_id: int, db: DbOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """One import: counts, mapping, what it changed per table."""
    with ws_service.workspace(db) as ws:
        data = log.show_import(ws, import_id)
    if fmt is OutputFormat.JSON:
        emit_json(data)
        return
    for key, value in data.items():
        console.print(f"[bold]{key}[/bold]: {value}")


@imports_app.command("revert")
def revert_cmd(
    import_id: int,
    db: DbOption = None,
    cascade: Annotated[
        bool, typer.Option(help="Also revert later imports of the same rows.")
    ] = False,
) -> None:
    """Restore the exact state before an import, updated rows included."""
    with ws_service.workspace(db) as ws:
        done = revert_import(ws, import_id, cascade=cascade)
    typer.echo(f"reverted import(s) {', '.join(str(i) for i in done)}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_file)
    app.add_typer(imports_app, name="imports")
