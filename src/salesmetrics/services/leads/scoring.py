"""Lead scores as people read them: the work queue (open leads in the asker's view ranked by
expected value, each with its score, its strongest reasons and a next step) and one lead's full
explanation. Scores are computed when read, from the newest stored model (or the points table
before there is one), so a lead's score moves as soon as an event changes the lead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from salesmetrics.analytics.leads.model import LeadModel
from salesmetrics.analytics.leads.rules import RuleError, RuleTable
from salesmetrics.analytics.leads.scorer import Ranked, Scorer
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import ConfigError, NotFoundError
from salesmetrics.services.leads import texts
from salesmetrics.services.leads.frame import LeadFrame, frame
from salesmetrics.services.pipeline.common import reps_asked
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import lead_features as repo
from salesmetrics.storage.repositories.lead_features import OPEN, LeadFilter, StoredModel

QUEUE_FACTORS = 3


def builtin_points() -> str:
    return (resources.files("salesmetrics.services.leads") / "points.yaml").read_text("utf-8")


def points_table(text: str) -> RuleTable:
    """A points table from its YAML, or a ConfigError naming the rule at fault."""
    try:
        return RuleTable.from_dict(yaml.safe_load(text))
    except (yaml.YAMLError, RuleError) as exc:
        raise ConfigError(f"lead points table: {exc}") from exc


def workspace_points(ws: Workspace) -> RuleTable:
    return points_table(ws.settings.lead_rules or builtin_points())


@lru_cache(maxsize=8)
def _loaded(url: str, model_id: int, params_json: str) -> Scorer:
    import json

    params = json.loads(params_json)
    model = LeadModel.from_json(params["model"]) if params.get("model") else None
    return Scorer(RuleTable.from_dict(params["rules"]), model, float(params["share"]))


def current(ws: Workspace) -> tuple[Scorer, StoredModel | None]:
    """The scorer in force: the newest stored model, or the points table alone."""
    stored = repo.latest_model(ws.store)
    if stored is None:
        return Scorer(workspace_points(ws)), None
    import json

    return _loaded(ws.store.url, stored.id, json.dumps(stored.params, sort_keys=True)), stored


@dataclass(frozen=True, slots=True)
class Reason:
    column: str
    points: float
    text: str
    source: str  # "model" or "rules"


@dataclass(frozen=True, slots=True)
class ScoredLead:
    id: int
    external_id: str | None
    name: str | None
    company: str | None
    rep_id: int | None
    rep: str | None
    channel: str | None
    probability: float
    value_minor: int | None  # the typical won deal of its channel
    expected_minor: int | None
    reasons: list[Reason]
    action: str
    action_text: str
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "external_id": self.external_id, "name": self.name,
            "company": self.company, "rep_id": self.rep_id, "rep": self.rep,
            "channel": self.channel, "probability": round(self.probability, 4),
            "score": round(self.probability * 100), "value_minor": self.value_minor,
            "expected_minor": self.expected_minor,
            "factors": [{"column": r.column, "points": round(r.points, 1), "text": r.text,
                         "source": r.source} for r in self.reasons],
            "next_action": {"code": self.action, "text": self.action_text},
            **({"facts": self.facts} if self.facts else {}),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Queue:
    leads: list[ScoredLead]
    total: int  # open leads in view
    model: StoredModel | None
    share: float
    currency: str
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        m = self.model
        return {
            "as_of": self.at.isoformat(), "total": self.total, "currency": self.currency,
            "scored_by": {"model_id": m.id if m else None, "kind": m.kind if m else "rules",
                          "model_share": self.share,
                          "trained_at": m.trained_at.isoformat() if m else None},
            "leads": [x.as_dict() for x in self.leads],
        }  # fmt: skip


def _reasons(r: Ranked, lang: str) -> Callable[[int, list[int], list[float], int], list[Reason]]:
    """A lead's shown factors -> Reasons, each distinct line ("+12 points: source is
    referral") worded once."""
    memo: dict[tuple[Any, ...], str] = {}
    columns, values = r.columns, r.values
    sources = ["rules" if rule else "model" for rule in r.rules]

    def text(i: int, j: int, points: float) -> str:
        value = values[j][i]
        try:
            key = (j, type(value), value, round(points))
            got = memo.get(key)
        except TypeError:  # an unhashable value
            return texts.line(r.factor(i, j, points), lang)
        if got is None:
            got = memo[key] = texts.line(r.factor(i, j, points), lang)
        return got

    def reasons(i: int, order: list[int], points: list[float], shown: int) -> list[Reason]:
        return [Reason(columns[j], pts, text(i, j, pts), sources[j])
                for j, pts in zip(order[:shown], points[:shown], strict=True)]  # fmt: skip

    return reasons


