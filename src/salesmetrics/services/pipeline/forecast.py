"""Weighted forecast of a period, weekly snapshots of it, and their accuracy once it closes.

Expected = won so far + each open deal due in the period x its probability: the configured
one of its stage, and the observed stage-to-won rate of the last year. Categories by the
stage's configured probability: commit (>= COMMIT), best case (>= BEST_CASE), pipeline. For
the period that holds today, overdue open deals count as due. A snapshot keeps every deal it
counted; accuracy compares each snapshot with what was won in the period, by rep and stage.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from salesmetrics.domain.access import LOCAL
from salesmetrics.domain.errors import QueryError, SalesmetricsError
from salesmetrics.domain.periods import DateRange, Grain, next_bucket, parse_period
from salesmetrics.services.pipeline import common, funnel
from salesmetrics.services.pipeline.common import Ask
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import deal_flow
from salesmetrics.storage.repositories import forecasts as repo
from salesmetrics.storage.repositories import targets as targets_repo
from salesmetrics.storage.repositories import team as team_repo
from salesmetrics.storage.repositories.forecasts import Due, Rates

COMMIT = 0.7
WEEK = timedelta(days=7)
BEST_CASE = 0.4


def month_of(day: date) -> DateRange:
    start = day.replace(day=1)
    return DateRange(start, next_bucket(start, Grain.MONTH) - timedelta(days=1))


def period_of(a: Ask, text: str | None) -> DateRange:
    """The forecast period: a month, quarter or range; the current month by default."""
    if not text:
        return month_of(a.today)
    return parse_period(text, a.today, a.ws.settings.fiscal_year_start_month)


def category(p: float) -> str:
    return "commit" if p >= COMMIT else "best_case" if p >= BEST_CASE else "pipeline"


def rates(a: Ask, before: datetime | None = None) -> Rates:
    observed = funnel.observed_map(a, before=before)
    configured = {s.id: s.probability for s in a.open_stages}
    return Rates(configured, {k: observed.get(k, v) for k, v in configured.items()},
                 {k: category(v) for k, v in configured.items()})  # fmt: skip


def _due(a: Ask, p: DateRange) -> Due:
    return Due(p.start, p.end, overdue=p.start <= a.today <= p.end)


def _sum(rows: list[dict[str, Any]], key: str) -> float:
    return float(sum(r[key] for r in rows))


def _target(a: Ask, p: DateRange) -> dict[str, Any] | None:
    """The revenue target for exactly this period at the level asked (company, or one rep)."""
    reps = a.deals.reps
    level, owner = ("company", None) if reps is None else ("rep", reps[0])
    if reps is not None and (len(reps) != 1 or not a.deals.scope.sees(reps[0])):
        return None
    if level == "company" and not a.deals.scope.everything:
        return None
    for t in targets_repo.overlapping(a.ws.store, p.start, p.end, "revenue"):
        if (t.start, t.end, t.scope, t.scope_id) == (p.start, p.end, level, owner):
            return {"id": t.id, "value_minor": t.value, "scope": level}
    return None


def _engine(a: Ask, p: DateRange) -> dict[str, float | None]:
    """Pipeline velocity and coverage from the metric engine, for the asker's view."""
    names = ["pipeline_velocity", "pipeline_coverage"]
    out: dict[str, float | None] = dict.fromkeys(names)
    readable = a.ws.metrics.readable(names, a.deals.scope)
    if not readable:
        return out
    try:
        res = a.ws.metrics.query(readable, period=f"{p.start}..{p.end}", scope=a.deals.scope,
                                 as_of=a.today)  # fmt: skip
    except SalesmetricsError:
        return out
    row = res.table.to_pylist()[0] if res.table.num_rows else {}
    return {n: row.get(n) for n in names}


