"""Customer segment endpoints: RFM segments, behaviour clusters and lifetime value, for the
customers in the caller's view; the playbook of each segment; a segment's customers as a file.
Thin: parse, call services/segments, answer in their JSON shapes (shares as fractions, money in
minor units of the base currency)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep, WriterDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.services import exports
from salesmetrics.services.segments import clusters as cl
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments import playbooks as pb
from salesmetrics.services.segments.export import export_segment
from salesmetrics.services.segments.rfm import rfm as rfm_report
from salesmetrics.services.workspace import Workspace

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])
Lang = Literal["uk", "en"]
ERRORS = problem_responses(422, 503)
Answer = dict[str, Any]
LAST_DAY = date.max - timedelta(days=1)  # a day is read up to the start of the next one
AS_OF = Field(default=None, le=LAST_DAY, description="As at the end of this day [today]")


def _day(ws: Workspace, as_of: date | None) -> date:
    return as_of or ws.metrics.today()


class RfmQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = AS_OF
    k: int = Field(default=5, ge=3, le=10, description="Score steps (5: quintiles)")
    lang: Lang = Field(default="en", description="Language of segment names")


@router.get("/rfm", response_model=Answer, responses=ERRORS)
def rfm(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[RfmQuery, Query()]) -> Any:
    """RFM segments: sizes, revenue and means per segment, the R x FM grid, and the moves
    between segments since the end of last month."""
    return rfm_report(ws, who, _day(ws, q.as_of), k=q.k, lang=q.lang).as_dict()


class ClusterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = AS_OF
    k: int | None = Field(default=None, ge=2, le=12, description="Force this many clusters")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed")
    lang: Lang = Field(default="en", description="Language of the descriptions")
    customers: bool = Field(default=False, description="List every customer's cluster")


@router.get("/clusters", response_model=Answer, responses=ERRORS)
def clusters(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[ClusterQuery, Query()]) -> Any:
    """Behaviour clusters with k chosen by the silhouette, each described in words."""
    r = cl.clusters(ws, who, _day(ws, q.as_of), seed=q.seed, k=q.k, lang=q.lang)
    return r.as_dict(customers=q.customers)


class ClvQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = AS_OF
    calibration_end: date | None = Field(
        default=None, description="Learn up to this day; the days after it check the models"
    )
    time_unit: Literal["day", "week", "month"] = Field(default="week")
    model: Literal["auto", "bgnbd", "mbgnbd"] = Field(
        default="bgnbd", description="Purchase model; auto: the one of higher likelihood"
    )
    months: int = Field(default=12, ge=1, le=120, description="Horizon of the value")
    discount: float = Field(default=0.01, gt=-1, le=1, description="Monthly discount rate")
    margin: float = Field(default=1.0, gt=0, le=1, description="Profit share of revenue")
    customers: bool = Field(default=True, description="List every customer's figures")


@router.get("/clv", response_model=Answer, responses=ERRORS)
def clv(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[ClvQuery, Query()]) -> Any:
    """The purchase model's (BG/NBD or MBG/NBD) and Gamma-Gamma's parameters, the holdout
    check, each customer's P(alive), expected purchases, expected spend and discounted value,
    and the valuable customers at risk."""
    day = _day(ws, q.as_of)
    settings = value.Settings(day, q.calibration_end or day, q.time_unit, q.months, q.discount,
                              q.margin, q.model)  # fmt: skip
    return value.clv(ws, who, settings).as_dict(customers=q.customers)


# ---------------------------------------------------------------- playbooks

Code = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="A segment's code")]


class PlaybookQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Lang = Field(default="en", description="Language of the texts")
    text: bool = Field(default=False, description="Also the table's YAML, to edit and PUT back")


@router.get("/playbooks", response_model=Answer, responses=problem_responses(400, 422, 503))
def playbooks(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[PlaybookQuery, Query()]) -> Any:
    """Every segment's goal, recommended tactics and KPIs to watch."""
    found = [p.as_dict() for p in pb.playbooks(ws, q.lang)]
    out: Answer = {"builtin": pb.is_builtin(ws), "playbooks": found}
    if q.text:
        out["text"] = pb.playbooks_text(ws)
    return out


class LangQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Lang = Field(default="en", description="Language of the texts")


@router.get("/playbooks/{segment}", response_model=Answer,
            responses=problem_responses(400, 404, 422, 503))  # fmt: skip
def playbook(segment: Code, ws: WorkspaceDep, who: PrincipalDep,
             q: Annotated[LangQuery, Query()]) -> Any:  # fmt: skip
    """One segment's goal, recommended tactics and KPIs to watch."""
    return pb.playbook(ws, segment, q.lang).as_dict()


class PlaybooksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(
        max_length=200_000, description="The playbook table as YAML; null: the built-in one"
    )


@router.put("/playbooks", response_model=Answer, responses=problem_responses(403, 422, 503))
def set_playbooks(body: PlaybooksIn, ws: WorkspaceDep, who: WriterDep) -> Any:
    """Store the workspace's own playbook table, checked first (owners); every problem of a bad
    table is in the 422's detail, and nothing is stored."""
    text = pb.set_playbooks(ws, who, body.text)
    return {"builtin": pb.is_builtin(ws), "text": text}


# ---------------------------------------------------------------- export


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segment: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,39}$",
                                description="An RFM segment's code")  # fmt: skip
    cluster: int | None = Field(default=None, ge=1, le=100,
                                description="Or a behaviour cluster's number (1 to k)")  # fmt: skip
    format: Literal["csv", "xlsx"] = Field(default="csv", description="CSV or an Excel workbook")
    as_of: date | None = AS_OF
    lang: Lang = Field(default="en", description="Language of the segment names")


EXPORT_ANSWERS = {
    200: {"content": {media: {} for media in exports.MEDIA.values()},
          "description": "The file, offered for download."},
    **problem_responses(422, 503),
}  # fmt: skip


@router.get("/export", response_class=Response, responses=EXPORT_ANSWERS)
def export(request: Request, ws: WorkspaceDep, who: PrincipalDep,
           q: Annotated[ExportQuery, Query()]) -> Response:  # fmt: skip
    """The customers of one RFM segment or behaviour cluster in the caller's view, segmented as
    the RFM report for that day, as CSV or XLSX for a campaign. Recorded in the audit log."""
    address = request.client.host if request.client else None
    done = export_segment(ws, who, q.format, _day(ws, q.as_of), segment=q.segment,
                          cluster=q.cluster, lang=q.lang, address=address)  # fmt: skip
    return Response(done.data, media_type=done.media_type, headers={
        "Content-Disposition": f'attachment; filename="{done.file_name}"',
        "X-Total-Count": str(done.rows),
    })  # fmt: skip
