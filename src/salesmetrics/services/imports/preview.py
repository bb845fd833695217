"""Upload, preview, then confirm: the import service for the API and the Data page.

A preview is a dry run of the real import (links resolved, rows matched, then rolled back)
that reads past bad rows, so it lists every problem and what the good rows would do. The file
waits in the uploads folder until the user confirms (the real import: all or nothing, as in the
CLI), cancels, or it expires.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from salesmetrics.domain.access import LOCAL, Principal
from salesmetrics.domain.errors import InputError, NotFoundError, SalesmetricsError
from salesmetrics.domain.money import check_currency
from salesmetrics.ingest.dates import DateFormat
from salesmetrics.ingest.kinds import KINDS
from salesmetrics.ingest.mapping import kind_of
from salesmetrics.ingest.presets import PRESETS
from salesmetrics.services.imports import log, uploads
from salesmetrics.services.imports.detect import detect
from salesmetrics.services.imports.model import ImportReport, ImportRequest
from salesmetrics.services.imports.run import execute, prepare, write_errors
from salesmetrics.services.workspace import Workspace


class ImportRejectedError(InputError):
    """Confirming would leave bad rows behind: nothing was written."""


def kinds() -> list[str]:
    """What a file may hold, in the order the docs list them."""
    return list(KINDS)


def presets() -> dict[str, str]:
    """Known exports: preset name -> the kind it imports."""
    return {name: p.kind for name, p in PRESETS.items()}


@dataclass(frozen=True)
class UploadOptions:
    """The CLI's import options, as a form or an API call gives them."""

    kind: str
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    preset: str | None = None
    source: str | None = None
    currency: str | None = None
    date_format: str | None = None
    decimal: str | None = None
    mapping: str | None = None  # the text of a mapping file (YAML)
    skip_invalid: bool = False
    create_missing: bool = True

    def check(self) -> UploadOptions:
        """Refuse an unknown kind, currency, date format or separator before keeping a file."""
        kind_of(self.kind)
        if self.currency:
            check_currency(self.currency)
        if self.date_format:
            DateFormat.parse(self.date_format)
        if self.decimal not in (None, ".", ","):
            raise InputError(f"decimal separator '{self.decimal}' must be ',' or '.'")
        return self

    def request(
        self, upload: uploads.Upload, *, dry_run: bool, actor: Principal = LOCAL
    ) -> ImportRequest:
        mapping = upload.mapping_file if self.mapping else None
        return ImportRequest(
            self.kind, upload.file, mapping, self.preset, self.source, self.encoding,
            self.sheet, self.delimiter, self.date_format, self.decimal, dry_run,
            self.skip_invalid, self.create_missing, currency=self.currency, actor=actor,
        )  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UploadOptions:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def start(
    ws: Workspace,
    name: str | None,
    stream: BinaryIO,
    options: UploadOptions,
    *,
    dry_run: bool = True,
    max_errors: int = 20,
    actor: Principal = LOCAL,
) -> dict[str, Any]:
    """Keep an uploaded file and preview its import (or, with dry_run=False, import it now)."""
    options.check()
    upload = uploads.save(ws, name, stream)
    try:
        if options.mapping:
            upload.mapping_file.write_text(options.mapping, encoding="utf-8")
        return (
            _preview(ws, upload, options, max_errors)
            if dry_run
            else _now(ws, upload, options, max_errors, actor)
        )
    except ImportRejectedError:
        raise  # the file stays as a preview: its errors file can be downloaded
    except SalesmetricsError as exc:
        uploads.discard(upload)
        # the user knows the mapping as their text, not as a file in our uploads folder
        exc.message = exc.message.replace(str(upload.mapping_file), "the mapping")
        exc.args = (exc.message,)
        raise
    except BaseException:
        uploads.discard(upload)
        raise


def _preview(
    ws: Workspace, upload: uploads.Upload, options: UploadOptions, max_errors: int
) -> dict[str, Any]:
    # Past bad rows (skip_invalid), so links are checked too and every problem is listed.
    req = replace(options.request(upload, dry_run=True), skip_invalid=True)
    plan = prepare(ws, req)
    report = execute(ws, plan)
    if report.issues and not options.skip_invalid:
        report.status = "rejected"
    elif not (report.inserted or report.updated or report.created_links):
        report.status = "unchanged"
    result = _result(upload, options, report, detect(plan).as_dict(), max_errors)
    _keep(upload, options, result, report)
    return result


def _now(
    ws: Workspace, upload: uploads.Upload, options: UploadOptions, max_errors: int,
    actor: Principal,
) -> dict[str, Any]:  # fmt: skip
    plan = prepare(ws, options.request(upload, dry_run=False, actor=actor))
    detected = detect(plan).as_dict()
    report = execute(ws, plan)
    result = _result(upload, options, report, detected, max_errors)
    if report.status == "rejected":
        _keep(upload, options, result, report)
        raise _rejection(report, upload.id)
    _done(ws, upload, report)
    return result


