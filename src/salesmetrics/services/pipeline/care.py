"""Open deals that need care: stale deals and the hygiene of each rep's open deals."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from salesmetrics.services.pipeline.common import Ask
from salesmetrics.storage.repositories import deal_care as care
from salesmetrics.storage.repositories import team as team_repo

QUIET_DAYS = 14
ISSUES = {
    "close_past": "close date in the past",
    "slipped": "close date pushed later twice or more",
    "no_amount": "no amount",
    "no_close_date": "no expected close date",
    "no_next_activity": "no next activity planned",
}


def _rep_names(a: Ask) -> dict[int | None, str]:
    names: dict[int | None, str] = {r.id: r.name for r in team_repo.reps(a.ws.store)}
    names[None] = "—"
    return names


def stale(a: Ask, quiet_days: int = QUIET_DAYS, limit: int = 100) -> dict[str, Any]:
    """Open deals past their stage's rotting days or without activity for `quiet_days`."""
    listed, per_rep = care.stale(a.ws.store, a.deals, a.now, quiet_days, limit)
    names = _rep_names(a)
    return {
        **a.about(), "quiet_days": quiet_days,
        "deals": sum(n for _, n, _ in per_rep), "amount_minor": sum(v for _, _, v in per_rep),
        "by_rep": sorted(({"rep_id": r, "rep": names.get(r, str(r)), "deals": n,
                           "amount_minor": v} for r, n, v in per_rep),
                         key=lambda x: (-x["amount_minor"], str(x["rep"]))),
        "list": [asdict(d) for d in listed],
    }  # fmt: skip


def hygiene(a: Ask, limit: int = 100) -> dict[str, Any]:
    """Per rep: open deals, each issue's count, and a score (the share with no issue)."""
    counts = care.hygiene(a.ws.store, a.deals, a.now, a.today)
    names = _rep_names(a)
    reps = []
    for c in sorted(counts, key=lambda c: (c.rep_id is None, c.rep_id or 0)):
        score = 100.0 * (c.open_deals - c.with_issues) / c.open_deals if c.open_deals else None
        reps.append({**asdict(c), "rep": names.get(c.rep_id, str(c.rep_id)), "score": score})
    total = sum(c.open_deals for c in counts)
    clean = total - sum(c.with_issues for c in counts)
    deals = care.hygiene_deals(a.ws.store, a.deals, a.now, a.today, limit)
    return {**a.about(), "issues": ISSUES, "open_deals": total,
            "score": 100.0 * clean / total if total else None,
            "reps": sorted(reps, key=lambda r: (r["score"] is None, r["score"] or 0.0)),
            "list": [{**asdict(d), "rep": names.get(d.rep_id, str(d.rep_id))}
                     for d in deals]}  # fmt: skip
