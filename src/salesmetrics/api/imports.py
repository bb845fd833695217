"""Import endpoints: upload and preview, confirm, cancel, list, show, errors file, revert.

The same import service as `salesmetrics import`: a preview is its dry run, a confirm its real
run (all or nothing), a revert its revert.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.exceptions import HTTPException
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute

from salesmetrics.api.deps import WorkspaceDep, WriterDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.api.import_schemas import (
    KIND_HELP,
    ConfirmIn,
    ImportList,
    ImportOut,
    PreviewOut,
    RevertOut,
)
from salesmetrics.domain.errors import TooLargeError
from salesmetrics.services.imports import log, preview, uploads
from salesmetrics.services.imports.revert import revert_import

PREFIX = "/api/v1/imports"
_SLACK = 256 * 1024  # room for the form's other fields and the multipart framing


class _Overflow(HTTPException):
    """Raised while the body is read; FastAPI lets HTTPExceptions through its form parsing."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class UploadRoute(APIRoute):
    """A route that stops reading an upload as soon as it passes the size limit."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            if request.method != "POST":
                return await handler(request)
            limit = uploads.limit_bytes() + _SLACK
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                return await self.too_large(request, uploads.too_large(int(declared)))
            seen = 0
            receive = request.receive

            async def counting() -> Any:
                nonlocal seen
                message = await receive()
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _Overflow
                return message

            try:
                return await handler(Request(request.scope, counting))
            except _Overflow:
                return await self.too_large(request, uploads.too_large())

        return limited

    async def too_large(self, request: Request, error: TooLargeError) -> Response:
        """The API answers with a problem (the web page overrides this with a page)."""
        raise error


router = APIRouter(prefix=PREFIX, tags=["imports"], route_class=UploadRoute)


def _with_links(data: dict[str, Any]) -> dict[str, Any]:
    if "preview_id" in data:
        has = data.get("errors_total", 0) > 0
        return {**data, "errors_csv": f"{PREFIX}/{data['preview_id']}/errors.csv" if has else None}
    has = bool(data.get("errors_file"))
    return {**data, "errors_csv": f"{PREFIX}/{data['id']}/errors.csv" if has else None}


@router.post("", response_model=PreviewOut, responses=problem_responses(413, 422, 503))
def upload(
    ws: WorkspaceDep,
    who: WriterDep,
    file: Annotated[UploadFile, File(description="CSV/TSV, XLSX, Parquet or JSON lines")],
    kind: Annotated[str, Form(description=KIND_HELP, examples=["orders"])],
    encoding: Annotated[str | None, Form(description="override the detected encoding")] = None,
    sheet: Annotated[str | None, Form(description="XLSX sheet [first]")] = None,
    delimiter: Annotated[str | None, Form(description="override the detected delimiter")] = None,
    preset: Annotated[str | None, Form(description="a known export, e.g. shopify_orders")] = None,
    source: Annotated[str | None, Form(description="where the rows come from [import]")] = None,
    currency: Annotated[str | None, Form(description="money without a currency is in")] = None,
    date_format: Annotated[
        str | None, Form(description="DD.MM.YYYY, YYYY-MM-DD or MM/DD/YYYY [detected]")
    ] = None,
    decimal: Annotated[str | None, Form(description="decimal separator ',' or '.'")] = None,
    mapping: Annotated[str | None, Form(description="a mapping file's YAML text")] = None,
    skip_invalid: Annotated[bool, Form(description="load the good rows, skip the bad")] = False,
    create_missing: Annotated[bool, Form(description="create unknown linked records")] = True,
    dry_run: Annotated[bool, Form(description="preview only; confirm later")] = True,
    max_errors: Annotated[int, Form(ge=0, le=1000, description="errors listed")] = 20,
) -> dict[str, Any]:
    """Upload a file and preview its import: what was detected, the column mapping, what would
    be inserted, updated or rejected, and the first errors. Confirm the preview to import it
    (or pass dry_run=false to import at once: a rejected import writes nothing)."""
    options = preview.UploadOptions(
        kind, encoding or None, sheet or None, delimiter or None, preset or None, source or None,
        currency or None, date_format or None, decimal or None, mapping or None, skip_invalid,
        create_missing,
    )  # fmt: skip
    result = preview.start(
        ws, file.filename, file.file, options, dry_run=dry_run, max_errors=max_errors, actor=who
    )
    return _with_links(result)


@router.get("", response_model=ImportList, responses=problem_responses(422, 503))
def list_imports(
    ws: WorkspaceDep,
    who: WriterDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ImportList:
    """Past imports, newest first, with what each inserted and updated."""
    rows, total = log.page(ws, limit, offset)
    data = [ImportOut.model_validate(_with_links(r)) for r in rows]
    return ImportList(data=data, count=total, limit=limit, offset=offset)


@router.get(
    "/previews/{preview_id}", response_model=PreviewOut, responses=problem_responses(404, 422)
)
def show_preview(preview_id: str, ws: WorkspaceDep, who: WriterDep) -> dict[str, Any]:
    """A preview still waiting for a confirm, as it was shown after the upload."""
    return _with_links(preview.get(ws, preview_id))


@router.get("/{import_id}", response_model=ImportOut, responses=problem_responses(404, 422))
def show_import(import_id: int, ws: WorkspaceDep, who: WriterDep) -> dict[str, Any]:
    """One import: counts, status and what it changed per table."""
    return _with_links(log.summary(ws, import_id))


@router.get(
    "/{ref}/errors.csv",
    response_class=FileResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "the errors file"},
        **problem_responses(404, 422),
    },
)
def errors_csv(ref: str, ws: WorkspaceDep, who: WriterDep) -> FileResponse:
    """The errors file of a preview (by its id) or of an import that skipped rows (by number):
    row, column, value, reason, then the row's cells as read (the file `salesmetrics import`
    writes)."""
    path = preview.errors_file(ws, ref)
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"{ref}.errors.csv")


@router.post(
    "/{preview_id}/confirm", response_model=ImportOut, responses=problem_responses(404, 422, 503)
)
def confirm(
    preview_id: str, ws: WorkspaceDep, who: WriterDep, body: ConfirmIn | None = None
) -> dict[str, Any]:
    """Import a previewed file for real. A rejected import writes nothing (422 problem); the
    preview stays, with its errors file."""
    skip = body.skip_invalid if body else None
    return _with_links(preview.confirm(ws, preview_id, skip_invalid=skip, actor=who))


@router.post("/{preview_id}/cancel", status_code=204, responses=problem_responses(404, 422))
def cancel(preview_id: str, ws: WorkspaceDep, who: WriterDep) -> Response:
    """Forget a preview and its uploaded file."""
    preview.cancel(ws, preview_id)
    return Response(status_code=204)


@router.post(
    "/{import_id}/revert", response_model=RevertOut, responses=problem_responses(404, 409, 422)
)
def revert(
    import_id: int,
    ws: WorkspaceDep,
    who: WriterDep,
    cascade: Annotated[bool, Query(description="also revert later imports of the same rows")] = (
        False
    ),
) -> RevertOut:
    """Restore the exact state before an import. 409 when a later import changed the same rows
    (revert that first, or pass cascade=true)."""
    return RevertOut(reverted=revert_import(ws, import_id, cascade=cascade, actor=who))
