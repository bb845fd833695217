"""The deals a forecast counts, its snapshots, and what came true.

A forecast for a period counts the open deals expected to close in it (and, for the period that
holds today, the overdue ones), each at its stage's configured probability and at the observed
stage-to-won rate, in a category by its stage's probability; plus what was won in the period
already. A snapshot keeps each counted deal, so accuracy can later be read by rep and stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from salesmetrics.storage.protocol import Store, WriteTx
from salesmetrics.storage.repositories.deal_flow import DealFilter, steady
from salesmetrics.storage.repositories.imports import allocate_ids


@dataclass(frozen=True, slots=True)
class Due:
    """Which open deals a forecast counts: expected close in [start, end], and overdue ones
    (expected before `start`) when `overdue` is set."""

    start: date
    end: date
    overdue: bool

    def sql(self, column: str) -> tuple[str, list[Any]]:
        if self.overdue:
            return f"{column} <= ?", [self.end]
        return f"{column} BETWEEN ? AND ?", [self.start, self.end]


@dataclass(frozen=True, slots=True)
class DueGroup:
    rep_id: int | None
    stage_id: int
    deals: int
    amount_minor: int


def due_open(store: Store, f: DealFilter, due: Due) -> list[DueGroup]:
    """Open deals due in the period, per rep and stage."""
    where, params = f.sql()
    when, wparams = due.sql("d.expected_close_on")
    rows = store.fetchall(
        "SELECT d.owner_rep_id, d.stage_id, count(*), sum(d.amount_minor) FROM deals d "
        f"WHERE d.status = 'open' AND {where} AND {when} GROUP BY 1, 2",
        [*params, *wparams],
    )
    return [DueGroup(None if r is None else int(r), int(s), int(n), int(a or 0))
            for r, s, n, a in rows]  # fmt: skip


def won_between(store: Store, f: DealFilter, start: datetime,
                end: datetime) -> dict[int | None, int]:  # fmt: skip
    """Amounts won in [start, end), per rep."""
    where, params = f.sql()
    rows = store.fetchall(
        "SELECT d.owner_rep_id, sum(d.amount_minor) FROM deals d WHERE d.status = 'won' "
        f"AND {where} AND d.closed_at >= ? AND d.closed_at < ? GROUP BY 1",
        [*params, start, end],
    )
    return {None if r is None else int(r): int(a or 0) for r, a in rows}


@dataclass(frozen=True, slots=True)
class Rates:
    """Per stage id: configured probability, observed stage-to-won rate, category."""

    configured: Mapping[int, float]
    observed: Mapping[int, float]
    category: Mapping[int, str]

    def case(self, column: str, values: Mapping[int, Any]) -> tuple[str, list[Any]]:
        parts, params = [], []
        for sid, v in sorted(values.items()):
            parts.append("WHEN ? THEN ?")
            params.extend([sid, v])
        if not parts:
            return "NULL", []
        return f"CASE {column} {' '.join(parts)} END", params


def _insert_header(tx: WriteTx, header: Mapping[str, Any]) -> int:
    (sid,) = allocate_ids(tx, "forecast_snapshots", 1)
    names = ["id", *header]
    marks = ", ".join("?" * len(names))
    tx.execute(f"INSERT INTO forecast_snapshots ({', '.join(names)}) VALUES ({marks})",
               [sid, *header.values()])  # fmt: skip
    return sid


def _lines_sql(rates: Rates, stage_expr: str) -> tuple[str, list[Any]]:
    obs, p1 = rates.case(stage_expr, rates.observed)
    cat, p2 = rates.case(stage_expr, rates.category)
    return f"coalesce({obs}, s.probability), coalesce({cat}, 'pipeline')", [*p1, *p2]


def snapshot_now(tx: WriteTx, header: Mapping[str, Any], f: DealFilter, due: Due,
                 rates: Rates) -> int:  # fmt: skip
    """Store a snapshot of the open deals due now; its id."""
    sid = _insert_header(tx, header)
    where, params = f.sql()
    when, wparams = due.sql("d.expected_close_on")
    cols, cparams = _lines_sql(rates, "d.stage_id")
    tx.execute(
        "INSERT INTO forecast_snapshot_deals (snapshot_id, deal_id, rep_id, stage_id, "
        f"amount_minor, probability, observed, category) SELECT ?, d.id, d.owner_rep_id, "
        f"d.stage_id, d.amount_minor, s.probability, {cols} FROM deals d JOIN stages s "
        f"ON s.id = d.stage_id WHERE d.status = 'open' AND {where} AND {when}",
        [sid, *cparams, *params, *wparams],
    )
    return sid


def snapshot_as_of(tx: WriteTx, header: Mapping[str, Any], f: DealFilter, due: Due,
                   rates: Rates, at: datetime) -> int:  # fmt: skip
    """Store a snapshot rebuilt from history as it stood at `at`: the deals open then, at the
    stage they were in and the close date they had (from the close-date changes); owners and
    amounts are today's (no history of them is kept)."""
    sid = _insert_header(tx, header)
    where, params = f.sql()
    close = "coalesce(cd.new_on, cf.old_on, d.expected_close_on)"
    when, wparams = due.sql(close)
    cols, cparams = _lines_sql(rates, "st.to_stage_id")
    tx.execute(
        "WITH st AS (SELECT deal_id, to_stage_id, row_number() OVER (PARTITION BY deal_id "
        "ORDER BY changed_at DESC, id DESC) AS rn FROM deal_stage_changes WHERE changed_at <= ?), "
        "cd AS (SELECT deal_id, new_on, row_number() OVER (PARTITION BY deal_id ORDER BY "
        "changed_at DESC, id DESC) AS rn FROM deal_close_date_changes WHERE changed_at <= ?), "
        "cf AS (SELECT deal_id, old_on, row_number() OVER (PARTITION BY deal_id ORDER BY "
        "changed_at, id) AS rn FROM deal_close_date_changes WHERE changed_at > ?) "
        "INSERT INTO forecast_snapshot_deals (snapshot_id, deal_id, rep_id, stage_id, "
        "amount_minor, probability, observed, category) SELECT ?, d.id, d.owner_rep_id, "
        f"st.to_stage_id, d.amount_minor, s.probability, {cols} FROM deals d "
        "JOIN st ON st.deal_id = d.id AND st.rn = 1 JOIN stages s ON s.id = st.to_stage_id "
        "LEFT JOIN cd ON cd.deal_id = d.id AND cd.rn = 1 "
        "LEFT JOIN cf ON cf.deal_id = d.id AND cf.rn = 1 "
        f"WHERE s.kind = 'open' AND d.created_at <= ? AND (d.closed_at IS NULL OR "
        f"d.closed_at > ?) AND {where} AND {when}",
        [at, at, at, sid, *cparams, at, at, *params, *wparams],
    )
    return sid


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    id: int
    taken_at: datetime
    period_start: date
    period_end: date
    pipeline_id: int | None
    how: str | None