def forecast(a: Ask, p: DateRange) -> dict[str, Any]:
    """The forecast of period `p` as of now, by rep and stage."""
    r = rates(a)
    groups = repo.due_open(a.ws.store, a.deals, _due(a, p))
    won = repo.won_between(a.ws.store, a.deals, a.instant(p.start),
                           min(a.instant(p.end_exclusive), a.now))  # fmt: skip
    names = {x.id: x.name for x in team_repo.reps(a.ws.store)}
    lines = []
    for g in groups:
        conf = r.configured.get(g.stage_id, 0.0)
        obs = r.observed.get(g.stage_id, conf)
        cat = r.category.get(g.stage_id, "pipeline")
        lines.append({"rep_id": g.rep_id, "stage_id": g.stage_id, "deals": g.deals,
                      "amount_minor": g.amount_minor, "weighted_minor": g.amount_minor * conf,
                      "observed_minor": g.amount_minor * obs,
                      "commit_minor": g.amount_minor if cat == "commit" else 0,
                      "best_case_minor": g.amount_minor if cat != "pipeline" else 0})  # fmt: skip
    won_total = sum(won.values())
    out: dict[str, Any] = {
        **a.about(), "period": {"start": p.start, "end": p.end},
        "thresholds": {"commit": COMMIT, "best_case": BEST_CASE},
        "won_minor": won_total, "open_deals": sum(g.deals for g in groups),
        "open_minor": _sum(lines, "amount_minor"),
        "expected_minor": won_total + _sum(lines, "weighted_minor"),
        "expected_observed_minor": won_total + _sum(lines, "observed_minor"),
        "commit_minor": won_total + _sum(lines, "commit_minor"),
        "best_case_minor": won_total + _sum(lines, "best_case_minor"),
        "target": _target(a, p), **_engine(a, p),
    }  # fmt: skip
    out["by_rep"] = _rollup(lines, "rep_id", names, won)
    out["by_stage"] = _rollup(lines, "stage_id", {s.id: s.name for s in a.stages}, {})
    return out


