"""The import use case: read, map, convert, validate, then apply in one transaction."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.domain.cells import inert
from salesmetrics.domain.errors import InputError
from salesmetrics.domain.money import check_currency
from salesmetrics.ingest.convert import Converted, Options, RowIssue, convert
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.header import merge_second_row
from salesmetrics.ingest.mapping import Mapping, build_mapping
from salesmetrics.ingest.model import RawTable
from salesmetrics.ingest.presets import PRESETS
from salesmetrics.ingest.read import read_table
from salesmetrics.ingest.shape import Shaped, shape
from salesmetrics.services import feedback_links
from salesmetrics.services.access import audit
from salesmetrics.services.imports import defaults, surveys
from salesmetrics.services.imports.lines import replace_lines
from salesmetrics.services.imports.links import Links, resolve
from salesmetrics.services.imports.model import ImportReport, ImportRequest
from salesmetrics.services.imports.upsert import NO_IDS, Outcome, content_ids, upsert
from salesmetrics.services.metrics import compile_rebuild_ahead, refresh_rollups
from salesmetrics.services.segments import refresh as segments
from salesmetrics.services.targets.plan import money_in_minor_units
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import imports as repo

# An import's steps, for a progress display: (step, steps done, steps in all); ("", n, n) ends.
# Each step is one vectorised pass over the whole file, so the steps are the honest unit.
Steps = Callable[[str, int, int], None]
STEPS = ("read", "convert", "write", "rollups", "segments")


def _no_steps(step: str, done: int, total: int) -> None:
    return None


def _at(steps: Steps, key: str) -> None:
    """Announce step `key` as it starts ("" once everything is done)."""
    done = STEPS.index(key) if key else len(STEPS)
    steps(key, done, len(STEPS))


class _Rejected(Exception):
    """Raised inside the transaction so that it rolls back."""


class _DryRun(Exception):
    """A dry run resolves links and matches rows for real, then rolls everything back."""


@dataclass
class Plan:
    raw: RawTable
    req: ImportRequest
    report: ImportReport
    conv: Converted
    mapping: Mapping
    sha256: str


def prepare(ws: Workspace, req: ImportRequest, steps: Steps = _no_steps) -> Plan:
    """Read, sniff, map and convert; nothing is written."""
    try:
        return _prepare(ws, req, steps)
    except IngestError as exc:
        if exc.file:
            raise
        raise IngestError(exc.reason, file=req.path.name, row=exc.row, column=exc.column) from exc


def _prepare(ws: Workspace, req: ImportRequest, steps: Steps) -> Plan:
    _at(steps, "read")
    raw = read_table(req.path, encoding=req.encoding, sheet=req.sheet, delimiter=req.delimiter)
    _at(steps, "convert")
    raw = merge_second_row(raw)
    if raw.data.num_rows == 0:
        raise IngestError(
            "the file has a header but no data rows: nothing to import", file=req.path.name
        )
    mapping = build_mapping(req.kind, raw.report.columns, req.mapping_file, req.preset, req.source)
    raw, mapping = surveys.adapt(req, raw, mapping)
    if req.currency:
        mapping = replace(mapping, currency=check_currency(req.currency))
    settings = ws.settings
    preset = PRESETS.get(mapping.preset or "")
    zone = preset.time_zone if preset and preset.time_zone else settings.time_zone
    opts = Options(
        time_zone=zone,
        base_currency=settings.base_currency,
        decimal_hint=req.decimal,
        date_format=req.date_format,
    )
    conv = convert(raw, mapping, opts)
    surveys.score_kinds(conv, mapping)
    _duplicates(conv)
    report = ImportReport(
        req.kind,
        req.path.name,
        raw.report,
        mapping,
        raw.data.num_rows,
        issues=conv.issues,
        warnings=conv.warnings,
    )
    report.headers = list(raw.data.column_names)
    report.keeps_attributes = conv.kind.attributes
    if mapping.unmapped and not conv.kind.attributes:
        ignored = ", ".join(f"'{h}'" for h in mapping.unmapped)
        report.warnings.append(
            f"{req.kind} keep no extra columns: {ignored} ignored "
            "(name them in a mapping file to use them)"
        )
    return Plan(raw, req, report, conv, mapping, _sha256(req.path))


def run_import(ws: Workspace, req: ImportRequest, steps: Steps = _no_steps) -> ImportReport:
    """Import a file: all or nothing unless skip_invalid; a dry run writes nothing. `steps`
    hears each step as it starts (see STEPS) and ("", n, n) at the end."""
    if not req.dry_run:
        compile_rebuild_ahead(ws)  # ready by the time the rollups are rebuilt
        if req.kind in segments.AFFECTS:
            segments.load_ahead()  # and the clustering library by the segments refresh
    return execute(ws, prepare(ws, req, steps), steps)


def execute(ws: Workspace, plan: Plan, steps: Steps = _no_steps) -> ImportReport:
    """Apply a prepared plan (what run_import does after reading the file)."""
    req, report = plan.req, plan.report
    try:
        if report.issues and not req.skip_invalid:
            return _rejected(plan)
        _at(steps, "write")
        try:
            ws.store.write(lambda tx: _apply(tx, ws, plan))
        except _Rejected:
            return _rejected(plan)
        except _DryRun:
            report.status = "planned"
        else:
            _after_commit(ws, req, report, steps)
    finally:
        _at(steps, "")
    _originals(plan)
    _name_headers(plan)
    return report


def _after_commit(ws: Workspace, req: ImportRequest, report: ImportReport, steps: Steps) -> None:
    _at(steps, "rollups")
    refresh_rollups(ws)
    if req.kind in segments.AFFECTS and (report.inserted or report.updated):
        _at(steps, "segments")
        segments.after_import(ws)
    audit.record(ws, req.actor, "import", object_type="import", object_id=report.import_id,
                 details={"kind": req.kind, "file": req.path.name,
                          "inserted": report.inserted, "updated": report.updated})  # fmt: skip


def _apply(tx: WriteTx, ws: Workspace, plan: Plan) -> None:
    req, report, conv = plan.req, plan.report, plan.conv
    bad = report_rows(report.issues)
    keep = ~np.isin(np.asarray(conv.rows.to_numpy(zero_copy_only=False)), list(bad))
    shaped = shape(conv, keep)
    report.issues.extend(shaped.issues)
    links = Links()
    source = plan.mapping.source
    dialect = ws.store.dialect
    tables = shaped.tables
    if conv.kind.keeps_unmatched:  # the same response when a later import links it
        tables = {t: _with_external_ids(d) for t, d in tables.items()}
    # orders' lines link through the orders kind too (their product field)
    tables = {
        t: resolve(tx, dialect, conv.kind, d, source, req.create_missing, links)
        for t, d in tables.items()
    }
    if conv.kind.keeps_unmatched:
        tables = {t: feedback_links.complete(tx, d, links) for t, d in tables.items()}
    report.issues.extend(links.issues)
    if (shaped.issues or links.issues) and not req.skip_invalid:
        raise _Rejected
    bad = report_rows(report.issues)
    tables = _drop_bad(tables, bad)
    links.unmatched = {r: named for r, named in links.unmatched.items() if r not in bad}
    report.rows_rejected = len(bad)
    import_id = repo.start(
        tx,
        {
            "kind": req.kind,
            "file_name": req.path.name,
            "file_sha256": plan.sha256,
            "started_at": datetime.now(UTC),
            "status": "running",
            "rows_read": report.rows_read,
            "mapping": json.dumps(plan.mapping.as_dict(), ensure_ascii=False),
            "user_id": req.user_id if req.user_id is not None else (req.actor.user_id or None),
        },
    )
    out = _write(tx, ws, conv.kind.table, conv.kind.key, tables, source)
    _log(tx, import_id, out, links)
    _count(report, out, conv.kind.table, tables[conv.kind.table].num_rows, links)
    report.import_id = None if req.dry_run else import_id
    report.status = "applied" if report.inserted or report.updated else "unchanged"
    repo.set_status(
        tx,
        import_id,
        report.status,
        finished_at=datetime.now(UTC),
        rows_loaded=report.inserted + report.updated,
        rows_rejected=report.rows_rejected,
    )
    if req.dry_run:
        raise _DryRun


def _write(
    tx: WriteTx,
    ws: Workspace,
    table: str,
    key: tuple[str, ...],
    tables: dict[str, pa.Table],
    source: str,
) -> Outcome:
    out = Outcome()
    main = tables[table]
    if key == ("external_id",):
        main = _with_external_ids(main)
    main = defaults.fill(tx, table, main)
    if table == "targets":
        main = money_in_minor_units(ws, main)
    upsert(tx, table, main, key, source, out)
    if "order_lines" in tables:
        replaced = replace_lines(
            tx,
            tables["order_lines"],
            main["_order"].combine_chunks(),
            out.ids,
            out.inserted.get(table, NO_IDS),
            source,
            out,
        )
        out.updated[table] = sorted(set(out.updated.get(table, [])) | replaced)
    return out


def _with_external_ids(rows: pa.Table) -> pa.Table:
    """Rows without an external id get one from their content, so a re-import matches them."""
    if "external_id" not in rows.column_names:
        return rows.append_column("external_id", content_ids(rows, "sha:"))
    ext = rows["external_id"]
    if not ext.null_count:
        return rows
    filled = pc.coalesce(ext, content_ids(rows, "sha:"))
    return rows.set_column(rows.column_names.index("external_id"), "external_id", filled)


def _log(tx: WriteTx, import_id: int, out: Outcome, links: Links) -> None:
    for table, created in links.created.items():
        repo.record(tx, import_id, table, created, "insert")
    for table, inserted in out.inserted.items():
        repo.record(tx, import_id, table, inserted, "insert")
    for label, changed, priors in out.priors:
        table, _, action = label.partition(":")
        repo.record(tx, import_id, table, changed, action or "update", list(priors))


def _count(report: ImportReport, out: Outcome, table: str, rows: int, links: Links) -> None:
    report.inserted = len(out.inserted.get(table, []))
    report.updated = len(out.updated.get(table, []))
    report.unchanged = rows - report.inserted - report.updated
    report.created_links = {t: len(ids) for t, ids in links.created.items()}
    report.unmatched = links.unmatched_counts()
    for name, n in report.unmatched.items():
        report.warnings.append(
            f"{n} row(s) link to an unknown {name.removesuffix('_id')}: kept without that link"
        )


def _drop_bad(tables: dict[str, pa.Table], bad: set[int]) -> dict[str, pa.Table]:
    if not bad:
        return tables
    marks = pa.array(sorted(bad), pa.int64())
    return {t: d.filter(pc.invert(pc.is_in(d["_row"], value_set=marks))) for t, d in tables.items()}


def _duplicates(conv: Converted) -> None:
    """The same external id (or a customer's email or phone) twice in one file.

    Orders repeat their id on purpose, once per line.
    """
    names = [] if conv.kind.line_table else ["external_id", *conv.kind.unique]
    rows = conv.rows.to_pylist()
    for name in [n for n in names if n in conv.data.column_names]:
        first: dict[str, int] = {}
        for value, row in zip(conv.data[name].to_pylist(), rows, strict=True):
            if value is None or value == "":
                continue
            if value in first:
                reason = f"'{value}' appears again (first at row {first[value]})"
                conv.issues.append(RowIssue(int(row), name, value, reason))
            else:
                first[value] = int(row)


def _rejected(plan: Plan) -> ImportReport:
    report = plan.report
    report.status = "rejected"
    report.rows_rejected = len(report_rows(report.issues))
    _originals(plan)
    _name_headers(plan)
    return report


def _name_headers(plan: Plan) -> None:
    """Issues found after mapping name a field; the user knows the column by its header."""
    header_of: dict[str, str] = {}
    for header, name in plan.mapping.columns.items():
        header_of.setdefault(name, header)
    headers = set(plan.report.headers)
    plan.report.issues = [
        replace(i, column=header_of[i.column])
        if i.column and i.column not in headers and i.column in header_of
        else i
        for i in plan.report.issues
    ]


def _originals(plan: Plan, limit: int = 10_000) -> None:
    """Keep the bad rows as read, for the errors file."""
    bad = sorted(report_rows(plan.report.issues))[:limit]
    if not bad:
        return
    raw = plan.raw
    picked = raw.data.filter(pc.is_in(raw.row_numbers, value_set=pa.array(bad, pa.int64())))
    numbers = raw.row_numbers.filter(pc.is_in(raw.row_numbers, value_set=pa.array(bad, pa.int64())))
    cells = zip(*(picked[c].to_pylist() for c in picked.column_names), strict=True)
    plan.report.originals = {
        int(n): list(r) for n, r in zip(numbers.to_pylist(), cells, strict=True)
    }


def report_rows(issues: list[RowIssue]) -> set[int]:
    return {i.row for i in issues}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_errors(report: ImportReport, target: Path) -> Path:
    """The errors file (CSV, UTF-8 with BOM for Excel): row, column, value, reason, then the
    original row's cells under the file's own headers."""
    if not report.issues:
        raise InputError("there are no errors to write")
    with target.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "column", "value", "reason", *report.headers])
        for issue in sorted(report.issues, key=lambda i: (i.row, i.column or "")):
            original = report.originals.get(issue.row, [])
            cells = [issue.row, issue.column or "", issue.value or "", issue.reason, *original]
            writer.writerow([inert(v) for v in cells])
    return target


__all__ = [
    "ImportReport",
    "ImportRequest",
    "Plan",
    "Shaped",
    "execute",
    "prepare",
    "run_import",
    "write_errors",
]
