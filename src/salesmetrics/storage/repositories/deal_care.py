"""Open deals that need care: stale ones (past their stage's rotting days, or quiet too long)
and the hygiene of each rep's open deals (close date past or pushed, amount or close date
missing, nothing planned next)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from salesmetrics.storage.protocol import Store
from salesmetrics.storage.repositories.deal_flow import DAY, DealFilter, visits_source

_EPOCH = "date_part('epoch', {})"


def _e(expr: str) -> str:
    return _EPOCH.format(expr)


@dataclass(frozen=True, slots=True)
class StaleDeal:
    id: int
    title: str | None
    rep_id: int | None
    rep: str | None
    amount_minor: int
    currency: str
    stage_id: int
    stage: str
    rotting_days: int | None
    days_in_stage: float
    days_quiet: float  # since the last done activity (or since the deal was made)
    rotting: bool
    quiet: bool


def _stale_from(store: Store, f: DealFilter) -> tuple[str, list[Any]]:
    where, params = f.sql()
    entered = "coalesce(v.last_entered_at, d.created_at)"
    sql = (
        "WITH a AS (SELECT deal_id, max(occurred_at) AS last_at FROM activities "
        "WHERE done AND deal_id IN (SELECT id FROM deals WHERE status = 'open') GROUP BY deal_id), "
        "x AS (SELECT d.id, d.title, d.owner_rep_id, r.name AS rep, d.amount_minor, d.currency, "
        "s.id AS stage_id, s.name AS stage, s.rotting_days, "
        f"(? - {_e(entered)}) / {DAY} AS in_stage, "
        f"(? - {_e('greatest(coalesce(a.last_at, d.created_at), d.created_at)')}) / {DAY} AS quiet "
        "FROM deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN reps r ON r.id = d.owner_rep_id "
        f"LEFT JOIN {visits_source(store)} v ON v.deal_id = d.id AND v.stage_id = d.stage_id "
        f"LEFT JOIN a ON a.deal_id = d.id WHERE d.status = 'open' AND {where}), "
        "y AS (SELECT x.*, (rotting_days IS NOT NULL AND in_stage > rotting_days) AS rotting, "
        "quiet > ? AS is_quiet FROM x) SELECT * FROM y WHERE rotting OR is_quiet"
    )
    return sql, params


def stale(store: Store, f: DealFilter, now: datetime, quiet_days: int,
          limit: int) -> tuple[list[StaleDeal], list[tuple[int | None, int, int]]]:  # fmt: skip
    """The stale open deals, largest first (up to `limit`), and per rep (count, amount): one
    statement, so the activity scan is made once."""
    base, params = _stale_from(store, f)
    ts = now.timestamp()
    rows = store.fetchall(
        f"{base.replace(' SELECT * FROM y WHERE rotting OR is_quiet', '')}, "
        "z AS (SELECT * FROM y WHERE rotting OR is_quiet) "
        "SELECT * FROM (SELECT 0 AS part, id, title, owner_rep_id, rep, amount_minor, currency, "
        "stage_id, stage, rotting_days, in_stage, quiet, rotting, is_quiet, 1 AS n FROM z "
        "ORDER BY amount_minor DESC, id LIMIT ?) top UNION ALL SELECT 1, NULL, NULL, "
        "owner_rep_id, NULL, sum(amount_minor), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        "count(*) FROM z GROUP BY owner_rep_id",
        [ts, ts, *params, quiet_days, limit],
    )
    listed = [
        StaleDeal(int(i), t, None if r is None else int(r), rn, int(a), str(c), int(si), str(sn),
                  None if rd is None else int(rd), float(ins), float(qu), bool(ro), bool(iq))
        for part, i, t, r, rn, a, c, si, sn, rd, ins, qu, ro, iq, _ in rows if part == 0
    ]  # fmt: skip
    per_rep = [(None if r[3] is None else int(r[3]), int(r[14]), int(r[5] or 0))
               for r in rows if r[0] == 1]  # fmt: skip
    listed.sort(key=lambda d: (-d.amount_minor, d.id))
    return listed, per_rep


@dataclass(frozen=True, slots=True)
class HygieneCounts:
    """A rep's open deals and how many have each issue."""

    rep_id: int | None
    open_deals: int
    close_past: int
    slipped: int  # close date pushed later two or more times
    no_amount: int
    no_close_date: int
    no_next_activity: int
    with_issues: int


