"""How deals move: stages as data, stage visits (derived from the stage changes), how far each
deal got, and how long it stayed where.

Every query takes a `DealFilter`: the pipeline, the reps (a person's view, a rep or team asked
for) and the channel. Stage visits come from `rollup_stage_visits` while it reflects the current
data version, and otherwise from the same SELECT over `deal_stage_changes`; both give the same
rows (a test holds them to it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from salesmetrics.domain.access import EVERYTHING, Scope
from salesmetrics.storage.dialect import Dialect
from salesmetrics.storage.protocol import Store, WriteTx
from salesmetrics.storage.repositories import rollups as rollups_repo
from salesmetrics.storage.repositories.segment_sizes import in_segment

VISITS = "rollup_stage_visits"
REACH = "rollup_deal_reach"
DERIVED = (VISITS, REACH)
VISIT_COLUMNS = ["deal_id", "stage_id", "entered_at", "last_entered_at", "left_at", "days",
                 "visits"]  # fmt: skip
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class StageRow:
    id: int
    pipeline_id: int
    name: str
    position: int
    kind: str  # open, won, lost
    probability: float
    rotting_days: int | None


@dataclass(frozen=True, slots=True)
class PipelineRow:
    id: int
    name: str
    is_default: bool


@dataclass(frozen=True, slots=True)
class DealFilter:
    """Which deals: one pipeline, a view (`scope`, its customer segment included), and
    optionally some reps and a channel."""

    pipeline_id: int
    scope: Scope = EVERYTHING
    reps: tuple[int, ...] | None = None  # asked for (a rep, a team's reps)
    channel_id: int | None = None

    def sql(self, alias: str = "d") -> tuple[str, list[Any]]:
        parts: list[str] = [f"{alias}.pipeline_id = ?"]
        params: list[Any] = [self.pipeline_id]
        if self.scope.reps is not None:
            marks = ", ".join("?" * len(self.scope.reps))
            own = f"{alias}.owner_rep_id IN ({marks})" if self.scope.reps else "FALSE"
            none = f" OR {alias}.owner_rep_id IS NULL" if self.scope.unassigned else ""
            parts.append(f"({own}{none})")
            params.extend(sorted(self.scope.reps))
        if self.scope.segment is not None:  # a view narrowed to one customer segment
            member, of = in_segment(self.scope, f"{alias}.customer_id")
            parts.append(member)
            params.extend(of)
        if self.reps is not None:
            marks = ", ".join("?" * len(self.reps))
            parts.append(f"{alias}.owner_rep_id IN ({marks})" if self.reps else "FALSE")
            params.extend(self.reps)
        if self.channel_id is not None:
            parts.append(f"{alias}.channel_id = ?")
            params.append(self.channel_id)
        return " AND ".join(parts), params


def pipelines(store: Store | WriteTx) -> list[PipelineRow]:
    rows = store.fetchall("SELECT id, name, is_default FROM pipelines ORDER BY is_default DESC, id")
    return [PipelineRow(int(i), str(n), bool(d)) for i, n, d in rows]


def stages(store: Store | WriteTx) -> list[StageRow]:
    rows = store.fetchall(
        "SELECT id, pipeline_id, name, position, kind, probability, rotting_days FROM stages "
        "ORDER BY pipeline_id, position, id"
    )
    return [
        StageRow(int(i), int(p), str(n), int(pos), str(k), float(pr),
                 None if r is None else int(r))
        for i, p, n, pos, k, pr, r in rows
    ]  # fmt: skip


def steady(value: Any, places: int = 9) -> float:
    """A float sum or mean rounded: a parallel aggregate adds in any order, and the last bits
    of the answer must not change from one read to the next."""
    return round(float(value), places)


# ------------------------------------------------------------------ stage visits


def _epoch(expr: str) -> str:
    return f"date_part('epoch', {expr})"


def visits_select(deal_ids: str = "") -> str:
    """Per deal and stage, from the stage changes: first and last entry, when it last left
    (NULL while it is there), the days of its finished stays and how many stays. `deal_ids`
    narrows to some deals (a SQL list of integers)."""
    narrow = f"WHERE c.deal_id IN ({deal_ids})" if deal_ids else ""
    return (
        "SELECT deal_id, stage_id, min(t0) AS entered_at, max(t0) AS last_entered_at, "
        "CASE WHEN bool_or(nxt IS NULL) THEN NULL ELSE max(nxt) END AS left_at, "
        f"coalesce(sum(({_epoch('nxt')} - {_epoch('t0')}) / {DAY}), 0.0) AS days, "
        "count(*) AS visits FROM (SELECT c.deal_id, c.to_stage_id AS stage_id, "
        "c.changed_at AS t0, lead(c.changed_at) OVER (PARTITION BY c.deal_id "
        f"ORDER BY c.changed_at, c.id) AS nxt FROM deal_stage_changes c {narrow}) x "
        "GROUP BY deal_id, stage_id"
    )


def reach_select(visits: str, deal_ids: str = "") -> str:
    """Per deal with visits: the furthest open stage position it entered (NULL: none)."""
    narrow = f"AND v.deal_id IN ({deal_ids})" if deal_ids else ""
    return (
        "SELECT v.deal_id, max(s.position) FILTER (WHERE s.kind = 'open') AS furthest "
        f"FROM {visits} v JOIN stages s ON s.id = v.stage_id WHERE TRUE {narrow} "
        "GROUP BY v.deal_id"
    )


def rebuild_visits(tx: WriteTx) -> int:
    """Rebuild the stage visits from every stage change, then each deal's reach; visit rows."""
    rows = rollups_repo.rebuild(tx, VISITS, VISIT_COLUMNS, visits_select())
    rollups_repo.rebuild(tx, REACH, ["deal_id", "furthest"], reach_select(VISITS))
    return rows


