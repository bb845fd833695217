"""Human and machine output of command results."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from salesmetrics.cli.options import OutputFormat
from salesmetrics.services.workspace import WorkspaceInfo

console = Console()


def emit_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def workspace_info(info: WorkspaceInfo, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.JSON:
        emit_json(info.as_dict())
        return
    s = info.settings
    console.print(
        f"[bold]{s.name}[/bold]  {info.engine}: {info.url}  (schema v{info.schema_version})"
    )
    console.print(
        f"currency {s.base_currency} · time zone {s.time_zone} · locale {s.locale} · "
        f"fiscal year starts in month {s.fiscal_year_start_month}"
    )
    table = Table("table", "rows", "first", "last")
    for t in info.tables:
        lo, hi = info.date_ranges.get(t.name, (None, None))
        table.add_row(
            t.name,
            f"{t.rows:,}".replace(",", " "),
            lo.date().isoformat() if lo else "",
            hi.date().isoformat() if hi else "",
        )
    console.print(table)
    console.print(f"{info.total_rows:,} rows in all".replace(",", " "))
