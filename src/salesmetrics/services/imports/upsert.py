"""Match incoming rows with stored ones by key: insert the new, update the changed, log both."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.storage import catalog
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import imports as repo
from salesmetrics.storage.repositories.bulk import conform
from salesmetrics.storage.schema import ColType

Ids = npt.NDArray[np.int64]
NO_IDS: Ids = np.empty(0, dtype=np.int64)


@dataclass
class Outcome:
    inserted: dict[str, Ids] = field(default_factory=dict)  # table -> new ids
    updated: dict[str, list[int]] = field(default_factory=dict)
    unchanged: int = 0
    ids: Ids = field(default_factory=lambda: NO_IDS)  # the stored id of every incoming row
    priors: list[tuple[str, list[int], list[str]]] = field(default_factory=list)  # for revert

    def add_inserted(self, table: str, ids: Ids) -> None:
        self.inserted[table] = np.concatenate([self.inserted.get(table, NO_IDS), ids])


def content_ids(table: pa.Table, prefix: str) -> pa.Array:
    """A stable id from a row's content, for rows that came without one (re-import = no-op)."""
    cols = [c for c in table.column_names if not c.startswith("_")]
    rows = zip(*(table[c].to_pylist() for c in cols), strict=True)
    return pa.array([prefix + hashlib.sha256(repr(r).encode()).hexdigest()[:24] for r in rows])


def upsert(
    tx: WriteTx,
    table: str,
    rows: pa.Table,
    key: tuple[str, ...],
    source: str,
    out: Outcome,
) -> None:
    """Insert or update `rows` (typed, refs resolved) of `table`, recording prior images."""
    data = conform(table, rows.drop_columns([c for c in rows.column_names if c.startswith("_")]))
    if "source" in catalog.table(table).column_names:
        data = data.append_column("source", pa.array([source] * data.num_rows, pa.string()))
    compare = [c for c in data.column_names if c not in ("id", *key, "source")]
    stored = _stored(tx, table, key, compare, source)
    ids = np.zeros(data.num_rows, dtype=np.int64)  # 0: no stored row (ids start at 1)
    if stored.num_rows:  # nothing stored to match (a source's first import): no join
        data = data.append_column("_pos", pa.array(np.arange(data.num_rows)))
        joined = data.join(stored, keys=list(key), join_type="left outer", use_threads=False)
        joined = joined.sort_by("_pos")
        data = data.drop_columns(["_pos"])
        found = joined["_id_old"]
        ids = np.array(pc.fill_null(found, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        same = _same_rows(table, joined, compare)
        changed = pc.and_(pc.is_valid(found), pc.invert(same))
        out.unchanged += int(pc.sum(pc.and_(pc.is_valid(found), same)).as_py() or 0)
        update = joined.filter(changed)
        if update.num_rows:
            cols = {"id": update["_id_old"], **{c: update[c] for c in compare}}
            _update(tx, table, pa.table(cols), out)
    _insert_new(tx, table, data, ids, out)
    out.ids = ids


def _same_rows(table: str, joined: pa.Table, compare: list[str]) -> pa.ChunkedArray:
    """Row by row: every compared column equal to the stored value (nulls equal nulls)."""
    same = pc.is_valid(joined["_pos"])
    for c in compare:
        new, old = joined[c], joined[f"{c}_old"]
        eq = pc.fill_null(pc.equal(new, old), False)
        col_same = pc.or_(eq, pc.and_(pc.is_null(new), pc.is_null(old)))
        if catalog.table(table).column(c).type is ColType.JSON:
            col_same = _json_same(new, old, col_same)
        same = pc.and_(same, col_same)
    return same


def _json_same(new: pa.ChunkedArray, old: pa.ChunkedArray, same: pa.ChunkedArray) -> pa.Array:
    """JSON texts differ in spacing between engines: compare parsed values where texts differ."""
    flags = np.asarray(pc.fill_null(same, False).to_numpy(zero_copy_only=False), dtype=bool)
    for i in np.flatnonzero(~flags):  # only the rows whose texts differ leave Arrow
        a, b = new[int(i)].as_py(), old[int(i)].as_py()
        if a is not None and b is not None:
            flags[i] = json.loads(a) == json.loads(b)
    return pa.array(flags)


def _stored(
    tx: WriteTx, table: str, key: tuple[str, ...], compare: list[str], source: str
) -> pa.Table:
    """The stored rows an import can match, renamed: id -> _id_old, c -> c_old (keys kept)."""
    by_source = "source" in catalog.table(table).column_names and key == ("external_id",)
    found = repo.stored(tx, table, ["id", *key, *compare], source if by_source else None)
    types = catalog.table(table).arrow_schema()
    arrays = [found[c].cast(types.field(c).type) for c in found.column_names]
    names = ["_id_old" if c == "id" else c if c in key else f"{c}_old" for c in found.column_names]
    return pa.table(arrays, names=names)


def _insert_new(tx: WriteTx, table: str, data: pa.Table, ids: Ids, out: Outcome) -> None:
    """Rows whose id is 0 are new: they get fresh ids (written into `ids`) and go in."""
    new = np.flatnonzero(ids == 0)
    if not len(new):
        return
    fresh = repo.allocate_id_array(tx, table, len(new))
    ids[new] = fresh
    rows = data if len(new) == data.num_rows else data.take(pa.array(new))
    tx.load_arrow(table, rows.append_column("id", pa.array(fresh)))
    out.add_inserted(table, fresh)


def _update(tx: WriteTx, table: str, rows: pa.Table, out: Outcome) -> None:
    ids = [int(i) for i in rows["id"].to_pylist()]
    images = repo.rows_by_id(tx, table, ids)
    out.priors.append((table, [r["id"] for r in images], [repo.to_json(r) for r in images]))
    tx.update_from_arrow(table, rows)
    out.updated.setdefault(table, []).extend(ids)