def refresh_visits(tx: WriteTx, deal_ids: Iterable[int]) -> None:
    """Recompute the visits and reach of these deals (inside the write that changed them)."""
    ids = sorted({int(i) for i in deal_ids})
    for start in range(0, len(ids), 1000):
        chunk = ", ".join(str(i) for i in ids[start : start + 1000])
        for table in DERIVED:
            tx.execute(f"DELETE FROM {table} WHERE deal_id IN ({chunk})")
        names = ", ".join(VISIT_COLUMNS)
        tx.execute(f"INSERT INTO {VISITS} ({names}) {visits_select(chunk)}")
        tx.execute(f"INSERT INTO {REACH} (deal_id, furthest) {reach_select(VISITS, chunk)}")


def _fresh(store: Store) -> bool:
    current, built = rollups_repo.state(store)
    return all(built.get(t) == current for t in DERIVED)


def visits_source(store: Store) -> str:
    """The stage visits as a FROM item: the rollup when fresh, else computed."""
    return VISITS if _fresh(store) else f"({visits_select()})"


def reach_source(store: Store) -> str:
    """Each deal's furthest open stage as a FROM item: the rollup when fresh, else computed."""
    return REACH if _fresh(store) else f"({reach_select(visits_source(store))})"


# ------------------------------------------------------------------ reach and time


@dataclass(frozen=True, slots=True)
class ReachRow:
    """Deals that got as far as one open stage position (-1: no open stage on record), by
    status, with their summed amounts; `key` is the group (rep, channel, month or None) and
    `recent` whether they fall after the split instant (None without a split)."""

    key: Any
    recent: bool | None
    furthest: int
    status: str
    deals: int
    amount_minor: int


_GROUPS = {"rep": "d.owner_rep_id", "channel": "d.channel_id"}


def _group_sql(store: Store, group: str | None, time_zone: str) -> tuple[str, list[Any]]:
    if group is None:
        return "NULL", []
    if group == "month":
        return "CAST(date_trunc('month', timezone(?, d.created_at)) AS DATE)", [time_zone]
    return _GROUPS[group], []


def reach(
    store: Store, f: DealFilter, *, by_time: str, start: datetime, end: datetime,
    group: str | None = None, split: datetime | None = None, time_zone: str = "UTC",
) -> list[ReachRow]:  # fmt: skip
    """How far the deals whose `by_time` (created_at or closed_at) falls in [start, end) got,
    grouped by status, furthest open position and `group`."""
    if by_time not in ("created_at", "closed_at"):
        raise ValueError(by_time)
    where, params = f.sql()
    key, key_params = _group_sql(store, group, time_zone)
    recent = f"d.{by_time} >= ?" if split else "NULL"
    sql = (
        f"SELECT {key} AS k, {recent} AS recent, greatest(coalesce(f.furthest, -1), "
        "CASE WHEN cs.kind = 'open' THEN cs.position ELSE -1 END) AS furthest, d.status, "
        "count(*), sum(d.amount_minor) FROM deals d JOIN stages cs ON cs.id = d.stage_id "
        f"LEFT JOIN {reach_source(store)} f ON f.deal_id = d.id WHERE {where} AND d.{by_time} >= ? "
        f"AND d.{by_time} < ? GROUP BY 1, 2, 3, 4 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3, 4"
    )
    args = [*key_params, *([split] if split else []), *params, start, end]
    return [
        ReachRow(k, None if r is None else bool(r), int(fu), str(st), int(n), int(a or 0))
        for k, r, fu, st, n, a in store.fetchall(sql, args)
    ]


