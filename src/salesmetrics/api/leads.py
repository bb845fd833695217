"""Lead scoring endpoints: the work queue, one lead's explanation, the model card, and training
(owners). Thin: parse, call services/leads, answer in its JSON shapes (probabilities as
fractions, money in minor units)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep, WriterDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.services.leads import scoring, training

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
Lang = Literal["uk", "en"]
ERRORS = problem_responses(404, 422, 503)
Answer = dict[str, Any]


class QueueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rep: Text | None = Field(default=None, description="A rep's id, name or e-mail")
    team: Text | None = Field(default=None, description="A team's id or name")
    limit: int = Field(default=50, ge=1, le=100_000, description="Leads to return")
    all: bool = Field(default=False, description="Every open lead in view (ignores limit)")
    lang: Lang = Field(default="en", description="Language of the reasons and next steps")


@router.get("/scores", response_model=Answer, responses=ERRORS)
def scores(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[QueueQuery, Query()]) -> Any:
    """The work queue: open leads in the caller's view, highest expected value first, each with
    its probability, top factors in points and a suggested next step."""
    return scoring.queue(ws, who, rep=q.rep, team=q.team, lang=q.lang,
                         limit=None if q.all else q.limit).as_dict()  # fmt: skip


@router.get("/scores/{lead}", response_model=Answer, responses=ERRORS)
def explain(ws: WorkspaceDep, who: PrincipalDep,
            lead: Annotated[str, Path(min_length=1, max_length=200,
                                      description="The lead's id or external id")],
            lang: Annotated[Lang, Query()] = "en") -> Any:  # fmt: skip
    """One open lead's score with every factor that pushes it up or down."""
    return scoring.explain(ws, who, lead, lang=lang).as_dict()


@router.get("/model", response_model=Answer, responses=problem_responses(403, 404, 422, 503))
def model_card(ws: WorkspaceDep, who: PrincipalDep, lang: Annotated[Lang, Query()] = "en") -> Any:
    """The model in force with its held-out evaluation (AUC, lift, calibration, baselines),
    drivers and leakage-screen exclusions; for people who see every rep's leads."""
    return training.card(ws, who, lang).as_dict()


class TrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep: list[Text] = Field(
        default_factory=list, max_length=50,
        description="Columns the leakage screen flagged, to use anyway",
    )  # fmt: skip


@router.post("/model", response_model=Answer, status_code=201,
             responses=problem_responses(403, 404, 422, 503))  # fmt: skip
def train(body: TrainIn, ws: WorkspaceDep, who: WriterDep) -> Any:
    """Train on the decided leads and store the model with its evaluation (owners)."""
    return training.train_model(ws, who, keep=body.keep).as_dict()
