"""What every pipeline reading starts from: which pipeline and deals (the asker's view, and a
rep, team or channel asked for), its stages, the period and the instant it is read at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from salesmetrics.domain.access import Permission, Principal
from salesmetrics.domain.errors import InputError, NotFoundError, QueryError
from salesmetrics.domain.periods import DateRange, parse_period
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import deal_flow as flow
from salesmetrics.storage.repositories import targets as people
from salesmetrics.storage.repositories.deal_flow import DealFilter, StageRow

DEFAULT_DAYS = 365


@dataclass(frozen=True, slots=True)
class Ask:
    """One pipeline reading's inputs, resolved."""

    ws: Workspace
    pipeline: flow.PipelineRow
    stages: tuple[StageRow, ...]  # the pipeline's, by position
    deals: DealFilter
    period: DateRange
    today: date
    now: datetime
    zone: ZoneInfo

    @property
    def open_stages(self) -> list[StageRow]:
        return [s for s in self.stages if s.kind == "open"]

    def stage(self, stage_id: int) -> StageRow | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def instant(self, day: date) -> datetime:
        """The start of a local day, as an instant."""
        return datetime.combine(day, time(), self.zone)

    @property
    def start(self) -> datetime:
        return self.instant(self.period.start)

    @property
    def end(self) -> datetime:
        """The end of the period, or now if that is sooner."""
        return min(self.instant(self.period.end_exclusive), self.now)

    def about(self) -> dict[str, Any]:
        return {"pipeline": {"id": self.pipeline.id, "name": self.pipeline.name},
                "period": {"start": self.period.start, "end": self.period.end},
                "as_of": self.now}  # fmt: skip


def _pipeline(ws: Workspace, wanted: str | None) -> flow.PipelineRow:
    found = flow.pipelines(ws.store)
    if not found:
        raise NotFoundError("this workspace has no pipeline yet: import deals first")
    if wanted is None or not wanted.strip():
        return found[0]
    text = wanted.strip()
    for p in found:
        if str(p.id) == text or p.name.casefold() == text.casefold():
            return p
    names = ", ".join(p.name for p in found)
    raise NotFoundError(f"no pipeline '{text}'; there are: {names}")


def _one(kind: str, text: str, hits: list[tuple[int, str]]) -> int:
    if not hits:
        raise NotFoundError(f"no {kind} '{text}'")
    if len(hits) > 1:
        names = ", ".join(n for _, n in hits[:5])
        raise QueryError(f"'{text}' matches several {kind}s ({names}): use the id")
    return hits[0][0]


def reps_asked(ws: Workspace, rep: str | None, team: str | None) -> tuple[int, ...] | None:
    if rep and team:
        raise QueryError("ask for a rep or a team, not both")
    if rep:
        return (_one("rep", rep, people.find_rep(ws.store, rep)),)
    if team:
        team_id = _one("team", team, people.find_team(ws.store, team))
        return tuple(people.team_reps(ws.store).get(team_id, []))
    return None


def default_period(today: date) -> DateRange:
    return DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)


def ask(
    ws: Workspace, who: Principal, *, pipeline: str | None = None, period: str | None = None,
    rep: str | None = None, team: str | None = None, channel: str | None = None,
    as_of: date | None = None, now: datetime | None = None,
) -> Ask:  # fmt: skip
    """Resolve a reading's inputs; the deals are always narrowed to the asker's view."""
    s = ws.settings
    zone = ZoneInfo(s.time_zone)
    # as of the start of this hour: two people (or two reads) within the hour see one answer
    moment = now or datetime.now(zone).replace(minute=0, second=0, microsecond=0)
    today = as_of or moment.astimezone(zone).date()
    if as_of is not None and now is None:  # the end of that day, or now if sooner
        moment = min(moment, datetime.combine(as_of + timedelta(days=1), time(), zone))
    p = _pipeline(ws, pipeline)
    chosen = (
        parse_period(period, today, s.fiscal_year_start_month) if period else default_period(today)
    )
    channel_id = None
    if channel:
        channel_id = _one("channel", channel, flow.find_channel(ws.store, channel))
    deals = DealFilter(p.id, who.scope, reps_asked(ws, rep, team), channel_id)
    stages = tuple(x for x in flow.stages(ws.store) if x.pipeline_id == p.id)
    return Ask(ws, p, stages, deals, chosen, today, moment, zone)


def set_stage(
    a: Ask, who: Principal, stage: str, *, probability: float | None = None,
    rotting_days: int | None = None, clear_rotting: bool = False,
) -> StageRow:  # fmt: skip
    """Set a stage's configured probability (0 to 1) and rotting days (owners); the stage as
    it now is."""
    who.require(Permission.WRITE)
    text = stage.strip().casefold()
    found = [s for s in a.stages if str(s.id) == text or s.name.casefold() == text]
    if not found:
        names = ", ".join(s.name for s in a.stages)
        raise NotFoundError(f"no stage '{stage}' in {a.pipeline.name}; there are: {names}")
    if probability is not None and not 0.0 <= probability <= 1.0:
        raise InputError(f"probability {probability} is not between 0 and 1 (use 0.35 for 35 %)")
    if rotting_days is not None and not 1 <= rotting_days <= 3650:
        raise InputError(f"rotting days {rotting_days}: use 1 to 3650")
    target = found[0]
    a.ws.store.write(lambda tx: flow.set_stage(tx, target.id, probability, rotting_days,
                                                clear_rotting))  # fmt: skip
    a.ws.metrics.refresh_rollups()  # the data version moved on: bring the rollups up to it
    return next(s for s in flow.stages(a.ws.store) if s.id == target.id)


def pipelines(ws: Workspace) -> list[flow.PipelineRow]:
    """The workspace's pipelines, the default first."""
    return flow.pipelines(ws.store)
