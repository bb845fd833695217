"""Options shared by every command, declared once."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="SALESMETRICS_DB",
        help="Workspace: a DuckDB file path or a postgresql:// URL "
        "(default: ./salesmetrics.duckdb).",
        show_default=False,
    ),
]


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output: a human table or JSON for scripts."),
]
