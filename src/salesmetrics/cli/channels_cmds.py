"""`salesmetrics channels`: what each acquisition channel cost and brought in over a period
(spend, leads, customers, CAC, conversion, revenue, CLV:CAC, payback, ROI; docs/channels.md);
and the table of `plan allocate` (the recommended budget split), shared with plan_cmds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from salesmetrics.cli.metrics_cmds import parse_as_of
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.people import AsUser, Lang, acting_as, language
from salesmetrics.cli.render import emit_json
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.strategy.allocation import Allocation, minor_per_unit, money_text
from salesmetrics.services.strategy.allocation import allocate as allocate_budget
from salesmetrics.services.strategy.channels import DEFAULT_PERIOD, ChannelLine, channel_economics

console = Console()
Period = Annotated[
    str,
    typer.Option(
        "--period",
        help="trailing_12_months (default), this_year, 2026-Q3, 2026-01-01..2026-06-30 …",
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Periods seen from this day, YYYY-MM-DD (default: today)."),
]


def _money(v: float | None, currency: str) -> str:
    """Whole units of the currency (the currency is in the table's title)."""
    return "—" if v is None else f"{v / minor_per_unit(currency):,.0f}"


def _range(lo: float | None, hi: float | None, fmt: str) -> str:
    if lo is None and hi is None:
        return ""
    return f" ({'—' if lo is None else format(lo, fmt)}–{'∞' if hi is None else format(hi, fmt)})"


def _row(x: ChannelLine, currency: str, total: bool = False) -> list[str]:
    unit = minor_per_unit(currency)
    cac = _money(x.cac_minor, currency)
    if x.cac_minor is not None:
        cac += _range(
            None if x.cac_low_minor is None else x.cac_low_minor / unit,
            None if x.cac_high_minor is None else x.cac_high_minor / unit,
            ",.0f",
        )
    conv = (
        "—"
        if x.lead_conversion is None
        else f"{x.lead_conversion:.0%}"
        + _range(x.lead_conversion_low, x.lead_conversion_high, ".0%")
    )
    ratio = "—" if x.ltv_cac is None else f"{x.ltv_cac:.1f}"
    payback = "—" if x.payback_months is None else f"{x.payback_months:.1f}"
    roi = "—" if x.roi is None else f"{x.roi:.1f}×"
    return [
        (escape(x.channel) if x.channel is not None else "all channels" if total else "no channel")
        + (" *" if x.small else ""),
        _money(x.spend_minor, currency),
        f"{x.leads:,}",
        f"{x.new_customers:,}",
        cac,
        conv,
        _money(x.revenue_minor, currency),
        ratio,
        payback,
        roi,
    ]


def channels(
    db: DbOption = None,
    period: Period = DEFAULT_PERIOD,
    as_of: AsOf = None,
    as_user: AsUser = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Per acquisition channel over the period: spend, leads, new customers, CAC with its 95 %
    interval, lead conversion (Wilson 95 %), revenue, CLV:CAC, payback months and ROI."""
    with ws_service.workspace(db) as ws:
        e = channel_economics(ws, acting_as(ws, as_user), period, as_of=parse_as_of(as_of))
        if fmt is OutputFormat.JSON:
            emit_json(e.as_dict())
            return
        t = Table(title=f"Channels {e.period} ({e.months:.0f} months), money in {e.currency}")
        for c in (
            "channel",
            "spend",
            "leads",
            "new customers",
            "CAC (95 %)",
            "lead conversion (95 %)",
            "revenue",
            "CLV:CAC",
            "payback, months ¹",
            "ROI ²",
        ):
            t.add_column(c, justify="left" if c == "channel" else "right")
        for x in e.channels:
            t.add_row(*_row(x, e.currency))
        t.add_row(*_row(e.total, e.currency, total=True), style="bold")
        console.print(t)
        console.print("* fewer than 30 new customers or leads: read the interval, not the figure.")
        console.print(
            "¹ payback at the channel's average monthly gross margin per buying customer (every "
            "buyer through the channel, not only the new customers the CAC paid for)."
        )
        console.print(
            "² (gross margin − spend) / spend: the margin of every order through the channel in "
            "the period, including customers won in earlier years."
        )
        if not e.spend_visible:
            console.print(
                "Spend, CAC, CLV:CAC, payback and ROI are not shown: marketing spend "
                "belongs to no rep, and this view is narrowed to some reps."
            )
        console.print(
            "How each figure is computed: salesmetrics metrics explain METRIC --by "
            "channel, or the KPI explorer; docs/channels.md."
        )


def allocation_table(a: Allocation) -> None:
    """The recommended split, the moves with their ranges and the notes, for `plan allocate`."""
    goal = "customers" if a.goal == "customers" else "lifetime revenue"
    console.print(
        f"Budget {money_text(a.budget_minor, a.currency, 'en')} a month; curves from "
        f"{a.history}; current split: {a.current_month}"
        + (" (the budget is its spend)" if a.default_budget else "")
        + ". Best channel for more spend, at the recommended split: "
        + f"{escape(a.best_channel or '—')}."
    )
    t = Table(title=f"Recommended split for the most {goal}, money in {a.currency}")
    for title in (
        "channel",
        "b (80 %)",
        "current",
        "recommended",
        "change",
        "range kept",
        f"{'customers' if a.goal == 'customers' else 'value'} per 1,000 more (at recommended)",
    ):
        t.add_column(title, justify="left" if title == "channel" else "right")
    for c in a.channels:
        b = "—" if c.b is None else f"{c.b:.2f}" + _range(c.b_low, c.b_high, ".2f")
        edge = " (cap)" if c.at_cap else " (floor)" if c.at_floor else ""
        t.add_row(
            escape(c.channel),
            b,
            _money(c.current_minor, a.currency),
            _money(c.recommended_minor, a.currency) + edge,
            f"{(c.recommended_minor - c.current_minor) / minor_per_unit(a.currency):+,.0f}",
            f"{_money(c.low_minor, a.currency)}–{_money(c.high_minor, a.currency)}",
            "—" if c.marginal_per_1000 is None else f"{c.marginal_per_1000:,.2f}",
        )
    console.print(t)
    gain = a.expected_recommended - a.expected_current

    def shown(v: float) -> str:
        return f"{v:+.0f}" if a.goal == "customers" else money_text(v, a.currency, "en")

    spread = (
        ""
        if a.gain_low is None or a.gain_high is None
        else f" (80 % range {shown(a.gain_low)} to {shown(a.gain_high)})"
    )
    console.print(f"Expected gain: {shown(gain)}{spread}.")
    for m in a.moves:
        console.print(f"  • {escape(m.text)}")
    for n in a.notes:
        console.print(f"  note: {escape(n)}")


def allocate(
    db: DbOption = None,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget",
            min=0,
            help="The month's budget in the base currency (UAH), default: the spend of the last "
            "month with spend imported.",
        ),
    ] = None,
    goal: Annotated[
        str,
        typer.Option(
            "--goal", help="customers (default) or revenue (lifetime revenue of the customers won)."
        ),
    ] = "customers",
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="The history the curves learn from (default: the 24 full months before this one).",
        ),
    ] = None,
    as_of: AsOf = None,
    as_user: AsUser = None,
    lang: Lang = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Split a month's marketing budget across channels for the most new customers (or
    revenue), from a diminishing-returns curve per channel, with the moves and their 80 %
    ranges; no channel goes beyond 1.5 × its largest month."""
    with ws_service.workspace(db) as ws:
        minor = (
            None if budget is None else round(budget * minor_per_unit(ws.settings.base_currency))
        )
        a = allocate_budget(
            ws,
            acting_as(ws, as_user),
            budget_minor=minor,
            goal=goal,
            period=period,
            as_of=parse_as_of(as_of),
            lang=language(ws, lang),
        )
        if fmt is OutputFormat.JSON:
            emit_json(a.as_dict())
            return
        allocation_table(a)


def register(root: typer.Typer) -> None:
    root.command("channels")(channels)


def add_plan_commands(plan: typer.Typer) -> None:
    plan.command("allocate")(allocate)