def _hygiene_from(f: DealFilter) -> tuple[str, list[Any]]:
    where, params = f.sql()
    sql = (
        "WITH slip AS (SELECT deal_id, count(*) AS pushes FROM deal_close_date_changes "
        "WHERE new_on > old_on GROUP BY deal_id), nxt AS (SELECT DISTINCT deal_id FROM "
        "activities WHERE NOT done AND due_at >= ? AND deal_id IS NOT NULL), "
        "x AS (SELECT d.id, d.title, d.owner_rep_id, d.amount_minor, d.currency, "
        "d.expected_close_on, d.expected_close_on < ? AS close_past, "
        "coalesce(slip.pushes, 0) >= 2 AS slipped, coalesce(slip.pushes, 0) AS pushes, "
        "d.amount_minor <= 0 AS no_amount, d.expected_close_on IS NULL AS no_close_date, "
        "nxt.deal_id IS NULL AS no_next_activity FROM deals d "
        "LEFT JOIN slip ON slip.deal_id = d.id "
        f"LEFT JOIN nxt ON nxt.deal_id = d.id WHERE d.status = 'open' AND {where}) "
        "SELECT * FROM x"
    )
    return sql, params


_ANY = "(close_past OR slipped OR no_amount OR no_close_date OR no_next_activity)"


def hygiene(store: Store, f: DealFilter, now: datetime, today: date) -> list[HygieneCounts]:
    base, params = _hygiene_from(f)
    rows = store.fetchall(
        "SELECT owner_rep_id, count(*), count(*) FILTER (WHERE close_past), "
        "count(*) FILTER (WHERE slipped), count(*) FILTER (WHERE no_amount), "
        "count(*) FILTER (WHERE no_close_date), count(*) FILTER (WHERE no_next_activity), "
        f"count(*) FILTER (WHERE {_ANY}) FROM ({base}) z GROUP BY 1",
        [now, today, *params],
    )
    return [
        HygieneCounts(None if r is None else int(r), *(int(v) for v in rest)) for r, *rest in rows
    ]


@dataclass(frozen=True, slots=True)
class HygieneDeal:
    id: int
    title: str | None
    rep_id: int | None
    amount_minor: int
    currency: str
    expected_close_on: date | None
    pushes: int
    issues: tuple[str, ...]


_FLAGS = ("close_past", "slipped", "no_amount", "no_close_date", "no_next_activity")


def hygiene_deals(store: Store, f: DealFilter, now: datetime, today: date,
                  limit: int) -> list[HygieneDeal]:  # fmt: skip
    """Open deals with at least one issue, the most issues and the largest first."""
    base, params = _hygiene_from(f)
    score = " + ".join(f"CASE WHEN {c} THEN 1 ELSE 0 END" for c in _FLAGS)
    rows = store.fetchall(
        f"SELECT id, title, owner_rep_id, amount_minor, currency, expected_close_on, pushes, "
        f"{', '.join(_FLAGS)} FROM ({base}) z WHERE {_ANY} "
        f"ORDER BY {score} DESC, amount_minor DESC, id LIMIT ?",
        [now, today, *params, limit],
    )
    return [
        HygieneDeal(int(i), t, None if r is None else int(r), int(a), str(c), e, int(p),
                    tuple(name for name, on in zip(_FLAGS, flags, strict=True) if on))
        for i, t, r, a, c, e, p, *flags in rows
    ]  # fmt: skip
