"""Resolve linked records (a rep by name, a customer by email …) to ids, creating or rejecting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.ingest.convert import RowIssue
from salesmetrics.ingest.kinds import FieldType, Kind
from salesmetrics.storage.dialect import Dialect
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import imports as repo
from salesmetrics.storage.repositories import pipelines
from salesmetrics.storage.repositories.bulk import load

# How a cell names a record of each table, tried in order.
MATCH_BY: dict[str, tuple[str, ...]] = {
    "reps": ("external_id", "name", "email"),
    "teams": ("external_id", "name"),
    "channels": ("external_id", "name"),
    "customers": ("external_id", "email", "phone", "name"),
    "products": ("external_id", "sku", "name"),
    "stages": ("external_id", "name"),
    "deals": ("external_id",),
    "leads": ("external_id",),
    "orders": ("external_id",),
}
CREATABLE = ("reps", "teams", "channels", "customers", "products", "stages")


@dataclass
class Links:
    created: dict[str, list[int]] = field(default_factory=dict)
    issues: list[RowIssue] = field(default_factory=list)
    unmatched: dict[int, dict[str, str]] = field(default_factory=dict)  # row -> field -> text

    def unmatched_counts(self) -> dict[str, int]:
        """How many kept rows name an unknown record, per field."""
        counts: dict[str, int] = {}
        for named in self.unmatched.values():
            for name in named:
                counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items()))


def resolve(
    tx: WriteTx,
    dialect: Dialect,
    kind: Kind,
    table: pa.Table,
    source: str,
    create: bool,
    links: Links,
) -> pa.Table:
    """Replace each ref column's text with ids; unknown ones are created or become issues (or,
    for a kind that keeps unmatched rows, are left empty and noted in `links.unmatched`)."""
    keep = kind.keeps_unmatched
    for f in kind.fields:
        if f.type is not FieldType.REF or f.name not in table.column_names or f.ref is None:
            continue
        text = table[f.name]
        if keep and f.ref == "customers":
            text = _emails(text)
        ids = ids_for(
            tx,
            dialect,
            f.ref,
            pc.unique(text).drop_null().to_pylist(),
            source,
            create and f.ref in CREATABLE and not keep,
            links,
        )
        keys = pa.array(list(ids), pa.string())
        idx = pc.index_in(pc.utf8_lower(text), value_set=pc.utf8_lower(keys))
        resolved = pc.take(pa.array(list(ids.values()), pa.int64()), idx)
        missing = pc.and_(pc.is_valid(text), pc.is_null(resolved))
        for row, value in zip(
            table.filter(missing)["_row"].to_pylist(), text.filter(missing).to_pylist(), strict=True
        ):
            if keep:
                links.unmatched.setdefault(int(row), {})[f.name] = value
                continue
            links.issues.append(
                RowIssue(int(row), f.name, value, f"unknown {f.ref[:-1]} '{value}'")
            )
        table = table.set_column(table.column_names.index(f.name), f.name, resolved)
    return table


def _emails(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """An email as people type it (' Ivan@Example.com', 'ivan @example.com') in one form."""
    bare = pc.utf8_lower(pc.replace_substring_regex(text, r"\s+", ""))
    return pc.if_else(pc.fill_null(pc.match_substring(text, "@"), False), bare, text)


def email_form(value: str) -> str:
    """One text as `_emails` makes it: how an event names a customer where a file would."""
    return str(_emails(pa.chunked_array([[value]], pa.string()))[0].as_py())


def ids_for(
    tx: WriteTx,
    dialect: Dialect,
    table: str,
    values: list[str],
    source: str,
    create: bool,
    links: Links,
) -> dict[str, int]:
    """How imports (and events) name a linked record: value -> id, matched as MATCH_BY says,
    unknown ones created (with `create`) or left out."""
    found: dict[str, int] = {}
    for column in MATCH_BY[table]:
        left = [v for v in values if v.lower() not in found]
        found.update(repo.lookup(tx, table, column, left))
    unknown = sorted({v for v in values if v.lower() not in found})
    if unknown and create:
        new_ids = repo.allocate_ids(tx, table, len(unknown))
        load(tx, table, _new_rows(tx, table, unknown, new_ids, source))
        links.created.setdefault(table, []).extend(new_ids)
        found.update({v.lower(): i for v, i in zip(unknown, new_ids, strict=True)})
    return {v: found[v.lower()] for v in values if v.lower() in found}


def _new_rows(tx: WriteTx, table: str, values: list[str], ids: list[int], source: str) -> pa.Table:
    cols: dict[str, list[Any]] = {"id": list(ids), "source": [source] * len(ids)}
    if table == "stages":
        return _new_stages(tx, values, cols)
    if table == "customers":
        cols["email"] = [v.lower() if "@" in v else None for v in values]
        cols["external_id"] = [None if "@" in v else v for v in values]
        cols["name"] = [None if "@" in v else v for v in values]
    elif table == "products":
        cols.update(sku=list(values), name=list(values), currency=["UAH"] * len(ids))
    elif table == "channels":
        cols.update(name=list(values), kind=["direct"] * len(ids))
    else:
        cols["name"] = list(values)
    return pa.table(cols)


WON_WORDS = ("won", "виграно", "виграна", "успішно", "closedwon")
LOST_WORDS = ("lost", "програно", "програна", "втрачено", "closedlost")


def _new_stages(tx: WriteTx, names: list[str], cols: dict[str, list[Any]]) -> pa.Table:
    """Stages a deals file names that the workspace lacks join the default pipeline, at its end.

    Won and lost are told apart by their names; an open stage's probability starts at 0.5
    until the user sets it.
    """
    pipeline, _ = pipelines.default_pipeline(tx)
    top = pipelines.last_position(tx, pipeline)
    kinds = [_stage_kind(n) for n in names]
    cols.update(
        pipeline_id=[pipeline] * len(names),
        name=list(names),
        position=[top + 1 + i for i in range(len(names))],
        kind=kinds,
        probability=[{"won": 1.0, "lost": 0.0}.get(k, 0.5) for k in kinds],
    )
    return pa.table(cols)


def _stage_kind(name: str) -> str:
    flat = name.lower().replace(" ", "")
    if any(w.replace(" ", "") in flat for w in WON_WORDS):
        return "won"
    return "lost" if any(w in flat for w in LOST_WORDS) else "open"