def confirm(
    ws: Workspace, preview_id: str, skip_invalid: bool | None = None, *,
    actor: Principal = LOCAL,
) -> dict[str, Any]:  # fmt: skip
    """Run the real import of a preview; a rejected import writes nothing and keeps the preview."""
    taken = uploads.claim(uploads.find(ws, preview_id))
    try:
        meta = taken.read_meta()
        options = UploadOptions.from_dict(meta["options"])
        if skip_invalid is not None:
            options = replace(options, skip_invalid=skip_invalid)
        report = execute(ws, prepare(ws, options.request(taken, dry_run=False, actor=actor)))
    except BaseException:
        uploads.release(taken)
        raise
    if report.status == "rejected":
        if report.issues:
            write_errors(report, taken.errors_file)
        uploads.release(taken)
        raise _rejection(report, preview_id)
    _done(ws, taken, report)
    assert report.import_id is not None
    return {**log.summary(ws, report.import_id), "warnings": report.warnings}


def _done(ws: Workspace, upload: uploads.Upload, report: ImportReport) -> None:
    """Keep the errors of rows skipped by an applied import; drop the upload."""
    if report.issues and report.import_id is not None:
        target = uploads.import_errors_file(ws, report.import_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_errors(report, target)
    uploads.discard(upload)


def _rejection(report: ImportReport, preview_id: str) -> ImportRejectedError:
    first = report.issues[0] if report.issues else None
    return ImportRejectedError(
        f"import rejected: {report.rows_rejected} row(s) have problems, nothing was written"
        + (f" (first: {first})" if first else "")
        + f"; the errors file of preview {preview_id} lists them all"
    )


def get(ws: Workspace, preview_id: str) -> dict[str, Any]:
    """A preview as it was shown after the upload."""
    result: dict[str, Any] = uploads.find(ws, preview_id).read_meta()["result"]
    return result


def cancel(ws: Workspace, preview_id: str) -> None:
    """Forget a preview and its file."""
    uploads.discard(uploads.find(ws, preview_id))


def errors_file(ws: Workspace, ref: str) -> Path:
    """The errors file of a preview (by its id) or of an import made by upload (by number)."""
    if ref.isascii() and ref.isdigit():
        path = uploads.import_errors_file(ws, int(ref))
        if not path.is_file():
            log.show_import(ws, int(ref))  # a missing import is a 404 of its own
            raise NotFoundError(f"import {ref} has no errors file: it had no rejected rows")
        return path
    path = uploads.find(ws, ref).errors_file
    if not path.is_file():
        raise NotFoundError(f"preview {ref} found no errors")
    return path


def _result(
    upload: uploads.Upload,
    options: UploadOptions,
    report: ImportReport,
    detected: dict[str, Any],
    max_errors: int,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=uploads.ttl_seconds())
    issues = sorted(report.issues, key=lambda i: (i.row, i.column or ""))
    return {
        "preview_id": upload.id,
        "status": report.status,
        "import_id": report.import_id,
        "kind": report.kind,
        "file": report.file,
        "size_bytes": upload.file.stat().st_size,
        "created_at": now.isoformat(timespec="seconds"),
        "expires_at": expires.isoformat(timespec="seconds"),
        "options": {k: v for k, v in asdict(options).items() if k != "mapping"},
        "sniff": {**_sniff(report), **detected},
        "mapping": _mapping(report),
        "counts": _counts(report),
        "created_links": report.created_links,
        "warnings": report.warnings,
        "errors_total": len(issues),
        "errors": [
            {"row": i.row, "column": i.column, "value": i.value, "reason": i.reason}
            for i in issues[: max(0, max_errors)]
        ],
    }


def _sniff(report: ImportReport) -> dict[str, Any]:
    s = report.sniff
    return {
        "format": s.format,
        "encoding": s.encoding,
        "delimiter": s.delimiter,
        "header_row": s.header_row,
        "sheet": s.sheet,
        "rows": report.rows_read,
        "notes": list(s.notes),
    }


def _mapping(report: ImportReport) -> dict[str, Any]:
    m = report.mapping
    return {
        "columns": m.columns,
        "unmapped": m.unmapped,
        "unmapped_kept": report.keeps_attributes,
        "preset": m.preset,
        "source": m.source,
    }


def _counts(report: ImportReport) -> dict[str, int]:
    return {
        "read": report.rows_read,
        "insert": report.inserted,
        "update": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rows_rejected,
    }


def _keep(
    upload: uploads.Upload, options: UploadOptions, result: dict[str, Any], report: ImportReport
) -> None:
    if report.issues:
        write_errors(report, upload.errors_file)
    upload.write_meta({"options": asdict(options), "result": result})