def snapshots(store: Store, pipeline_id: int, start: date, end: date) -> list[SnapshotRow]:
    """Snapshots of periods that start in [start, end], oldest first."""
    rows = store.fetchall(
        "SELECT id, taken_at, period_start_on, period_end_on, pipeline_id, how "
        "FROM forecast_snapshots WHERE pipeline_id = ? AND period_start_on BETWEEN ? AND ? "
        "ORDER BY period_start_on, taken_at, id",
        [pipeline_id, start, end],
    )
    return [SnapshotRow(int(i), t, s, e, None if p is None else int(p), h)
            for i, t, s, e, p, h in rows]  # fmt: skip


def taken_between(store: Store, pipeline_id: int, period_start: date, start: datetime,
                  end: datetime) -> bool:  # fmt: skip
    """Whether a snapshot of the period starting on `period_start` was taken in [start, end)."""
    rows = store.fetchall(
        "SELECT count(*) FROM forecast_snapshots WHERE pipeline_id = ? AND period_start_on = ? "
        "AND taken_at >= ? AND taken_at < ?",
        [pipeline_id, period_start, start, end],
    )
    return bool(rows[0][0])


@dataclass(frozen=True, slots=True)
class SnapshotLine:
    """A snapshot's deals of one rep and stage, and what they brought in the period."""

    snapshot_id: int
    rep_id: int | None
    stage_id: int
    deals: int
    amount_minor: int
    weighted_minor: float
    observed_minor: float
    commit_minor: int
    best_case_minor: int
    won_minor: int  # of these deals, won in the period


def _windows(windows: Mapping[int, tuple[datetime, datetime]]) -> tuple[str, list[Any]]:
    """A VALUES list of (key, start, end) instants, as a FROM item named w."""
    rows = ", ".join("(?, ?, ?)" for _ in windows)
    params = [v for k, (a, b) in sorted(windows.items()) for v in (k, a, b)]
    return f"(VALUES {rows}) AS w (k, s0, s1)", params


def snapshot_lines(store: Store, windows: Mapping[int, tuple[datetime, datetime]],
                   f: DealFilter) -> list[SnapshotLine]:  # fmt: skip
    """The lines of several snapshots (id -> its period as instants), per rep and stage."""
    if not windows:
        return []
    where, params = f.sql()
    w, wparams = _windows(windows)
    rows = store.fetchall(
        "SELECT x.snapshot_id, x.rep_id, x.stage_id, count(*), sum(x.amount_minor), "
        "sum(x.amount_minor * x.probability), sum(x.amount_minor * x.observed), "
        "coalesce(sum(x.amount_minor) FILTER (WHERE x.category = 'commit'), 0), "
        "coalesce(sum(x.amount_minor) FILTER (WHERE x.category IN ('commit', 'best_case')), 0), "
        "coalesce(sum(d.amount_minor) FILTER (WHERE d.status = 'won' AND d.closed_at >= w.s0 "
        f"AND d.closed_at < w.s1), 0) FROM forecast_snapshot_deals x JOIN {w} "
        "ON w.k = x.snapshot_id JOIN deals d ON d.id = x.deal_id "
        f"WHERE {where.replace('d.owner_rep_id', 'x.rep_id')} GROUP BY 1, 2, 3",
        [*wparams, *params],
    )
    return [
        SnapshotLine(int(sid), None if r is None else int(r), int(s), int(n), int(a or 0),
                     steady(wt or 0, 2), steady(o or 0, 2), int(c), int(b), int(won))
        for sid, r, s, n, a, wt, o, c, b, won in rows
    ]  # fmt: skip


def won_within(store: Store, windows: Mapping[int, tuple[datetime, datetime]],
               f: DealFilter) -> dict[tuple[int, int | None], int]:  # fmt: skip
    """Amounts won within each window (key -> [start, end)), per key and rep."""
    if not windows:
        return {}
    where, params = f.sql()
    w, wparams = _windows(windows)
    rows = store.fetchall(
        f"SELECT w.k, d.owner_rep_id, sum(d.amount_minor) FROM {w} JOIN deals d "
        "ON d.status = 'won' AND d.closed_at >= w.s0 AND d.closed_at < w.s1 "
        f"WHERE {where} GROUP BY 1, 2",
        [*wparams, *params],
    )
    return {(int(k), None if r is None else int(r)): int(a or 0) for k, r, a in rows}
