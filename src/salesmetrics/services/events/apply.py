"""Apply a batch of inbox events in one write transaction, whatever order they arrived in.

Each field of a record keeps the (occurred_at, event id) that set it last; an event sets a
field only when it is newer, so the same set of events gives the same data in any order.
An event whose record (or a linked order, deal or lead) does not exist yet waits; bad data
fails with its reason. Lookups, inserts and updates are made in bulk for the whole batch.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from pydantic import TypeAdapter, ValidationError

from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.services.events import model as m
from salesmetrics.services.events import responses
from salesmetrics.services.events.plan import (
    KEEPS_UNMATCHED,
    TYPE_ORDER,
    WAIT_TABLES,
    Change,
    Ref,
    StageOf,
    translate,
)
from salesmetrics.services.imports.links import CREATABLE, Links, ids_for
from salesmetrics.storage import catalog
from salesmetrics.storage.dialect import Dialect
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import events as repo
from salesmetrics.storage.repositories import pipelines
from salesmetrics.storage.repositories.bulk import load
from salesmetrics.storage.repositories.imports import allocate_ids

EVENT: TypeAdapter[Any] = TypeAdapter(m.Event)
Stamp = tuple[str, str]  # (occurred_at in UTC ISO, event id): later wins


class Waiting(Exception):
    """The event names a record that does not exist yet."""


@dataclass
class Outcome:
    status: str  # applied, waiting, failed
    error: str | None = None


@dataclass
class _Record:
    table: str
    id: int
    new: bool
    row: dict[str, Any]
    versions: dict[str, list[str]]
    version_id: int | None
    changed: set[str] = field(default_factory=set)
    lines: list[dict[str, Any]] | None = None
    before: dict[str, Any] | None = None  # the stored row, for a record that existed


def stamp(at: datetime, event_id: str) -> Stamp:
    return (at.astimezone(UTC).isoformat(timespec="microseconds"), event_id)


def parse(row: repo.InboxRow) -> Any:
    """The typed event of an inbox row (raises ValueError with a readable reason)."""
    try:
        return EVENT.validate_python(row.payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'event'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(problems) from None


class Batch:
    """One batch of events applied together inside the caller's write transaction."""

    def __init__(self, tx: WriteTx, dialect: Dialect, base_currency: str) -> None:
        self.tx, self.dialect, self.base = tx, dialect, base_currency
        self.records: dict[tuple[str, str, str], _Record] = {}
        self.ids: dict[str, dict[str, int]] = defaultdict(dict)  # table -> ref text -> id
        self.moves: list[dict[str, Any]] = []
        self.stages: dict[int, tuple[int, str, int]] = {}  # id -> pipeline, kind, position
        self.pipeline: int | None = None  # the default pipeline, when deals are in the batch
        self.named: list[Ref] = []  # links applied events name (created if unknown), not feedback's

    def run(self, rows: list[repo.InboxRow]) -> dict[int, Outcome]:
        """Apply what can be applied; the outcome of every row by inbox id."""
        out: dict[int, Outcome] = {}
        todo: list[tuple[repo.InboxRow, Any, Change]] = []
        for row in rows:
            try:
                event = parse(row)
                todo.append((row, event, translate(event, self.base)))
            except (ValueError, SalesmetricsError) as exc:
                out[row.id] = Outcome("failed", _reason(exc))
        todo.sort(key=lambda t: (TYPE_ORDER.get(t[0].type, 9), t[0].id))
        self._prefetch([(e.source, c) for _, e, c in todo])
        for row, event, change in todo:
            out[row.id] = self._one(event, change)
        self._write()
        return out

    def changed(self) -> dict[str, list[tuple[dict[str, Any] | None, dict[str, Any]]]]:
        """The records the batch wrote, per table: each one's stored row before (None when
        new) and its row now (the fields set, for a new one)."""
        out: dict[str, list[tuple[dict[str, Any] | None, dict[str, Any]]]] = defaultdict(list)
        for rec in self.records.values():
            if rec.changed:
                out[rec.table].append((rec.before, rec.row))
        return dict(out)

    # ---------------------------------------------------------------- lookups, in bulk

    def _prefetch(self, changes: list[tuple[str, Change]]) -> None:
        if any(c.table == "deals" for _, c in changes):  # made (Main: New, Won, Lost) if none
            self.pipeline = pipelines.default_pipeline(self.tx)[0]
        self.stages = {i: (p, k, n) for i, p, k, n in repo.stages(self.tx)}
        keys: dict[tuple[str, str], set[str]] = defaultdict(set)
        refs: dict[str, set[str]] = defaultdict(set)
        for source, c in changes:
            keys[(c.table, source)].add(c.key)
            for r in _refs(c):
                refs[r.table].add(r.text)
        for (table, source), wanted in keys.items():
            found = repo.ids_by_key(self.tx, table, source, sorted(wanted))
            self._load(table, source, found)
        for table, texts in refs.items():
            self._resolve(table, sorted(texts), create=False)
        new = [(t, s, k) for (t, s), ks in keys.items() for k in sorted(ks)
               if (t, s, k) not in self.records]  # fmt: skip
        self._fresh: dict[str, list[int]] = {
            t: allocate_ids(self.tx, t, sum(1 for x in new if x[0] == t))
            for t in {x[0] for x in new}
        }

    def _load(self, table: str, source: str, found: dict[str, int]) -> None:
        if not found:
            return
        cols = list(catalog.table(table).column_names)
        data = repo.rows(self.tx, table, sorted(found.values()), cols).to_pylist()
        stored = repo.versions(self.tx, table, sorted(found.values()))
        for row in data:
            vid, text = stored.get(row["id"], (None, "{}"))
            rec = _Record(table, row["id"], False, row, json.loads(text), vid, before=dict(row))
            self.records[(table, source, row["external_id"])] = rec

    def _resolve(self, table: str, texts: list[str], *, create: bool) -> None:
        known = self.ids[table]
        left = [t for t in texts if t not in known]
        if not left:
            return
        known.update(repo.ids_by_external(self.tx, table, left))
        left = [t for t in left if t not in known]
        if left and table not in WAIT_TABLES:  # by name, email, SKU … as imports match
            can_create = create and table in CREATABLE and table != "stages"
            found = ids_for(self.tx, self.dialect, table, left, "events", can_create, Links())
            known.update(found)

    def _id(self, ref: Ref) -> int:
        found = self.ids[ref.table].get(ref.text)
        if found is None:
            if ref.table in WAIT_TABLES:
                raise Waiting(str(ref))
            if ref.table == "stages":
                raise ValueError(f"unknown stage '{ref.text}': add it to a pipeline, then replay")
        return found if found is not None else -1  # created at write time

    # ---------------------------------------------------------------- one event

    def _one(self, event: Any, change: Change) -> Outcome:
        rec: _Record | None = None
        try:
            for ref in _refs(change):
                if ref.table in WAIT_TABLES or ref.table == "stages":
                    self._id(ref)
            rec = self._record(event.source, change)
            moves = [{**mv, "deal_id": rec.id, "event_id": event.id,
                      "to_stage_id": self._stage(rec, mv["to_stage_id"])}
                     for mv in change.moves]  # fmt: skip
            self._merge(rec, change, stamp(event.occurred_at, event.id))
            self.moves.extend(moves)
            if change.table not in KEEPS_UNMATCHED:
                self.named.extend(_refs(change))
        except Waiting as exc:
            return Outcome("waiting", f"waiting for {exc}")
        except (ValueError, SalesmetricsError) as exc:
            if rec is not None and rec.new and not rec.changed:  # nothing of it is written
                self.records.pop((change.table, event.source, change.key), None)
                self.ids[change.table].pop(change.key, None)
            return Outcome("failed", _reason(exc))
        return Outcome("applied")

    def _record(self, source: str, change: Change) -> _Record:
        key = (change.table, source, change.key)
        rec = self.records.get(key)
        if rec is not None:
            return rec
        if not change.creates:
            raise Waiting(str(Ref(change.table, change.key)))
        new_id = self._fresh[change.table].pop()
        row: dict[str, Any] = {"id": new_id, "external_id": change.key, "source": source}
        rec = _Record(change.table, new_id, True, row, {}, None)
        self.records[key] = rec
        if change.table in WAIT_TABLES:
            self.ids[change.table].setdefault(change.key, rec.id)
        return rec

    def _merge(self, rec: _Record, change: Change, at: Stamp) -> None:
        fields = dict(change.fields)
        if rec.table == "deals":
            fields = self._deal_fields(rec, fields)
        for name, value in fields.items():
            seen = rec.versions.get(name)
            if seen is not None and tuple(seen) >= at:
                continue
            rec.versions[name] = list(at)
            rec.changed.add(name)
            if name == "lines":
                rec.lines = value
            else:
                rec.row[name] = value

    def _deal_fields(self, rec: _Record, fields: dict[str, Any]) -> dict[str, Any]:
        """A stage sets the deal's status (its kind) and closed_at (when won or lost)."""
        when = fields.pop("_closed_at")
        stage = self._stage(rec, fields["stage_id"], fields)
        pipeline, kind, _ = self.stages[stage]
        fields["stage_id"] = stage
        fields.setdefault("status", kind)
        fields["closed_at"] = when if fields["status"] != "open" else None
        if rec.row.get("pipeline_id") is None:
            fields["pipeline_id"] = pipeline
        return fields

    def _stage(self, rec: _Record, stage: Any, fields: dict[str, Any] | None = None) -> int:
        if isinstance(stage, int):
            return stage
        if isinstance(stage, Ref):
            return self._id(stage)
        assert isinstance(stage, StageOf)
        pipeline = rec.row.get("pipeline_id") or self.pipeline
        wanted = "open" if stage.kind == "first" else stage.kind
        found = [i for i, (p, k, _) in self.stages.items() if p == pipeline and k == wanted]
        if not found:
            raise ValueError(f"the deal's pipeline has no {wanted} stage")
        found.sort(key=lambda i: self.stages[i][2])
        return found[0]

    # ---------------------------------------------------------------- writing

    def _write(self) -> None:
        touched = [r for r in self.records.values() if r.changed]
        self._create_links()
        self._totals([r for r in touched if r.table == "orders"])
        by_table: dict[str, list[_Record]] = defaultdict(list)
        for rec in touched:
            by_table[rec.table].append(rec)
        # responses last: they inherit from the orders, deals and customers written before
        for table, recs in sorted(by_table.items(), key=lambda t: t[0] in KEEPS_UNMATCHED):
            if table in KEEPS_UNMATCHED:
                responses.complete(self.tx, recs, self.ids)
            new = [r for r in recs if r.new]
            if new:
                load(self.tx, table, _arrow([self._row(r, r.row) for r in new]))
            old = [r for r in recs if not r.new]
            if old:
                cols = sorted(set().union(*(r.changed for r in old)) - {"lines"})
                if cols:
                    rows = [{"id": r.id, **{c: self._val(r.row[c]) for c in cols}} for r in old]
                    self.tx.update_from_arrow(table, _conform(table, rows))
        self._lines([r for r in touched if r.lines is not None])
        self._versions(touched)
        if self.moves:
            ids = allocate_ids(self.tx, "deal_stage_changes", len(self.moves))
            rows = [self._row(None, {**mv, "id": i}) for mv, i in zip(self.moves, ids, strict=True)]
            load(self.tx, "deal_stage_changes", _arrow(rows))

    def _create_links(self) -> None:
        """Reps, customers, channels, products an applied event names are created if unknown
        (even when a newer event has since replaced the link: as if applied one by one); a
        response's links never are (responses.py)."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for v in self.named:
            if v.text not in self.ids[v.table]:
                wanted[v.table].add(v.text)
        for table, texts in wanted.items():
            self._resolve(table, sorted(texts), create=True)

    def _totals(self, orders: list[_Record]) -> None:
        """An order's total is its lines plus shipping, as imports compute it."""
        redo = [r for r in orders if r.lines is not None or "shipping_minor" in r.changed]
        stored = repo.line_totals(self.tx, [r.id for r in redo if r.lines is None and not r.new])
        for rec in redo:
            lines = (
                sum(ln["line_total_minor"] for ln in rec.lines)
                if rec.lines is not None
                else stored.get(rec.id, 0)
            )
            rec.row["total_minor"] = lines + int(rec.row.get("shipping_minor") or 0)
            rec.changed.add("total_minor")

    def _lines(self, orders: list[_Record]) -> None:
        if not orders:
            return
        repo.delete_lines(self.tx, [r.id for r in orders if not r.new])
        lines = [(r, ln) for r in orders for ln in r.lines or []]
        ids = allocate_ids(self.tx, "order_lines", len(lines))
        rows = [
            self._row(None, {**ln, "id": i, "order_id": r.id, "currency": r.row["currency"]})
            for (r, ln), i in zip(lines, ids, strict=True)
        ]
        if rows:
            load(self.tx, "order_lines", _arrow(rows))

    def _versions(self, touched: list[_Record]) -> None:
        new = [r for r in touched if r.version_id is None]
        old = [r for r in touched if r.version_id is not None]
        if new:
            rows = [{"table_name": r.table, "row_id": r.id, "versions": _dump(r.versions)}
                    for r in new]  # fmt: skip
            load(self.tx, "event_versions", pa.Table.from_pylist(rows))
        if old:
            rows = [{"id": r.version_id, "versions": _dump(r.versions)} for r in old]
            self.tx.update_from_arrow("event_versions", _conform("event_versions", rows))

    def _row(self, rec: _Record | None, row: dict[str, Any]) -> dict[str, Any]:
        return {k: self._val(v) for k, v in row.items() if not k.startswith("_")}

    def _val(self, value: Any) -> Any:
        return self._id(value) if isinstance(value, Ref) else value


def _refs(change: Change) -> list[Ref]:
    values = list(change.fields.values())
    values += [v for ln in change.fields.get("lines") or [] for v in ln.values()]
    values += [v for mv in change.moves for v in mv.values()]
    return [v for v in values if isinstance(v, Ref)]


def _reason(exc: BaseException) -> str:
    return exc.message if isinstance(exc, SalesmetricsError) else str(exc)


def _dump(versions: dict[str, list[str]]) -> str:
    return json.dumps(versions, sort_keys=True)


def _arrow(rows: list[dict[str, Any]]) -> pa.Table:
    names = sorted({k for r in rows for k in r})
    return pa.Table.from_pylist([{k: r.get(k) for k in names} for r in rows])


def _conform(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = catalog.table(table).arrow_schema()
    names = list(rows[0])
    return pa.table({n: pa.array([r[n] for r in rows], schema.field(n).type) for n in names})