def _quantile(store: Store, expr: str, q: float) -> str:
    if store.dialect is Dialect.POSTGRES:
        return f"percentile_cont({q}) WITHIN GROUP (ORDER BY {expr})"
    return f"quantile_cont({expr}, {q})"


@dataclass(frozen=True, slots=True)
class StageTime:
    """Days in one stage of deals that left it for good in the window."""

    stage_id: int
    deals: int
    mean: float
    median: float
    p90: float


def stage_times(store: Store, f: DealFilter, start: datetime, end: datetime) -> list[StageTime]:
    """Per stage: deals that last left it in [start, end) and their days in it (all stays)."""
    where, params = f.sql()
    sql = (
        f"SELECT v.stage_id, count(*), avg(v.days), {_quantile(store, 'v.days', 0.5)}, "
        f"{_quantile(store, 'v.days', 0.9)} FROM {visits_source(store)} v "
        f"JOIN deals d ON d.id = v.deal_id WHERE {where} AND v.left_at >= ? AND v.left_at < ? "
        "GROUP BY v.stage_id"
    )
    return [
        StageTime(int(s), int(n), steady(m), float(md), float(p9))
        for s, n, m, md, p9 in store.fetchall(sql, [*params, start, end])
    ]


@dataclass(frozen=True, slots=True)
class LogTimes:
    """Sums of y = ln(1 + days in stage) for one stage, rep and window: n, sum y, sum y^2."""

    stage_id: int
    rep_id: int | None
    recent: bool
    n: int
    s1: float
    s2: float


def stage_log_times(
    store: Store, f: DealFilter, start: datetime, split: datetime, end: datetime
) -> list[LogTimes]:
    """Log-time sums per stage, rep and window (left the stage before or after `split`)."""
    where, params = f.sql()
    y = "ln(1 + v.days)"
    sql = (
        f"SELECT v.stage_id, d.owner_rep_id, v.left_at >= ?, count(*), sum({y}), "
        f"sum({y} * {y}) FROM {visits_source(store)} v JOIN deals d ON d.id = v.deal_id "
        f"WHERE {where} AND v.left_at >= ? AND v.left_at < ? GROUP BY 1, 2, 3 "
        "ORDER BY 1, 2 NULLS FIRST, 3"  # summed in Python in this order: the same bits each time
    )
    return [
        LogTimes(
            int(s), None if r is None else int(r), bool(rc), int(n), steady(a, 6), steady(b, 6)
        )
        for s, r, rc, n, a, b in store.fetchall(sql, [split, *params, start, end])
    ]


@dataclass(frozen=True, slots=True)
class CycleMonth:
    month: date
    deals: int
    mean: float
    median: float


def won_cycle_by_month(
    store: Store, f: DealFilter, start: datetime, end: datetime, time_zone: str
) -> list[CycleMonth]:
    """Days from creation to close of the deals won in [start, end), by local month of close."""
    where, params = f.sql()
    days = f"({_epoch('d.closed_at')} - {_epoch('d.created_at')}) / {DAY}"
    sql = (
        "SELECT CAST(date_trunc('month', timezone(?, d.closed_at)) AS DATE), count(*), "
        f"avg({days}), {_quantile(store, days, 0.5)} FROM deals d WHERE {where} "
        "AND d.status = 'won' AND d.closed_at >= ? AND d.closed_at < ? GROUP BY 1 ORDER BY 1"
    )
    return [
        CycleMonth(m, int(n), steady(a), float(md))
        for m, n, a, md in store.fetchall(sql, [time_zone, *params, start, end])
    ]


def find_channel(store: Store, text: str) -> list[tuple[int, str]]:
    """Channels whose id or name (case-insensitive) is `text`."""
    rows = store.fetchall("SELECT id, name FROM channels ORDER BY id")
    t = text.strip().casefold()
    return [(int(i), str(n)) for i, n in rows if str(i) == t or str(n).casefold() == t]


def channel_names(store: Store) -> dict[int, str]:
    return {int(i): str(n) for i, n in store.fetchall("SELECT id, name FROM channels")}


def set_stage(tx: WriteTx, stage_id: int, probability: float | None,
              rotting_days: int | None, clear_rotting: bool) -> None:  # fmt: skip
    """Change a stage's configured probability and rotting days."""
    if probability is not None:
        tx.execute("UPDATE stages SET probability = ? WHERE id = ?", [probability, stage_id])
    if rotting_days is not None or clear_rotting:
        tx.execute("UPDATE stages SET rotting_days = ? WHERE id = ?", [rotting_days, stage_id])
