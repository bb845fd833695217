"""`salesmetrics warehouse export DIR`: the workspace as Parquet partitioned by month, for Spark
(`--db spark:DIR` then runs every command that reads on Spark; docs/scale.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.render import emit_json
from salesmetrics.services import warehouse
from salesmetrics.services import workspace as ws_service

app = typer.Typer(help="The workspace as a Parquet warehouse, for Spark.", no_args_is_help=True)


@app.command("export")
def export_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder of the warehouse (made if missing).")],
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Write every business table as Parquet under FOLDER, partitioned by month; again later,
    only the partitions whose rows changed are rewritten."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    quiet = Console(stderr=True)
    with ws_service.workspace(db) as ws, Progress(*columns, transient=True, console=quiet) as bar:
        task = bar.add_task("export", total=None)

        def progress(done: int, total: int, table: str) -> None:
            bar.update(task, completed=done, total=total, description=table or "done")

        report = warehouse.export(ws, folder, progress)
    if fmt is OutputFormat.JSON:
        emit_json(report.as_dict())
        return
    rows = sum(t.rows for t in report.tables.values())
    typer.echo(
        f"{rows:,} rows of {len(report.tables)} tables in {report.parts} partitions at {folder}: "
        f"{report.written} written, {report.parts - report.written} unchanged "
        f"({report.seconds:.1f} s)"
    )
    typer.echo(f"read it on Spark with --db spark:{folder}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="warehouse")
