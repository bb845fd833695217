"""Sources: the fact relations metrics aggregate, with their time columns and dimensions.

A source is declared as data (columns, time columns, money, dimensions); its fact relation is
an ibis expression over the workspace tables, built without a connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import ibis
import ibis.expr.types as ir

from salesmetrics.metrics.expr import days_between
from salesmetrics.storage import catalog
from salesmetrics.storage.schema import ColType

_IBIS_TYPES: dict[ColType, str] = {
    ColType.ID: "int64",
    ColType.REF: "int64",
    ColType.TEXT: "string",
    ColType.INT: "int32",
    ColType.BIGINT: "int64",
    ColType.MONEY: "int64",
    ColType.CURRENCY: "string",
    ColType.BOOL: "boolean",
    ColType.FLOAT: "float64",
    ColType.TIMESTAMP: "timestamp('UTC')",
    ColType.DATE: "date",
    ColType.JSON: "json",
}


@cache
def table(name: str) -> ir.Table:
    """An unbound ibis table for one workspace table, typed from the storage catalog."""
    t = catalog.table(name)
    return ibis.table({c.name: _IBIS_TYPES[c.type] for c in t.columns}, name=name)


@dataclass(frozen=True)
class Dim:
    """A dimension: a fact column, or a lookup joined on a fact key column."""

    key: str
    lookup: Callable[[], ir.Table] | None = None  # columns: key, value
    doc: str = ""


def _lookup(tbl: str, value: str) -> Callable[[], ir.Table]:
    def build() -> ir.Table:
        t = table(tbl)
        return t.select(key=t.id, value=t[value])

    return build


def _team() -> ir.Table:
    r, t = table("reps"), table("teams")
    j = r.left_join(t, r.team_id == t.id)
    return j.select(key=r.id, value=t.name)


def _lead_source() -> ir.Table:
    le, c = table("leads"), table("channels")
    j = le.left_join(c, le.channel_id == c.id)
    return j.select(key=le.id, value=c.name)


def customer_attribute(key: str) -> Callable[[], ir.Table]:
    def build() -> ir.Table:
        c = table("customers")
        return c.select(key=c.id, value=c.attributes[key].str)

    return build


DIMENSION_DOCS: dict[str, str] = {
    "rep": "the rep's name",
    "team": "the rep's team",
    "channel": "the acquisition or marketing channel",
    "product": "the product's name",
    "category": "the product's category",
    "region": "the customer's region",
    "segment": "the customer's RFM segment as last computed (salesmetrics segments refresh)",
    "customer.<key>": "any imported customer attribute, e.g. customer.city",
    "lead_source": "the channel of the lead a deal came from",
    "stage": "the pipeline stage",
    "pipeline": "the pipeline",
    "status": "the record's status",
    "activity_kind": "call, email, meeting, task",
    "feedback_kind": "nps, csat or review",
}


def _rep(key: str = "rep_id") -> dict[str, Dim]:
    return {"rep": Dim(key, _lookup("reps", "name")), "team": Dim(key, _team)}


def _segment() -> ir.Table:
    s = table("customer_segments")
    return s.select(key=s.id, value=s.segment)


def _customer(key: str = "customer_id") -> dict[str, Dim]:
    return {"region": Dim(key, _lookup("customers", "region")), "segment": Dim(key, _segment)}


def _channel(key: str = "channel_id") -> dict[str, Dim]:
    return {"channel": Dim(key, _lookup("channels", "name"))}


def _product(key: str = "product_id") -> dict[str, Dim]:
    return {
        "product": Dim(key, _lookup("products", "name")),
        "category": Dim(key, _lookup("products", "category")),
    }


@dataclass(frozen=True)
class Source:
    """A fact relation and what can be asked of it."""

    name: str
    doc: str
    build: Callable[..., ir.Table]  # (columns needed or None for all, period_of=None)
    time: dict[str, bool]  # column -> True for UTC instants, False for local dates
    default_time: str
    dimensions: dict[str, Dim]
    money: tuple[str, ...] = ()
    currency: str | None = None
    currency_table: str | None = None  # the stored table whose currency column that is
    customer_key: str | None = None  # enables customer.<attribute> dimensions
    scoped: bool = False  # targets: rows per company, team or rep
    early_time: str | None = None  # a time column the builder can bucket before its join

    def fact(
        self, needed: frozenset[str] | None = None, period_of: PeriodOf | None = None
    ) -> ir.Table:
        """The fact relation; with `needed`, optional joins that feed no needed column are
        left out (the database would otherwise still do them). With `period_of`, a source
        whose time column comes from a joined parent (order lines from orders) computes the
        period there, once per parent row, as the column `__period`."""
        if period_of is not None and self.early_time:
            return self.build(needed, period_of=period_of)
        return self.build(needed)

    def column_names(self) -> list[str]:
        return list(self.fact().columns)

    def dimension(self, name: str) -> Dim | None:
        if name in self.dimensions:
            return self.dimensions[name]
        if name.startswith("customer.") and self.customer_key and len(name) > 9:
            return Dim(self.customer_key, customer_attribute(name[9:]))
        return None

    def dimension_names(self) -> list[str]:
        extra = ["customer.<key>"] if self.customer_key else []
        return [*self.dimensions, *extra]


def _wants(needed: frozenset[str] | None, column: str) -> bool:
    return needed is None or column in needed


def _order_lines(needed: frozenset[str] | None, period_of: PeriodOf | None = None) -> ir.Table:
    lines, orders = table("order_lines"), table("orders")
    if period_of is not None:
        orders = orders.mutate(__period=period_of(orders.ordered_at))
    extra = {"__period": orders["__period"]} if period_of is not None else {}
    rel = lines.join(orders, lines.order_id == orders.id).select(
        lines.id, lines.order_id, lines.product_id, lines.quantity, lines.unit_price_minor,
        lines.discount_minor, lines.line_total_minor, lines.currency,
        order_status=orders.status, ordered_at=orders.ordered_at,
        customer_id=orders.customer_id, rep_id=orders.rep_id, channel_id=orders.channel_id,
        **extra,
    )  # fmt: skip
    return _with_extras(
        rel,
        needed,
        {
            "unit_cost_minor": (table("products"), "product_id", "id", "unit_cost_minor"),
            "customer_region": (table("customers"), "customer_id", "id", "region"),
            "customer_acquired_at": (table("customers"), "customer_id", "id", "acquired_at"),
        },
    )


Extra = tuple[ir.Table, str, str, str]  # other table, our key, its key, its column
PeriodOf = Callable[[ir.Value], ir.Value]


def _with_extras(
    rel: ir.Table, needed: frozenset[str] | None, extras: dict[str, Extra]
) -> ir.Table:
    """Join an extra column only when something reads it; otherwise it is a typed null."""
    for name, (other, key, other_key, column) in extras.items():
        if _wants(needed, name):
            look = other.select(**{f"__key_{name}": other[other_key], name: other[column]})
            j = rel.left_join(look, rel[key] == look[f"__key_{name}"])
            rel = j.drop(f"__key_{name}")
        else:
            rel = rel.mutate(**{name: ibis.null(other[column].type())})
    return rel


def _deals(needed: frozenset[str] | None) -> ir.Table:
    d = table("deals")
    rel = d.select(
        d.id, d.pipeline_id, d.customer_id, d.lead_id, d.owner_rep_id, d.channel_id, d.stage_id,
        d.status, d.amount_minor, d.currency, d.created_at, d.expected_close_on, d.closed_at,
    )  # fmt: skip
    extras: dict[str, Extra] = {
        "stage_probability": (table("stages"), "stage_id", "id", "probability"),
        "lead_created_at": (table("leads"), "lead_id", "id", "created_at"),
        "stage_observed_win_rate": (_observed_win_rates(), "stage_id", "stage_key", "win_rate"),
    }
    return _with_extras(rel, needed, extras)


def _entered() -> ir.Table:
    """(deal, stage) pairs a deal entered: its stage history plus its current stage."""
    c, d = table("deal_stage_changes"), table("deals")
    history = c.select(deal_id=c.deal_id, stage_id=c.to_stage_id)
    current = d.select(deal_id=d.id, stage_id=d.stage_id)
    return history.union(current, distinct=True)


def _observed_win_rates() -> ir.Table:
    """Per stage: the share of closed deals that entered it and were won."""
    e, d = _entered(), table("deals")
    j = e.join(d, e.deal_id == d.id).filter(d.status.isin(["won", "lost"]))
    return j.group_by(stage_key=e.stage_id).aggregate(
        win_rate=ibis.ifelse(d.status == "won", 1.0, 0.0).mean()
    )


def _stage_stays(needed: frozenset[str] | None = None) -> ir.Table:
    c, d = table("deal_stage_changes"), table("deals")
    w = ibis.window(group_by=c.deal_id, order_by=[c.changed_at, c.id])
    stays = c.select(
        deal_id=c.deal_id, stage_id=c.to_stage_id, entered_at=c.changed_at,
        left_at=c.changed_at.lead().over(w),
    )  # fmt: skip
    stays = stays.filter(stays.left_at.notnull())
    j = stays.join(d, stays.deal_id == d.id)
    return j.select(
        stays.deal_id, stays.stage_id, stays.entered_at, stays.left_at,
        days_in_stage=days_between(stays.left_at, stays.entered_at),
        owner_rep_id=d.owner_rep_id, pipeline_id=d.pipeline_id, channel_id=d.channel_id,
    )  # fmt: skip


def _funnel_steps() -> ir.Table:
    """Open stages with the position of the next step (the next open stage, else won)."""
    s = table("stages")
    open_ = s.filter(s.kind == "open")
    w = ibis.window(group_by=open_.pipeline_id, order_by=open_.position)
    return open_.select(
        step_stage=open_.id, step_pipeline=open_.pipeline_id, step_position=open_.position,
        next_position=open_.position.lead().over(w),
    )  # fmt: skip


def _deal_progress() -> ir.Table:
    """Per deal: the furthest open position entered, and whether it was won."""
    e, s, d = _entered(), table("stages"), table("deals")
    j = e.join(s, e.stage_id == s.id)
    best = j.group_by(deal_key=e.deal_id).aggregate(
        max_open=ibis.ifelse(s.kind == "open", s.position, ibis.null()).max(),
        won=(s.kind == "won").any(),
    )
    return best.join(d, best.deal_key == d.id).select(
        best.deal_key, best.max_open, won=best.won | (d.status == "won"),
        pipeline_id=d.pipeline_id, created_at=d.created_at, owner_rep_id=d.owner_rep_id,
        channel_id=d.channel_id, lead_id=d.lead_id,
    )  # fmt: skip


def _stage_funnel(needed: frozenset[str] | None = None) -> ir.Table:
    """'All stages' funnel: a deal reached every open stage up to its furthest one."""
    p, steps = _deal_progress(), _funnel_steps()
    j = p.join(steps, p.pipeline_id == steps.step_pipeline)
    j = j.filter(j.won | (j.step_position <= j.max_open))
    nxt = j.won | (j.next_position.notnull() & (j.next_position <= j.max_open))
    return j.select(
        deal_id=j.deal_key, stage_id=j.step_stage, reached_next=nxt,
        deal_created_at=j.created_at, owner_rep_id=j.owner_rep_id, channel_id=j.channel_id,
        pipeline_id=j.pipeline_id, lead_id=j.lead_id,
    )  # fmt: skip


def _stage_funnel_entered(needed: frozenset[str] | None = None) -> ir.Table:
    """'Any stage' funnel: only stages entered; advanced = entered the very next step."""
    e, steps, p, s = _entered(), _funnel_steps(), _deal_progress(), table("stages")
    positions = (
        e.join(s, e.stage_id == s.id).select(pos_deal=e.deal_id, pos_position=s.position).distinct()
    )
    rows = e.join(steps, e.stage_id == steps.step_stage).join(p, e.deal_id == p.deal_key)
    j = rows.left_join(
        positions,
        (positions.pos_deal == rows.deal_id) & (positions.pos_position == rows.next_position),
    )
    nxt = j.pos_deal.notnull() | (j.next_position.isnull() & j.won)
    return j.select(
        deal_id=j.deal_id, stage_id=j.stage_id, reached_next=nxt,
        deal_created_at=j.created_at, owner_rep_id=j.owner_rep_id,
        channel_id=j.channel_id, pipeline_id=j.pipeline_id, lead_id=j.lead_id,
    )  # fmt: skip


def _spend_days(needed: frozenset[str] | None = None) -> ir.Table:
    m, c = table("marketing_spend"), table("channels")
    days = m.period_end_on.delta(m.period_start_on, unit="day") + 1
    # day offsets 0..days-1: an integer series is cheaper to make than one of timestamps
    spread = m.select(
        m.channel_id, m.currency, m.period_start_on,
        amount_minor=m.amount_minor.cast("float64") / days.cast("float64"),
        offset=ibis.range(0, days).unnest(),
    )  # fmt: skip
    spread = spread.select(
        spread.channel_id, spread.currency, spread.amount_minor,
        day=(spread.period_start_on + spread.offset.as_interval("D")).cast("date"),
    )  # fmt: skip
    if not _wants(needed, "channel_kind"):
        return spread.mutate(channel_kind=ibis.null(c.kind.type()))
    j = spread.left_join(c, spread.channel_id == c.id)
    return j.select(spread.channel_id, spread.currency, spread.amount_minor, spread.day,
                    channel_kind=c.kind)  # fmt: skip


def _targets(needed: frozenset[str] | None = None) -> ir.Table:
    """Targets with the rep and the team each row is for: a team row's team is its scope, a
    rep row's team is the rep's team, so a breakdown by team and rep shows rep rows under the
    teams their reps are in (now, not when the target was set). Monthly rows only: a quarter or
    year plan is counted through its months."""
    whole = table("targets")  # a quarter or year plan counts through its months, not itself
    t = whole.filter(~whole.has_months.fill_null(False))
    ref = t.scope_id.type()
    rel = t.mutate(target_rep_id=(t.scope == "rep").ifelse(t.scope_id, ibis.null(ref)))
    if not _wants(needed, "target_team_id"):
        return rel.mutate(target_team_id=(t.scope == "team").ifelse(t.scope_id, ibis.null(ref)))
    r = table("reps")
    reps = r.select(_rep_key=r.id, _rep_team=r.team_id)
    j = rel.left_join(reps, rel.target_rep_id == reps._rep_key)
    team = ibis.cases((j.scope == "team", j.scope_id), (j.scope == "rep", j._rep_team),
                      else_=ibis.null(ref))  # fmt: skip
    return j.select(*rel.columns, target_team_id=team)


def _plain(name: str) -> Callable[[frozenset[str] | None], ir.Table]:
    return lambda needed: table(name)


def _sources() -> dict[str, Source]:
    deal_dims = {
        **_rep("owner_rep_id"), **_channel(), **_customer(),
        "stage": Dim("stage_id", _lookup("stages", "name")),
        "pipeline": Dim("pipeline_id", _lookup("pipelines", "name")),
        "lead_source": Dim("lead_id", _lead_source), "status": Dim("status"),
    }  # fmt: skip
    funnel_dims = {
        **_rep("owner_rep_id"), **_channel(),
        "stage": Dim("stage_id", _lookup("stages", "name")),
        "pipeline": Dim("pipeline_id", _lookup("pipelines", "name")),
        "lead_source": Dim("lead_id", _lead_source),
    }  # fmt: skip
    listed = [
        Source("order_lines", "Order lines with their order's status, time, customer, rep and "
               "channel, and the product's unit cost.", _order_lines, {"ordered_at": True},
               "ordered_at", {**_rep(), **_channel(), **_product(), **_customer()},
               money=("line_total_minor", "unit_price_minor", "discount_minor",
                      "unit_cost_minor"), currency="currency", customer_key="customer_id",
               currency_table="order_lines", early_time="ordered_at"),
        Source("orders", "Orders.", _plain("orders"), {"ordered_at": True}, "ordered_at",
               {**_rep(), **_channel(), **_customer(), "status": Dim("status")},
               money=("total_minor", "discount_minor", "tax_minor", "shipping_minor"),
               currency="currency", customer_key="customer_id", currency_table="orders"),
        Source("customers", "Customers, by acquisition time.", _plain("customers"),
               {"acquired_at": True}, "acquired_at",
               {**_rep("owner_rep_id"), **_channel(), **_customer("id")}, customer_key="id"),
        Source("deals", "Deals with their stage's probability, observed stage win rate and "
               "lead's creation time.", _deals, {"closed_at": True, "created_at": True,
               "expected_close_on": False}, "closed_at", deal_dims, money=("amount_minor",),
               currency="currency", customer_key="customer_id", currency_table="deals"),
        Source("leads", "Leads.", _plain("leads"), {"created_at": True, "decided_at": True},
               "created_at", {**_rep("owner_rep_id"), **_channel(),
                              "lead_source": Dim("channel_id", _lookup("channels", "name")),
                              "status": Dim("status")}),
        Source("activities", "Activities.", _plain("activities"), {"occurred_at": True},
               "occurred_at", {**_rep(), "activity_kind": Dim("kind")}),
        Source("feedback", "Feedback responses.", _plain("feedback"), {"received_at": True},
               "received_at", {**_rep(), **_channel(), **_product(), **_customer(),
                               "feedback_kind": Dim("kind")}, customer_key="customer_id"),
        Source("targets", "Targets; company rows by default, rep or team rows when broken "
               "down by rep or team (rep rows, under their reps' teams, when by both).",
               _targets, {"period_start_on": False}, "period_start_on",
               {"rep": Dim("target_rep_id", _lookup("reps", "name")),
                "team": Dim("target_team_id", _lookup("teams", "name"))}, scoped=True),
        Source("spend_days", "Marketing spend, each record spread evenly over its days.",
               _spend_days, {"day": False}, "day", _channel(), money=("amount_minor",),
               currency="currency", currency_table="marketing_spend"),
        Source("stage_stays", "Stays in a stage: entered at a stage change, left at the "
               "deal's next one.", _stage_stays, {"left_at": True, "entered_at": True},
               "left_at", {**_rep("owner_rep_id"), **_channel(),
                           "stage": Dim("stage_id", _lookup("stages", "name")),
                           "pipeline": Dim("pipeline_id", _lookup("pipelines", "name"))}),
        Source("stage_funnel", "One row per deal and open stage reached ('all stages': a "
               "skipped stage counts as reached).", _stage_funnel, {"deal_created_at": True},
               "deal_created_at", funnel_dims),
        Source("stage_funnel_entered", "One row per deal and open stage actually entered.",
               _stage_funnel_entered, {"deal_created_at": True}, "deal_created_at",
               funnel_dims),
    ]  # fmt: skip
    return {s.name: s for s in listed}


SOURCES: dict[str, Source] = _sources()


@dataclass(frozen=True)
class Rollup:
    """A daily rollup of a source: rows counted and measures summed per local day (of the
    source's default time column) and group columns.

    The engine reads it instead of the source when a query needs nothing else (aggregate
    awareness); it is rebuilt after every write and used only while it is fresh. A leaf can
    be served when its filters and dimensions read group columns only."""

    table: str
    source: str
    groups: tuple[str, ...]
    measures: tuple[str, ...] = ()
    # a states rollup: these time columns kept as local days under their own names (no `day`);
    # it answers period-end states (open deals at a period's end), not flows
    times: tuple[str, ...] = ()

    def as_source(self) -> Source:
        base = SOURCES[self.source]
        dims = {n: d for n, d in base.dimensions.items() if d.key in self.groups}
        currency = base.currency if base.currency in self.groups else None
        times = dict.fromkeys(self.times, False) or {"day": False}
        default = base.default_time if base.default_time in times else next(iter(times))
        return Source(
            self.table, f"Daily rollup of {self.source}.", _plain(self.table), times, default,
            dims, money=tuple(m for m in base.money if m in self.measures),
            currency=currency, currency_table=self.table if currency else None,
        )  # fmt: skip


ROLLUPS: tuple[Rollup, ...] = (
    Rollup("rollup_order_lines_daily", "order_lines",
           ("order_status", "currency", "rep_id", "channel_id"),
           ("line_total_minor", "quantity", "discount_minor")),
    Rollup("rollup_orders_daily", "orders", ("status", "currency", "rep_id", "channel_id"),
           ("total_minor", "discount_minor", "tax_minor", "shipping_minor")),
    # deals by close day: won, lost and closed counts and amounts (not the cycle's median)
    Rollup("rollup_deals_daily", "deals", ("status", "currency", "owner_rep_id", "channel_id"),
           ("amount_minor",)),
    # deals per creation and close day: pipeline value at any period's end (company-wide)
    Rollup("rollup_deal_days", "deals", ("status", "currency"), ("amount_minor",),
           times=("created_at", "closed_at")),
    Rollup("rollup_customers_daily", "customers", ("owner_rep_id", "channel_id")),
    Rollup("rollup_leads_daily", "leads", ("status", "owner_rep_id", "channel_id")),
    # scores are few distinct values (NPS 0-10, CSAT 1-5 or 1-7); company-wide, as by rep and
    # channel the rows would be many times more
    Rollup("rollup_feedback_daily", "feedback", ("kind", "score", "scale_max")),
)  # fmt: skip
ROLLUP_SOURCES: dict[str, Source] = {r.table: r.as_source() for r in ROLLUPS}


def any_source(name: str) -> Source:
    """A declared source or a rollup's stand-in."""
    return SOURCES[name] if name in SOURCES else ROLLUP_SOURCES[name]
