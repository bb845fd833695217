"""Setting targets: on any metric, for the company, a team or a rep, for a month, a quarter, a
year or a run of whole months. A longer target is split into months, evenly, by last year's
seasonality (the metric's own values in the same months a year earlier) or by weights given.

Values are read in the metric's unit as people write it: money in major units of the base
currency (`250000` or `250 000,50` hryvnias), a percentage as `24%` or `0.24`, counts as numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.analytics.pacing import MonthShare, even_shares, weighted_shares
from salesmetrics.domain.access import EVERYTHING, Permission, Principal, Scope
from salesmetrics.domain.enums import TargetScope, TargetSplit
from salesmetrics.domain.errors import InputError, NotFoundError
from salesmetrics.domain.money import exponent
from salesmetrics.metrics.spec import Agg, MetricDef, MetricType, Unit
from salesmetrics.services.access.audit import record_in
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import targets as repo

SOURCE = "app"
MAX_VALUE = 10**13  # in major units: ten trillion hryvnias, far past any small business
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2})\.\.(\d{4}-\d{2})$")


@dataclass(frozen=True, slots=True)
class TargetPeriod:
    start: date
    end: date
    grain: str  # month, quarter, year or months

    def months(self) -> list[date]:
        out, day = [], self.start
        while day <= self.end:
            out.append(day)
            day = month_after(day)
        return out

    def __str__(self) -> str:
        match self.grain:
            case "month":
                return f"{self.start:%Y-%m}"
            case "quarter":
                return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
            case "year":
                return str(self.start.year)
        return f"{self.start:%Y-%m}..{self.end:%Y-%m}"


def month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month(year: str, month: str, text: str) -> date:
    if not 1 <= int(month) <= 12 or not 1900 <= int(year) <= 2099:
        raise InputError(f"'{text}' is not a month between 1900-01 and 2099-12")
    return date(int(year), int(month), 1)


def parse_target_period(text: str) -> TargetPeriod:
    """YYYY-MM (a month), YYYY-Qn (a quarter), YYYY (a year) or YYYY-MM..YYYY-MM."""
    text = text.strip()
    if m := _MONTH.match(text):
        start = _month(m[1], m[2], text)
        return TargetPeriod(start, month_after(start) - timedelta(days=1), "month")
    if m := _QUARTER.match(text):
        start = _month(m[1], str(3 * int(m[2]) - 2), text)
        return TargetPeriod(start, month_after(month_after(month_after(start))) - timedelta(1),
                            "quarter")  # fmt: skip
    if m := _YEAR.match(text):
        start = _month(m[1], "1", text)
        return TargetPeriod(start, date(start.year, 12, 31), "year")
    if m := _RANGE.match(text):
        first, last = (_month(part[:4], part[5:], text) for part in (m[1], m[2]))
        if last < first:
            raise InputError(f"period '{text}' ends before it starts")
        grain = "month" if first == last else "months"
        return TargetPeriod(first, month_after(last) - timedelta(days=1), grain)
    raise InputError(f"'{text}' is not a target period: use YYYY-MM, YYYY-Qn, YYYY or "
                     "YYYY-MM..YYYY-MM (targets run over whole months)")  # fmt: skip


def parse_value(text: str, metric: MetricDef, currency: str) -> float:
    """A target value as typed, in the metric's stored unit (money in minor units)."""
    raw = text.strip().replace("\u00a0", "").replace(" ", "").replace("_", "")
    percent = raw.endswith("%")
    raw = raw.rstrip("%").replace(",", ".")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise InputError(f"target value '{text}' is not a number") from None
    if not number.is_finite() or number < 0 or number >= MAX_VALUE:
        raise InputError(f"target value '{text}' must be from 0 to under {MAX_VALUE:,}")
    if metric.unit is Unit.PERCENT:
        if percent:
            number /= 100
        elif number > 1:
            raise InputError(f"'{text}' for {metric.name}, a percentage: write {text}% or "
                             f"{number / 100}")  # fmt: skip
    elif percent:
        raise InputError(f"{metric.name} is not a percentage: write the value without %")
    if metric.unit is Unit.MONEY:
        return float((number * 10 ** exponent(currency)).to_integral_value())
    return float(number)


