"""Report sections about selling: the headline KPIs against the previous period, revenue by
month, targets with their pacing, and the team's leaderboard (each from the service the page
of the same name uses: overview's metrics, targets.status, team.leaderboard)."""

from __future__ import annotations

from salesmetrics.domain.enums import TargetScope
from salesmetrics.domain.periods import DateRange, add_months
from salesmetrics.services import team
from salesmetrics.services.overview import HEADLINE
from salesmetrics.services.reports.context import Context, kind_of
from salesmetrics.services.reports.fmt import cell, signed_percent
from salesmetrics.services.reports.model import Cell, Chart, Column, Kind, Section, Series, Table
from salesmetrics.services.targets.status import TargetStatus, status

TREND_MONTHS = 12
TOP_REPS_CHART = 12


def _yes_no(c: Context, v: bool | None) -> str:
    return "—" if v is None else c.t("yes" if v else "no")


def headline(c: Context) -> Section:
    """Each headline KPI in the period against the period before, with the change and whether
    it is beyond noise (the Overview's cards, for any period)."""
    names = c.ws.metrics.readable(HEADLINE, c.who.scope)
    result = c.ws.metrics.query(names, period=c.span, compare="previous", as_of=c.today,
                                scope=c.who.scope)  # fmt: skip
    row = result.rows()[0] if result.rows() else {}
    rows: list[tuple[Cell, ...]] = []
    kinds: list[Kind] = []
    for m in result.metrics:
        n = m.name
        rows.append(
            (
                n,
                c.label(m),
                row.get(n),
                row.get(f"{n}__previous"),
                row.get(f"{n}__delta_pct"),
                _yes_no(c, row.get(f"{n}__significant")),
            )
        )
        kinds.append(kind_of(m.unit))  # fmt: skip
    cols = (Column("metric", "id", Kind.TEXT, printed=False),
            Column("label", c.t("kpi"), Kind.TEXT),
            Column("value", c.t("value"), Kind.VALUE),
            Column("previous", c.t("previous"), Kind.VALUE),
            Column("change", c.t("change"), Kind.PERCENT),
            Column("noise", c.t("noise"), Kind.TEXT))  # fmt: skip
    cmp = result.request.comparison
    text = c.t("headline_text", period=str(c.period), comparison=str(cmp) if cmp else "—")
    revenue = row.get("revenue")
    if revenue is not None:
        text += f" {c.t('revenue')}: {cell(revenue, Kind.MONEY, c.currency, c.lang)} " \
                f"({signed_percent(row.get('revenue__delta_pct'), c.lang)})."  # fmt: skip
    return Section("headline", c.t("headline"), text,
                   (Table(c.t("headline"), cols, tuple(rows), tuple(kinds)),))  # fmt: skip


def trend(c: Context) -> Section:
    """Revenue and orders by month over the TREND_MONTHS months up to the period's end."""
    end = c.period.end
    start = add_months(end.replace(day=1), -(TREND_MONTHS - 1))
    span = DateRange(min(start, c.period.start.replace(day=1)), end)
    names = c.ws.metrics.readable(("revenue", "orders"), c.who.scope)
    result = c.ws.metrics.query(names, period=str(span), grain="month", as_of=c.today,
                                scope=c.who.scope)  # fmt: skip
    rows = sorted(result.rows(), key=lambda r: r["period"])
    cols = [Column("month", c.t("month"), Kind.MONTH)]
    cols += [Column(n, c.t(n), Kind.MONEY if n == "revenue" else Kind.COUNT) for n in names]
    table = Table(c.t("trend"), tuple(cols),
                  tuple((r["period"], *(r.get(n) for n in names)) for r in rows))  # fmt: skip
    values = tuple(None if r.get("revenue") is None else float(r["revenue"]) for r in rows)
    chart = Chart("bar", c.t("trend"), tuple(f"{r['period']:%m.%y}" for r in rows),
                  (Series(c.t("revenue"), values),), Kind.MONEY)  # fmt: skip
    total = sum(v for v in values if v is not None)
    text = c.t("trend_text", n=len(rows), total=cell(total, Kind.MONEY, c.currency, c.lang))
    return Section("trend", c.t("trend"), text, (table,), chart)


def _in_scope(c: Context, s: TargetStatus) -> bool:
    t, sc = s.target, c.scope
    if sc.kind == "company":
        return True
    if t.scope == TargetScope.TEAM:
        return sc.team_id is not None and t.scope_id == sc.team_id
    return t.scope == TargetScope.REP and t.scope_id in (sc.reps or frozenset())


