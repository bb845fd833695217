"""Which period and whose records a report covers: `--period` (any period the metric engine
takes, and YYYY-Qn quarters) and `--scope` (company, team:<name>, rep:<name>), always inside
what the asker sees (domain.access)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from salesmetrics.domain.access import ForbiddenError, Principal, Scope
from salesmetrics.domain.errors import InputError, NotFoundError, QueryError
from salesmetrics.domain.periods import DateRange, add_months, parse_period
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import targets as people
from salesmetrics.storage.repositories import team as team_repo

_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
SCOPE_HELP = "company, team:<name or id> or rep:<name, id or e-mail>"


def period_range(ws: Workspace, text: str, as_of: date) -> DateRange:
    """A named period, YYYY-MM-DD..YYYY-MM-DD, YYYY-MM, YYYY-Qn (calendar quarter) or YYYY."""
    if m := _QUARTER.match(text.strip()):
        start = date(int(m[1]), 3 * int(m[2]) - 2, 1)
        return DateRange(start, add_months(start, 3) - timedelta(days=1))
    return parse_period(text, as_of, ws.settings.fiscal_year_start_month)


@dataclass(frozen=True, slots=True)
class ReportScope:
    """`--scope` resolved: its kind, the name found, the team's id, and the reps it covers
    (None: the whole company, i.e. all the asker sees)."""

    kind: str  # company, team or rep
    name: str | None = None
    team_id: int | None = None
    reps: frozenset[int] | None = None

    @property
    def code(self) -> str:
        return "company" if self.kind == "company" else f"{self.kind}:{self.name}"

    @property
    def slug(self) -> str:
        """For file names: company, team-3, rep-12."""
        if self.kind == "team":
            return f"team-{self.team_id}"
        if self.kind == "rep" and self.reps:
            return f"rep-{min(self.reps)}"
        return "company"


def _one(kind: str, text: str, hits: list[tuple[int, str]]) -> tuple[int, str]:
    if not hits:
        raise NotFoundError(f"no {kind} '{text}'")
    if len(hits) > 1:
        raise QueryError(f"'{text}' matches several {kind}s "
                         f"({', '.join(n for _, n in hits[:5])}): use the id")  # fmt: skip
    return hits[0]


def parse_scope(ws: Workspace, text: str | None, who: Principal | None = None) -> ReportScope:
    """`company` (or nothing), `team:<name>` or `rep:<name>`; with `who`, looked up only among
    the reps and teams they see, so an answer never names a rep outside their view."""
    raw = (text or "company").strip()
    kind, _, name = raw.partition(":")
    kind, name = kind.strip().lower(), name.strip()
    seen = who.scope if who is not None else None
    if kind == "company" and not name:
        return ReportScope("company")
    if kind == "rep" and name:
        hits = people.find_rep(ws.store, name)
        hits = hits if seen is None else [h for h in hits if seen.sees(h[0])]
        rep_id, found = _one("rep", name, hits)
        return ReportScope("rep", found, None, frozenset({rep_id}))
    if kind == "team" and name:
        members = people.team_reps(ws.store)
        hits = people.find_team(ws.store, name)
        if seen is not None:
            hits = [h for h in hits if any(seen.sees(r) for r in members.get(h[0], []))]
        team_id, found = _one("team", name, hits)
        return ReportScope("team", found, team_id, frozenset(members.get(team_id, [])))
    raise InputError(f"scope '{raw}' is not one of {SCOPE_HELP}")


def narrowed(who: Principal, s: ReportScope) -> Principal:
    """`who` looking at the scope's records only: a team or rep outside their view is refused
    (a manager may narrow to one of their reps; a rep only to themselves)."""
    if s.reps is None:
        return who
    seen = who.scope
    if not seen.everything and not s.reps & (seen.reps or frozenset()):
        raise ForbiddenError(f"{s.kind} '{s.name}' is not in what a {who.role.value} sees")
    reps = s.reps if seen.everything else s.reps & (seen.reps or frozenset())
    return replace(who, scope=Scope(reps, unassigned=False, segment=seen.segment))


def choices(ws: Workspace, who: Principal) -> list[tuple[str, str, str]]:
    """The scopes a person may ask for: (code, kind, name) of the company (their view), each
    team with a rep they see and each rep they see."""
    reps = [r for r in team_repo.reps(ws.store) if who.scope.sees(r.id)]
    teams = {r.team_id: r.team for r in reps if r.team_id is not None and r.team}
    out = [("company", "company", "")]
    out += [
        (f"team:{tid}", "team", name)
        for tid, name in sorted(teams.items(), key=lambda t: t[1] or "")
    ]
    out += [(f"rep:{r.id}", "rep", r.name) for r in sorted(reps, key=lambda r: r.name)]
    return out
