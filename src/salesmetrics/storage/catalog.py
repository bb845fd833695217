"""The current schema: every migration folded in order."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from salesmetrics.storage.migrations import MIGRATIONS
from salesmetrics.storage.migrations.base import AddColumns, AddIndex, CreateTable
from salesmetrics.storage.schema import Table

LATEST_VERSION = MIGRATIONS[-1].version


@cache
def tables() -> dict[str, Table]:
    """Table name -> its current definition, in creation order."""
    out: dict[str, Table] = {}
    for migration in MIGRATIONS:
        for op in migration.operations:
            match op:
                case CreateTable(table=t):
                    out[t.name] = t
                case AddColumns(table=name, columns=cols):
                    out[name] = replace(out[name], columns=out[name].columns + cols)
                case AddIndex(table=name, index=idx):
                    out[name] = replace(out[name], indexes=(*out[name].indexes, idx))
    return out


def table(name: str) -> Table:
    """One table's definition; a clear error for an unknown name."""
    try:
        return tables()[name]
    except KeyError:
        raise KeyError(f"no table '{name}'; known: {', '.join(tables())}") from None


def data_tables() -> list[str]:
    """Tables that hold business data (what `info` counts)."""
    internal = {
        "settings",
        "imports",
        "import_changes",
        "event_inbox",
        "users",
        "sessions",
        "api_tokens",
        "audit_log",
        "forecast_snapshots",
        "forecast_snapshot_deals",
        "lead_models",
        "customer_segments",
        "feedback_followups",
        "schema_migrations",
        "workspace_state",
        "event_versions",
    }
    # rollup_* tables are derived from the data (rebuilt after every change), not data.
    return [n for n in tables() if n not in internal and not n.startswith("rollup_")]


def markdown() -> str:
    """docs/data-model.md's table section, rendered from the migrations (a test keeps it true)."""
    lines = ["| table | columns | notes |", "|---|---|---|"]
    for t in tables().values():
        cols = ", ".join(
            f"{c.name}{'' if c.nullable else '*'} {c.type.value}"
            + (f" → {c.references}" if c.references else "")
            for c in t.columns
        )
        uniques = [" + ".join(ix.columns) for ix in t.indexes if ix.unique]
        note = t.doc + (f" Unique: {'; '.join(uniques)}." if uniques else "")
        lines.append(f"| {t.name} | {cols} | {note} |")
    return "\n".join(lines) + "\n"