def targets(c: Context) -> Section:
    """Every target the asker sees that overlaps the period (narrowed to the scope): achieved,
    attainment, the projection and the run-rate needed per working day left."""
    found = [s for s in status(c.ws, c.asker, c.end, start=c.period.start, end=c.period.end)
             if _in_scope(c, s)]  # fmt: skip
    rows: list[tuple[Cell, ...]] = []
    kinds: list[Kind] = []
    for s in found:
        t, p = s.target, s.pace
        who = t.scope_name or c.t("company_target")
        label = c.ws.metrics.catalog.get(t.metric).label
        rows.append((who, label.uk if c.lang == "uk" else label.en, s.period, t.value,
                     p.achieved, p.attainment, p.projected_attainment, p.required_run_rate,
                     _yes_no(c, p.ahead)))  # fmt: skip
        kinds.append(kind_of(s.unit))
    cols = (Column("for", c.t("for"), Kind.TEXT), Column("metric", c.t("metric"), Kind.TEXT),
            Column("period", c.t("period"), Kind.TEXT),
            Column("target", c.t("target"), Kind.VALUE),
            Column("achieved", c.t("achieved"), Kind.VALUE),
            Column("attainment", c.t("attainment"), Kind.PERCENT),
            Column("projected", c.t("projected"), Kind.PERCENT),
            Column("per_day", c.t("per_day"), Kind.VALUE),
            Column("ahead", c.t("ahead"), Kind.TEXT))  # fmt: skip
    behind = sum(1 for s in found if s.pace.ahead is False)
    text = c.t("targets_text", n=len(found), behind=behind) if found else c.t("targets_none")
    tables = (Table(c.t("targets"), cols, tuple(rows), tuple(kinds)),) if found else ()
    return Section("targets", c.t("targets"), text, tables)


def leaderboard(c: Context) -> Section:
    """The reps in view ranked by revenue, with their team, the change on the period before
    and the leaderboard's other figures (services/team.py)."""
    board = team.leaderboard(c.ws, c.who.scope, c.span, c.today)
    metrics = [m for m in ("revenue", "deals_won", "win_rate", "avg_deal_size", "activities",
                           "new_customers") if any(i.name == m for i in board.metrics)]  # fmt: skip
    attain = board.targets
    lines = sorted(board.reps(), key=lambda x: -(x.figures["revenue"].value or 0))
    lines = [x for x in lines if any(x.figures[m].value for m in metrics if m in x.figures)]
    rows = []
    for x in lines:
        figs = [x.figures[m].value if m in x.figures else None for m in metrics]
        extra = [x.figures[team.ATTAINMENT].value if team.ATTAINMENT in x.figures else None]
        rows.append(
            (
                x.name,
                x.team or c.t("no_team"),
                *figs[:1],
                x.figures["revenue"].delta_pct,
                *figs[1:],
                *(extra if attain else []),
            )
        )
    keys = {"revenue": ("revenue", Kind.MONEY), "deals_won": ("deals_won", Kind.COUNT),
            "win_rate": ("win_rate", Kind.PERCENT), "avg_deal_size": ("avg_deal", Kind.MONEY),
            "activities": ("activities", Kind.COUNT),
            "new_customers": ("new_customers", Kind.COUNT)}  # fmt: skip
    cols = [Column("rep", c.t("rep_col"), Kind.TEXT), Column("team", c.t("team_col"), Kind.TEXT)]
    for i, m in enumerate(metrics):
        cols.append(Column(m, c.t(keys[m][0]), keys[m][1]))
        if i == 0:
            cols.append(Column("change", c.t("change"), Kind.PERCENT))
    if attain:
        cols.append(Column("attainment", c.t("attainment"), Kind.PERCENT))
    top = lines[:TOP_REPS_CHART]
    chart = Chart("bar", c.t("revenue_by_rep"), tuple(x.name or "—" for x in top),
                  (Series(c.t("revenue"), tuple(x.figures["revenue"].value for x in top)),),
                  Kind.MONEY) if top else None  # fmt: skip
    if not lines:
        return Section("team", c.t("team_title"), c.t("team_none"))
    best = lines[0]
    text = c.t(
        "team_text",
        n=len(lines),
        top=best.name,
        revenue=cell(best.figures["revenue"].value, Kind.MONEY, c.currency, c.lang),
    )
    table = Table(c.t("team_title"), tuple(cols), tuple(rows))
    return Section("team", c.t("team_title"), text, (table,), chart)
