"""Feedback endpoints: the summary, comment themes, how one comment reads, the detractor
follow-ups and the responses linked to no customer, for the responses in the caller's view.
Thin: parse, call services/feedback, answer in their JSON shapes (NPS from -100 to 100, CSAT and
shares as fractions)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.services import feedback_links
from salesmetrics.services.feedback import followups
from salesmetrics.services.feedback.followups import FollowUp
from salesmetrics.services.feedback.lexicon import reader
from salesmetrics.services.feedback.outcomes import outcomes
from salesmetrics.services.feedback.summary import summary as summary_of
from salesmetrics.services.feedback.themes import DEFAULT_PERIOD
from salesmetrics.services.feedback.themes import themes as themes_of

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])
ERRORS = problem_responses(422, 503)
Answer = dict[str, Any]
FollowUpId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The follow-up's id.")]


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(default=DEFAULT_PERIOD, max_length=40,
                        description="A named period or YYYY-MM-DD..YYYY-MM-DD")  # fmt: skip
    as_of: date | None = Field(default=None, le=date(9999, 12, 30),
                               description="Periods seen from this day [today]")  # fmt: skip
    lang: Literal["uk", "en"] = Field(default="en", description="Language of theme names")


class ThemesQuery(Period):
    suggest: bool = Field(default=False, description="Group untagged comments into suggestions")


@router.get("/summary", response_model=Answer, responses=ERRORS)
def summary(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[Period, Query()]) -> Any:
    """NPS and CSAT with intervals against the period before, by rep and product, the tone of
    the comments and the themes with the most detractors."""
    return summary_of(ws, who, q.period, lang=q.lang, as_of=q.as_of).as_dict()


@router.get("/themes", response_model=Answer, responses=ERRORS)
def themes(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[ThemesQuery, Query()]) -> Any:
    """Comment themes ranked by detractor responses, with their products and words."""
    return themes_of(ws, who, q.period, lang=q.lang, suggestions=q.suggest,
                     as_of=q.as_of).as_dict()  # fmt: skip


class ReadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000, description="A comment",
                      examples=["Чайник протікає, а підтримка не відповідає"])  # fmt: skip


@router.post("/read", response_model=Answer, responses=ERRORS)
def read(ws: WorkspaceDep, who: PrincipalDep, body: ReadBody) -> Any:
    """How the lexicons in force read one comment: themes, tone and the words behind them."""
    r = reader(ws).read(body.text)
    return {"themes": list(r.themes), "hits": {k: list(v) for k, v in r.hits.items()},
            "sentiment": r.sentiment, "tone": r.tone, "cues": list(r.cues)}  # fmt: skip


def _followup(f: FollowUp, now: datetime) -> Answer:
    return {**asdict(f), "overdue": followups.is_overdue(f, now)}


class FollowUpQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["open", "done", "all"] = Field(default="open")
    limit: int = Field(default=100, ge=1, le=1000)


@router.get("/followups", response_model=Answer, responses=ERRORS)
def followup_list(ws: WorkspaceDep, who: PrincipalDep,
                  q: Annotated[FollowUpQuery, Query()]) -> Any:  # fmt: skip
    """The detractor follow-ups in view: open ones oldest due first."""
    now = datetime.now(UTC)
    rows = followups.queue(ws, who, q.state, q.limit)
    return {"data": [_followup(f, now) for f in rows], "due_hours": followups.DUE_HOURS}


class DoneBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(
        default=None,
        max_length=followups.MAX_NOTE,
        description="What was done",
        examples=["Called, sent a new kettle"],
    )


@router.post("/followups/{followup_id}/done", response_model=Answer,
             responses=problem_responses(403, 404, 409, 422, 503))  # fmt: skip
def followup_done(followup_id: FollowUpId, ws: WorkspaceDep, who: PrincipalDep,
                  body: DoneBody) -> Any:  # fmt: skip
    """Close a follow-up with what was done: its rep, their manager or the owner."""
    return _followup(followups.close(ws, who, followup_id, body.note), datetime.now(UTC))


@router.get("/followups/timing", response_model=Answer, responses=ERRORS)
def followup_timing(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[Period, Query()]) -> Any:
    """Per rep, the follow-ups opened in the period: done, on time, open past due, and the
    median hours from the response to done (slowest first)."""
    rows = followups.timing(ws, who, q.period)
    return {"period": q.period, "due_hours": followups.DUE_HOURS,
            "reps": [r.as_dict() for r in rows]}  # fmt: skip


class UnmatchedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=feedback_links.DEFAULT_LIMIT, ge=1, le=feedback_links.MAX_LIMIT)


@router.get("/unmatched", response_model=Answer, responses=ERRORS)
def unmatched(ws: WorkspaceDep, who: PrincipalDep, q: Annotated[UnmatchedQuery, Query()]) -> Any:
    """The responses linked to no customer in view, newest first: `data` (each with `named`,
    the links it gave that matched nothing) and `count`, all of them."""
    return feedback_links.unmatched(ws, who, q.limit).as_dict()


class OutcomesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(
        default="trailing_12_months",
        max_length=40,
        description="When the answers came; only those 90 days old count",
    )
    as_of: date | None = Field(default=None, le=date(9999, 12, 30))


@router.get("/outcomes", response_model=Answer, responses=ERRORS)
def outcomes_report(ws: WorkspaceDep, who: PrincipalDep,
                    q: Annotated[OutcomesQuery, Query()]) -> Any:  # fmt: skip
    """What promoters, passives and detractors bought in the 90 days after their latest answer,
    and NPS beside repeat purchase, churn and revenue per segment, with its caveat."""
    return outcomes(ws, who, q.period, q.as_of).as_dict()