def _scored(fr: LeadFrame, scorer: Scorer, lang: str, top: int | None,
            fallback: int | None, facts: bool = False) -> list[ScoredLead]:  # fmt: skip
    ranked = scorer.ranked(fr.raw, top)
    reasons = _reasons(ranked, lang)
    nothing: list[Any] = [None] * fr.n
    answered, quiet, meetings = (fr.raw.get(k) or nothing for k in texts.ACTION_CUES)
    out = []
    for i, (p, order, points, shown) in enumerate(zip(
            ranked.probability.tolist(), ranked.order, ranked.points, ranked.shown,
            strict=True)):  # fmt: skip
        code, text = texts.action(answered[i], quiet[i], meetings[i], p, lang)
        typical = fr.typical_minor[i]
        value = fallback if typical is None else round(typical)
        row = {texts.label(k, lang): v for k, v in fr.row(i).items()} if facts else {}
        out.append(ScoredLead(
            fr.ids[i], fr.external_ids[i], fr.names[i], fr.companies[i], fr.rep_ids[i],
            fr.reps[i], fr.channels[i], p, value, None if value is None else round(p * value),
            reasons(i, order, points, shown), code, text, row))  # fmt: skip
    return out


def queue(ws: Workspace, who: Principal, *, rep: str | None = None, team: str | None = None,
          limit: int | None = 50, lang: str = "en", at: datetime | None = None,
          factors: int | None = QUEUE_FACTORS) -> Queue:  # fmt: skip
    """The open leads in view, highest expected value first (score x typical deal)."""
    moment = at or datetime.now(UTC)
    scorer, stored = current(ws)
    fr = frame(repo.lead_rows(ws.store, LeadFilter(OPEN, who.scope, reps_asked(ws, rep, team)),
                              moment))  # fmt: skip
    fallback, currency = repo.typical_won_amount(ws.store, moment, who.scope)
    leads = _scored(fr, scorer, lang, factors, fallback)
    leads.sort(key=lambda x: (-(x.expected_minor or 0), -x.probability, x.id))
    chosen = leads if limit is None else leads[:limit]
    return Queue(chosen, len(leads), stored, scorer.share if scorer.model else 0.0,
                 currency or ws.settings.base_currency, moment)  # fmt: skip


def explain(ws: Workspace, who: Principal, lead: str, *, lang: str = "en",
            at: datetime | None = None) -> ScoredLead:  # fmt: skip
    """One open lead in view with every factor behind its score and the facts it rests on."""
    moment = at or datetime.now(UTC)
    text = lead.strip()
    found = [x for x in repo.find_lead(ws.store, text) if who.scope.sees(x[1])]
    if not found:
        raise NotFoundError(f"no lead '{text}' in your view")
    if found[0][2] != "open":
        raise NotFoundError(f"lead '{text}' is {found[0][2]}: scores are for open leads")
    scorer, _ = current(ws)
    rows = repo.lead_rows(ws.store, LeadFilter(OPEN, who.scope, ids=(found[0][0],)), moment)
    fr = frame(rows)
    if fr.n == 0:
        raise NotFoundError(f"lead '{text}' was not open at {moment.isoformat()}")
    fallback, _ = repo.typical_won_amount(ws.store, moment, who.scope)
    return _scored(fr, scorer, lang, None, fallback, facts=True)[0]