def adds_up(metric: MetricDef) -> bool:
    """Whether a metric's days add up to its period (revenue, deals won, activities) rather
    than forming a level (a rate, a score, an average, a state at the period's end)."""
    counted = (Agg.SUM, Agg.COUNT, Agg.COUNT_TRUE, Agg.COUNT_DISTINCT)
    return (metric.type is MetricType.SIMPLE and metric.unit in (Unit.MONEY, Unit.COUNT)
            and metric.at_period_end is None and metric.measure is not None
            and metric.measure.agg in counted)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Owner:
    """Whom a target is for: the company, or a team or rep by id, with its name."""

    scope: TargetScope
    id: int | None = None
    name: str | None = None

    def view(self, team_reps: dict[int, list[int]]) -> Scope:
        """The records the target's actuals are counted over."""
        if self.scope is TargetScope.COMPANY or self.id is None:
            return EVERYTHING
        if self.scope is TargetScope.REP:
            return Scope(frozenset({self.id}), unassigned=False)
        return Scope(frozenset(team_reps.get(self.id, ())), unassigned=False)


def find_owner(ws: Workspace, rep: str | None = None, team: str | None = None) -> Owner:
    """The company, or the one rep or team the text names (id, external id, name or email)."""
    if rep and team:
        raise InputError("a target is for a rep or a team, not both")
    if not rep and not team:
        return Owner(TargetScope.COMPANY)
    kind, text = ("rep", rep) if rep else ("team", team)
    assert text is not None
    found = (repo.find_rep if kind == "rep" else repo.find_team)(ws.store, text.strip())
    if not found:
        raise NotFoundError(f"no {kind} '{text}': use its id, external id or exact name")
    if len(found) > 1:
        ids = ", ".join(str(i) for i, _ in found)
        raise InputError(f"{len(found)} {kind}s are called '{text}' (ids {ids}): use the id")
    scope = TargetScope.REP if kind == "rep" else TargetScope.TEAM
    return Owner(scope, found[0][0], found[0][1])


def seasonal_weights(ws: Workspace, metric: str, period: TargetPeriod, owner: Owner) -> list[float]:
    """The metric's values in the same calendar months the last time each was complete (a year
    earlier, or two when last year's month has not ended yet), for the same rep or team."""
    today = ws.metrics.today()

    def source(month: date) -> date:
        back = month.replace(year=month.year - 1)
        return back if month_after(back) <= today else back.replace(year=back.year - 1)

    wanted = {m: source(m) for m in period.months()}
    start, end = min(wanted.values()), month_after(max(wanted.values())) - timedelta(days=1)
    view = owner.view(repo.team_reps(ws.store))
    result = ws.metrics.query([metric], period=f"{start}..{end}", grain="month", scope=view,
                              as_of=today)  # fmt: skip
    values = {row["period"]: row.get(metric) for row in result.rows()}
    weights = [float(values.get(wanted[m]) or 0.0) for m in period.months()]
    if sum(weights) <= 0:
        raise InputError(f"no {metric} in {start:%Y-%m}..{end:%Y-%m} to split by: use "
                         "--split even or --split custom with weights")  # fmt: skip
    return weights


def shares_for(ws: Workspace, metric: str, period: TargetPeriod, owner: Owner,
               split: TargetSplit, weights: list[float] | None) -> list[MonthShare]:  # fmt: skip
    months = period.months()
    if split is TargetSplit.CUSTOM:
        if not weights:
            raise InputError(f"a custom split needs weights, one per month ({len(months)})")
        try:
            return weighted_shares(months, weights)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    if weights:
        raise InputError("weights go with --split custom")
    if split is TargetSplit.SEASONAL and len(months) > 1:
        return weighted_shares(months, seasonal_weights(ws, metric, period, owner))
    return even_shares(months)


