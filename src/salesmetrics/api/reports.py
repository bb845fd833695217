"""Reports as files: GET /api/v1/reports?format=xlsx|pdf&period=&scope=&lang= answers the report
of the period and scope as the caller sees it, offered for download. Thin: parse, call
services/reports, answer the bytes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.services.reports.build import DEFAULT_PERIOD
from salesmetrics.services.reports.files import MEDIA, report_file
from salesmetrics.services.reports.scope import SCOPE_HELP

router = APIRouter(prefix="/api/v1", tags=["reports"])
ANSWERS = {
    200: {"content": {media: {} for media in MEDIA.values()},
          "description": "The report, offered for download."},
    **problem_responses(403, 404, 422, 503),
}  # fmt: skip


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["xlsx", "pdf"] = Field(default="xlsx", description="xlsx or pdf")
    period: str = Field(default=DEFAULT_PERIOD, max_length=40,
                        description="A named period, YYYY-MM, YYYY-Qn, YYYY or "
                        "YYYY-MM-DD..YYYY-MM-DD")  # fmt: skip
    scope: str = Field(default="company", max_length=120, description=SCOPE_HELP)
    lang: Literal["uk", "en"] | None = Field(default=None, description="Language [the workspace's]")
    sections: str | None = Field(default=None, max_length=200,
                                 description="Only these sections, comma-separated "
                                 "(headline, trend, targets, team, pipeline, segments, "
                                 "feedback, channels, forecast, insights) [all]")  # fmt: skip
    as_of: date | None = Field(default=None, ge=date(1900, 1, 1), le=date(9999, 12, 30),
                               description="Periods seen from this day [today]")  # fmt: skip


@router.get("/reports", response_class=Response, responses=ANSWERS)
def report(request: Request, ws: WorkspaceDep, who: PrincipalDep,
           q: Annotated[ReportQuery, Query()]) -> Response:  # fmt: skip
    """The report (headline KPIs, revenue by month, targets, team, pipeline, segments,
    feedback) of a period and scope, as XLSX or PDF, of the records the caller sees; recorded
    in the audit log."""
    address = request.client.host if request.client else None
    made = report_file(ws, who, q.format, period=q.period, scope=q.scope, lang=q.lang,
                       as_of=q.as_of, address=address,
                       sections=_split(q.sections))  # fmt: skip
    return Response(made.data, media_type=made.media_type, headers={
        "Content-Disposition": f'attachment; filename="{made.file_name}"'})  # fmt: skip


def _split(text: str | None) -> list[str] | None:
    return [x.strip() for x in text.split(",") if x.strip()] if text else None