def _rollup(lines: list[dict[str, Any]], key: str, names: dict[Any, str],
            won: dict[Any, int]) -> list[dict[str, Any]]:  # fmt: skip
    acc: dict[Any, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for k, v in won.items():
        acc[k]["won_minor"] += v
    for ln in lines:
        for m in ("deals", "amount_minor", "weighted_minor", "observed_minor", "commit_minor",
                  "best_case_minor"):  # fmt: skip
            acc[ln[key]][m] += ln[m]
    return [{key: k, "name": names.get(k, "—"), **{m: acc[k].get(m, 0.0) for m in (
                "won_minor", "deals", "amount_minor", "weighted_minor", "observed_minor",
                "commit_minor", "best_case_minor")}}
            for k in sorted(acc, key=lambda k: (k is None, str(names.get(k, k))))]  # fmt: skip


# ------------------------------------------------------------------ snapshots


def _header(a: Ask, p: DateRange, at: datetime, how: str, won: int) -> dict[str, Any]:
    return {"taken_at": at, "period_start_on": p.start, "period_end_on": p.end,
            "scope": "company", "scope_id": None, "weighted_minor": 0, "commit_minor": 0,
            "best_case_minor": 0, "currency": a.ws.settings.base_currency,
            "pipeline_id": a.pipeline.id, "won_minor": won, "observed_minor": 0,
            "open_minor": 0, "how": how}  # fmt: skip


def _totals(tx: WriteTx, sid: int) -> None:
    tx.execute(
        "UPDATE forecast_snapshots SET weighted_minor = z.w, observed_minor = z.o, "
        "open_minor = z.a, commit_minor = won_minor + z.c, best_case_minor = won_minor + z.b "
        "FROM (SELECT CAST(round(coalesce(sum(amount_minor * probability), 0)) AS BIGINT) AS w, "
        "CAST(round(coalesce(sum(amount_minor * observed), 0)) AS BIGINT) AS o, "
        "coalesce(sum(amount_minor), 0) AS a, coalesce(sum(amount_minor) FILTER (WHERE "
        "category = 'commit'), 0) AS c, coalesce(sum(amount_minor) FILTER (WHERE category IN "
        "('commit', 'best_case')), 0) AS b FROM forecast_snapshot_deals WHERE snapshot_id = ?) z "
        "WHERE forecast_snapshots.id = ?",
        [sid, sid],
    )


def _whole_pipeline(a: Ask) -> None:
    """Refuse deals that are part of the pipeline (a view, some reps, a channel or a customer
    segment): a snapshot is of all of it."""
    f = a.deals
    narrowed = not f.scope.everything or f.scope.segment is not None
    if narrowed or f.reps is not None or f.channel_id:
        raise QueryError(
            "a snapshot is of the whole pipeline: ask without rep, team, channel or customer "
            "segment"
        )


def take_snapshot(a: Ask, p: DateRange, how: str = "manual") -> int:
    """Store the forecast of `p` as it stands now (every deal in the pipeline, whoever asks:
    owners and the scheduler take them); its id."""
    _whole_pipeline(a)
    r = rates(a)
    won = sum(repo.won_between(a.ws.store, a.deals, a.instant(p.start),
                               min(a.instant(p.end_exclusive), a.now)).values())  # fmt: skip

    def work(tx: WriteTx) -> int:
        sid = repo.snapshot_now(tx, _header(a, p, a.now, how, won), a.deals, _due(a, p), r)
        _totals(tx, sid)
        return sid

    return a.ws.store.write(work, changes_data=False)


def rebuild_history(a: Ask, weeks: int) -> list[int]:
    """Snapshots for the last `weeks` Mondays (and the months they fell in), rebuilt from the
    stage and close-date history, each with rates observed before it: `reconstructed`."""
    _whole_pipeline(a)
    monday = a.today - timedelta(days=a.today.weekday())
    ids = []
    for k in range(weeks, 0, -1):
        day = monday - timedelta(weeks=k)
        at = a.instant(day)
        p = month_of(day)
        if repo.taken_between(a.ws.store, a.pipeline.id, p.start, at, a.instant(day + WEEK)):
            continue
        r = rates(a, before=at)
        won = sum(repo.won_between(a.ws.store, a.deals, a.instant(p.start), at).values())
        due = Due(p.start, p.end, overdue=True)

        def work(tx: WriteTx, p: DateRange = p, at: datetime = at, r: Rates = r,
                 won: int = won, due: Due = due) -> int:  # fmt: skip
            sid = repo.snapshot_as_of(tx, _header(a, p, at, "reconstructed", won), a.deals,
                                      due, r, at)  # fmt: skip
            _totals(tx, sid)
            return sid

        ids.append(a.ws.store.write(work, changes_data=False))
    return ids


def weekly(a: Ask) -> list[int]:
    """Take this week's snapshots (this month and the next) unless taken already."""
    monday = a.today - timedelta(days=a.today.weekday())
    this = month_of(a.today)
    ids = []
    for p in (this, month_of(this.end_exclusive)):
        if not repo.taken_between(a.ws.store, a.pipeline.id, p.start, a.instant(monday),
                                  a.instant(monday + WEEK)):  # fmt: skip
            ids.append(take_snapshot(a, p, "weekly"))
    return ids


def weekly_snapshots(ws: Workspace) -> list[int]:
    """This week's snapshots of every pipeline (the server's scheduler calls this)."""
    ids = []
    for p in deal_flow.pipelines(ws.store):
        ids += weekly(common.ask(ws, LOCAL, pipeline=str(p.id)))
    return ids


# ------------------------------------------------------------------ accuracy


def accuracy(a: Ask, months: int = 6) -> dict[str, Any]:
    """For each closed month of the last `months` with snapshots: each snapshot against what
    was won, and for the month's first snapshot, by rep and by stage."""
    first = month_of(a.today).start
    for _ in range(months):
        first = (first - timedelta(days=1)).replace(day=1)
    last_closed = month_of(a.today).start - timedelta(days=1)
    found = repo.snapshots(a.ws.store, a.pipeline.id, first, last_closed)
    by_period: dict[tuple[date, date], list[repo.SnapshotRow]] = defaultdict(list)
    for s in found:
        if s.period_end <= last_closed:
            by_period[s.period_start, s.period_end].append(s)
    names = {x.id: x.name for x in team_repo.reps(a.ws.store)}
    stages = {s.id: s.name for s in a.stages}
    bounds = {k: (a.instant(p[0]), a.instant(p[1] + timedelta(days=1)))
              for k, p in enumerate(sorted(by_period))}  # fmt: skip
    shots = [s for k in range(len(bounds)) for s in by_period[sorted(by_period)[k]]]
    period_of_shot = {s.id: k for k in bounds for s in by_period[sorted(by_period)[k]]}
    actual = repo.won_within(a.ws.store, bounds, a.deals)
    before = repo.won_within(a.ws.store, {s.id: (bounds[period_of_shot[s.id]][0], s.taken_at)
                                          for s in shots}, a.deals)  # fmt: skip
    lines = repo.snapshot_lines(a.ws.store, {s.id: bounds[period_of_shot[s.id]] for s in shots},
                                a.deals)  # fmt: skip
    lines_of: dict[int, list[repo.SnapshotLine]] = defaultdict(list)
    for ln in lines:
        lines_of[ln.snapshot_id].append(ln)
    periods: list[dict[str, Any]] = []
    first_errors: list[float] = []
    for k, (start, end) in enumerate(sorted(by_period)):
        won = {r: v for (key, r), v in actual.items() if key == k}
        total = sum(won.values())
        rows = []
        for s in by_period[start, end]:
            won_before = sum(v for (key, _), v in before.items() if key == s.id)
            rows.append(_shot(s, lines_of[s.id], won_before, total, a.zone))
        opening = lines_of[by_period[start, end][0].id]
        periods.append({
            "period": {"start": start, "end": end}, "actual_minor": total, "snapshots": rows,
            "by_rep": _split(opening, "rep_id", names, won),
            "by_stage": _split(opening, "stage_id", stages, None),
        })  # fmt: skip
        if rows[0]["error"] is not None:
            first_errors.append(abs(rows[0]["error"]))
    return {**a.about(), "periods": periods,
            "mean_absolute_error": (sum(first_errors) / len(first_errors)
                                    if first_errors else None)}  # fmt: skip


def _shot(s: repo.SnapshotRow, lines: list[repo.SnapshotLine], won_before: int,
          actual: int, zone: ZoneInfo) -> dict[str, Any]:  # fmt: skip
    expected = won_before + sum(x.weighted_minor for x in lines)
    observed = won_before + sum(x.observed_minor for x in lines)
    return {"id": s.id, "taken_at": s.taken_at.astimezone(zone), "how": s.how,
            "won_before_minor": won_before,
            "expected_minor": expected, "expected_observed_minor": observed,
            "commit_minor": won_before + sum(x.commit_minor for x in lines),
            "best_case_minor": won_before + sum(x.best_case_minor for x in lines),
            "actual_minor": actual,
            "error": (expected - actual) / actual if actual else None,
            "error_observed": (observed - actual) / actual if actual else None}  # fmt: skip


def _split(lines: list[repo.SnapshotLine], key: str, names: dict[Any, str],
           actual: dict[int | None, int] | None) -> list[dict[str, Any]]:  # fmt: skip
    acc: dict[Any, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for x in lines:
        k = getattr(x, key)
        for m in ("deals", "amount_minor", "weighted_minor", "observed_minor", "won_minor"):
            acc[k][m] += getattr(x, m)
    if actual is not None:
        for k, v in actual.items():
            acc[k]["actual_minor"] += v
    ordered = sorted(acc.items(), key=lambda kv: str(names.get(kv[0], kv[0])))
    return [{key: k, "name": names.get(k, "—"), **dict(v)} for k, v in ordered]
