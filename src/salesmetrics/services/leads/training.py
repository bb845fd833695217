"""Training and the model card: learn from the decided leads (owners), keep the model with its
evaluation, and show what it learnt and what its scores are worth."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from salesmetrics.analytics.leads.encoding import NUMBER
from salesmetrics.analytics.leads.model import LeadModel
from salesmetrics.analytics.leads.training import History, Trained, train
from salesmetrics.domain.access import Permission, Principal
from salesmetrics.domain.errors import NotFoundError
from salesmetrics.services.leads import texts
from salesmetrics.services.leads.frame import RULES_ONLY, LeadFrame, frame
from salesmetrics.services.leads.scoring import points_table, workspace_points
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import lead_features as repo
from salesmetrics.storage.repositories import settings as settings_repo
from salesmetrics.storage.repositories.lead_features import DECIDED, OPEN, LeadFilter

Step = Callable[[str], None]
DRIVERS = 12
NEWEST = 100_000  # decided leads learnt from: the newest (recent behaviour, bounded memory)


def _drivers(model: LeadModel, fr: LeadFrame) -> list[dict[str, Any]]:
    """Columns ranked by how far they move scores (the spread of their pull over the decided
    leads), each with its strongest level and that level's direction."""
    names, pulls, _ = model.pulls(fr.raw)
    spread = pulls.std(axis=0) if pulls.size else np.zeros(0)
    weights = model.weights()
    out = []
    for j in np.argsort(-spread, kind="stable")[:DRIVERS]:
        name = names[j]
        own = [(lv, w) for col, lv, w in weights if col == name]
        code = model.encoder_.code(name)
        if code is not None and code.kind == NUMBER:
            level, w = "", own[0][1]
        else:
            level, w = max(own, key=lambda t: abs(t[1]))
        out.append({"column": name, "level": level, "weight": round(w, 4),
                    "effect": "+" if w > 0 else "-",
                    "spread": round(float(spread[j]), 4)})  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class TrainReport:
    model_id: int
    kind: str
    decided: int
    converted: int
    undated: int
    excluded: list[dict[str, Any]]
    kept: list[str]
    evaluation: dict[str, Any]
    drivers: list[dict[str, Any]]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "kind": self.kind, "decided": self.decided,
                "converted": self.converted, "undated_decisions_left_out": self.undated,
                "excluded": self.excluded, "kept": self.kept, "evaluation": self.evaluation,
                "drivers": self.drivers, "seconds": round(self.seconds, 2)}  # fmt: skip


def _excluded(t: Trained) -> list[dict[str, Any]]:
    return [{"column": f.column, "reason": f.reason, "detail": f.detail,
             "kept": f.column in t.kept} for f in t.flags]  # fmt: skip


def train_model(ws: Workspace, who: Principal, *, keep: Sequence[str] = (),
                at: datetime | None = None, step: Step | None = None,
                newest: int = NEWEST) -> TrainReport:  # fmt: skip
    """Learn from the newest `newest` leads decided before `at` (default now) and store the
    model (owners)."""
    who.require(Permission.WRITE)
    began = datetime.now(UTC)
    moment = at or began
    say = step or (lambda _: None)
    say("reading decided leads")
    decided = frame(repo.lead_rows(ws.store, LeadFilter(DECIDED, newest=newest), moment))
    open_ = frame(repo.lead_rows(ws.store, LeadFilter(OPEN), moment))
    s = ws.settings
    say(f"training on {decided.n} decided leads")
    history = History(decided.raw, decided.converted, decided.created, decided.attributes)
    t = train(history, open_.raw, workspace_points(ws), min_history=s.lead_min_history,
              full_history=s.lead_full_history, keep=keep, rules_only=RULES_ONLY)  # fmt: skip
    model = t.scorer.model
    drivers = _drivers(model, decided) if model is not None else []
    for ev in (t.evaluation.get("split") or {},):
        for key in ("test_from", "train_until"):
            if key in ev:
                ev[key] = datetime.fromtimestamp(ev[key], UTC).isoformat()
    params = {"model": model.to_json() if model else None, "rules": t.scorer.rules.to_dict(),
              "share": t.scorer.share, "excluded": _excluded(t), "kept": t.kept,
              "drivers": drivers, "min_history": s.lead_min_history,
              "full_history": s.lead_full_history}  # fmt: skip
    say("storing the model")
    model_id = ws.store.write(
        lambda tx: repo.save_model(tx, began, moment, t.kind, decided.n, params, t.evaluation),
        changes_data=False,
    )
    return TrainReport(model_id, t.kind, decided.n, int(decided.converted.sum()),
                       repo.undated_decisions(ws.store, moment), _excluded(t), t.kept,
                       t.evaluation, drivers,
                       (datetime.now(UTC) - began).total_seconds())  # fmt: skip


@dataclass(frozen=True, slots=True)
class ModelCard:
    id: int
    kind: str
    trained_at: datetime
    as_of: datetime
    decided: int
    share: float
    evaluation: dict[str, Any]
    excluded: list[dict[str, Any]]
    drivers: list[dict[str, Any]]
    rules: dict[str, Any]
    history: list[tuple[int, datetime, str, int]]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "trained_at": self.trained_at.isoformat(),
                "as_of": self.as_of.isoformat(), "decided": self.decided,
                "model_share": self.share, "evaluation": self.evaluation,
                "excluded": self.excluded, "drivers": self.drivers, "rules": self.rules,
                "history": [{"id": i, "trained_at": t.isoformat(), "kind": k, "decided": n}
                            for i, t, k, n in self.history]}  # fmt: skip


def card(ws: Workspace, who: Principal, lang: str = "en") -> ModelCard:
    """The model in force, what it learnt and how it did on held-out leads. It is learnt from
    every rep's leads, so only people who see every record read it."""
    who.require_everything("the lead model card")
    stored = repo.latest_model(ws.store)
    if stored is None:
        raise NotFoundError("no lead model yet: train one with `salesmetrics leads train` "
                            "(until then the points table scores leads)")  # fmt: skip
    p = stored.params
    drivers = [{**d, "label": texts.label(str(d["column"]), lang)} for d in p.get("drivers", [])]
    return ModelCard(stored.id, stored.kind, stored.trained_at, stored.as_of,
                     stored.decided_leads, float(p.get("share", 0.0)), stored.evaluation,
                     list(p.get("excluded", [])), drivers, dict(p.get("rules", {})),
                     repo.models(ws.store))  # fmt: skip


def rules_text(ws: Workspace) -> str:
    from salesmetrics.services.leads.scoring import builtin_points

    return ws.settings.lead_rules or builtin_points()


def set_rules(ws: Workspace, who: Principal, text: str | None) -> str:
    """Store a points table (validated first), or go back to the built-in one (None); owners.
    The next training keeps it in its model; until then it scores only if no model exists."""
    who.require(Permission.WRITE)
    if text is not None:
        points_table(text)
    ws.store.write(lambda tx: settings_repo.write(tx, {"lead_rules": text or ""}),
                   changes_data=False)  # fmt: skip
    return rules_text(ws)
