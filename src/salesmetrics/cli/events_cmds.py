"""events list|replay: inspect the inbox and send failed or waiting events through again."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.render import console, emit_json
from salesmetrics.domain.errors import InputError
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.events import STATUSES, EventsService

events_app = typer.Typer(help="Events received over the API: list, replay.", no_args_is_help=True)


def _as_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.event_id, "type": row.type, "source": row.source,
        "occurred_at": row.occurred_at, "received_at": row.received_at, "status": row.status,
        "attempts": row.attempts, "error": row.error, "waiting_for": row.waiting_for,
        "applied_at": row.applied_at, "payload": row.payload,
    }  # fmt: skip


def _table(rows: list[Any]) -> None:
    table = Table("id", "type", "occurred", "status", "tries", "why")
    for r in rows:
        why = r.error or (f"waiting for {r.waiting_for}" if r.waiting_for else "")
        when = r.occurred_at.isoformat(timespec="seconds") if r.occurred_at else ""
        table.add_row(r.event_id, r.type, when, r.status, str(r.attempts), why)
    console.print(table)


@events_app.command("list")
def list_cmd(
    db: DbOption = None,
    status: Annotated[
        str | None, typer.Option(help=f"Only events in this status: {', '.join(STATUSES)}.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Events in the inbox, newest first, with their status and why they failed or wait."""
    with ws_service.workspace(db) as ws:
        rows, total = EventsService(ws).page(status, limit, offset)
    if fmt is OutputFormat.JSON:
        emit_json({"data": [_as_dict(r) for r in rows], "count": total})
        return
    _table(rows)
    console.print(f"{len(rows)} of {total} shown")


@events_app.command("replay")
def replay_cmd(
    event_ids: Annotated[list[str] | None, typer.Argument(help="Event ids to replay.")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Replay every failed event.")] = False,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Apply failed or waiting events again (after the data they need arrived, or a fix)."""
    if bool(event_ids) == failed:
        raise InputError("name event ids to replay, or pass --failed (not both)")
    with ws_service.workspace(db) as ws:
        rows = EventsService(ws).replay(None if failed else event_ids)
    if fmt is OutputFormat.JSON:
        emit_json({"data": [_as_dict(r) for r in rows], "count": len(rows)})
        return
    _table(rows)
    applied = sum(r.status == "applied" for r in rows)
    console.print(f"{len(rows)} replayed, {applied} applied")


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