def set_target(
    ws: Workspace, who: Principal, metric: str, period: str, value: str, *,
    owner: Owner, split: TargetSplit = TargetSplit.EVEN, weights: list[float] | None = None,
) -> list[int]:  # fmt: skip
    """Set (or replace) a target; a longer one with its months. Owners only. The ids written,
    the one set first."""
    who.require(Permission.WRITE)
    mdef = ws.metrics.catalog.get(metric)
    view = owner.view(repo.team_reps(ws.store))
    if not view.everything and not ws.metrics.readable([metric], view):
        raise InputError(f"{metric} is company-wide (built on data that belongs to no rep, such "
                         "as marketing spend): set it for the company")  # fmt: skip
    p = parse_target_period(period)
    total = parse_value(value, mdef, ws.settings.base_currency)
    shares = shares_for(ws, metric, p, owner, split, weights) if p.grain != "month" else []
    additive = adds_up(mdef)
    base = f"{metric}:{owner.scope.value}:{owner.id or ''}"

    def work(tx: WriteTx) -> list[int]:
        if p.grain == "month":
            _not_in_a_plan(tx, metric, owner, p.start, p.end, None)
            one = repo.NewTarget(f"{base}:{p}", metric, owner.scope.value, owner.id, p.start,
                                 p.end, total, TargetSplit.EVEN.value)  # fmt: skip
            ids = [repo.put(tx, one, SOURCE)]
        else:
            plan = repo.NewTarget(f"{base}:{p}", metric, owner.scope.value, owner.id, p.start,
                                  p.end, total, split.value, [s.share for s in shares],
                                  has_months=True)  # fmt: skip
            parent = repo.put(tx, plan, SOURCE)
            repo.remove(tx, [c.id for c in repo.children(tx, parent)])
            ids = [parent]
            for s in shares:
                end = month_after(s.month) - timedelta(days=1)
                _not_in_a_plan(tx, metric, owner, s.month, end, parent)
                part = total * s.share if additive else total  # a rate holds every month
                ids.append(repo.put(tx, repo.NewTarget(
                    f"{base}:{s.month:%Y-%m}", metric, owner.scope.value, owner.id, s.month,
                    end, part, split.value, parent_id=parent), SOURCE))  # fmt: skip
        record_in(tx, who, "target_set", object_type="target", object_id=ids[0],
                  details={"metric": metric, "period": str(p), "value": total,
                           "scope": owner.scope.value, "for": owner.name,
                           "split": split.value, "months": len(ids) - 1})  # fmt: skip
        return ids

    return ws.store.write(work)


def _not_in_a_plan(tx: WriteTx, metric: str, owner: Owner, start: date, end: date,
                   plan_id: int | None) -> None:  # fmt: skip
    """Refuse to take over a month that belongs to another quarter or year target."""
    for found in repo.same(tx, metric, owner.scope.value, owner.id, start, end):
        row = repo.by_id(tx, found)
        if row is not None and row.parent_id not in (None, plan_id):
            plan = repo.by_id(tx, row.parent_id)
            name = f"{plan.start:%Y-%m}..{plan.end:%Y-%m}" if plan else str(row.parent_id)
            raise InputError(f"{start:%Y-%m} of {metric} is part of target {row.parent_id} "
                             f"({name}): set or remove that one instead")  # fmt: skip


def remove_target(ws: Workspace, who: Principal, target_id: int) -> int:
    """Remove a target (a plan with its months). Owners only. How many rows went."""
    who.require(Permission.WRITE)
    found = repo.by_id(ws.store, target_id)
    if found is None:
        raise NotFoundError(f"no target with id {target_id}")
    if found.parent_id is not None:
        raise InputError(f"target {target_id} is a month of plan {found.parent_id}: set the "
                         f"plan again, or remove plan {found.parent_id}")  # fmt: skip

    def work(tx: WriteTx) -> int:
        gone = repo.remove(tx, [target_id])
        record_in(tx, who, "target_removed", object_type="target", object_id=target_id,
                  details={"metric": found.metric, "start": found.start.isoformat(),
                           "end": found.end.isoformat(), "rows": gone})  # fmt: skip
        return gone

    return ws.store.write(work)


def money_in_minor_units(ws: Workspace, rows: pa.Table) -> pa.Table:
    """Imported targets as people write them: a money metric's value in major units of the base
    currency (250000 hryvnias), stored in minor units like every amount."""
    if "metric" not in rows.column_names or "value" not in rows.column_names:
        return rows
    money = {n for n in set(rows["metric"].to_pylist()) if isinstance(n, str)
             and n in ws.metrics.catalog.entries
             and ws.metrics.catalog.get(n).unit is Unit.MONEY}  # fmt: skip
    if not money:
        return rows
    scale = float(10 ** exponent(ws.settings.base_currency))
    is_money = pc.is_in(rows["metric"], value_set=pa.array(sorted(money)))
    value = pc.if_else(is_money, pc.round(pc.multiply(rows["value"], scale)), rows["value"])
    return rows.set_column(rows.column_names.index("value"), "value", value)


def teams(ws: Workspace) -> list[tuple[int, str]]:
    """Every team (id, name), by name: whom a team target can be for."""
    return repo.teams(ws.store)
