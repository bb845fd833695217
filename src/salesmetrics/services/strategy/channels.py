"""Channel economics: per acquisition channel and period, what it cost and what it brought.

Every base figure is the metric engine's (services/metrics.py), broken down by channel, so the
KPI explorer and `metrics explain` show how it is computed; the few derived here say their
formula in `DERIVED`:

- CAC's 95 % interval treats the new customers as a Poisson count (Garwood 1936's exact
  interval: spend / upper and spend / lower bound of the count); lead conversion's is Wilson's
  (the engine's); CLV:CAC and payback carry CAC's interval (the other parts are held fixed);
- payback months = CAC / (gross margin per buying customer per month of the period): payback
  at the channel's average margin per *buying* customer (every customer who bought through the
  channel in the period, old or new), not the margin of the new customers the CAC paid for;
- ROI = (gross margin - spend) / spend, over the period, a multiple: the margin of every order
  through the channel in the period, including orders of customers won in earlier years.
The metric engine has no gross margin of the new customers alone by channel, so neither is a
cohort's return (docs/channels.md).

A view narrowed to some reps (a manager, a rep) gets no figure built on marketing spend: spend
belongs to no rep (domain/access.py). Revenue, gross margin and CLV are those of the orders
placed through the channel (the order's channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from salesmetrics.domain.access import Principal
from salesmetrics.domain.periods import DateRange, parse_period
from salesmetrics.services.workspace import Workspace

DEFAULT_PERIOD = "trailing_12_months"
SMALL = 30  # fewer new customers or leads: the interval matters, the row is marked small
DAYS_PER_MONTH = 365.25 / 12
METRICS = (
    "marketing_spend",
    "leads_created",
    "leads_converted",
    "lead_conversion_rate",
    "new_customers",
    "cac",
    "revenue",
    "gross_margin",
    "buying_customers",
    "clv",
    "ltv_cac",
)
SPEND_BASED = ("spend", "cac", "ltv_cac", "payback_months", "roi")
EXPLAINED = {
    "spend": "marketing_spend",
    "leads": "leads_created",
    "new_customers": "new_customers",
    "cac": "cac",
    "lead_conversion": "lead_conversion_rate",
    "revenue": "revenue",
    "gross_margin": "gross_margin",
    "clv": "clv",
    "ltv_cac": "ltv_cac",
}
DERIVED = {
    "cac_interval": "spend / Poisson 95 % bounds of new customers (Garwood 1936)",
    "payback_months": "cac / (gross_margin / buying_customers / months in the period): "
    "payback at the channel's average monthly margin per buying customer (all buyers "
    "through the channel, not only new ones)",
    "roi": "(gross_margin - marketing_spend) / marketing_spend: the margin of every order "
    "through the channel in the period, including customers won earlier; a multiple",
}


@dataclass(frozen=True, slots=True)
class ChannelLine:
    """One channel's figures (money in minor units; None: not computable or not in view)."""

    channel: str | None
    spend_minor: int | None
    leads: int
    leads_converted: int
    new_customers: int
    cac_minor: int | None
    cac_low_minor: int | None
    cac_high_minor: int | None
    lead_conversion: float | None
    lead_conversion_low: float | None
    lead_conversion_high: float | None
    revenue_minor: int | None
    gross_margin_minor: int | None
    buying_customers: int
    clv_minor: int | None
    ltv_cac: float | None
    ltv_cac_low: float | None
    ltv_cac_high: float | None
    payback_months: float | None
    payback_low: float | None
    payback_high: float | None
    roi: float | None
    small: bool

    def as_dict(self) -> dict[str, Any]:
        return {k: _r(getattr(self, k)) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class Economics:
    period: str
    months: float
    currency: str
    spend_visible: bool
    channels: list[ChannelLine]
    total: ChannelLine
    explain: dict[str, str]  # figure -> KPI explorer address of its metric by channel

    def line(self, name: str) -> ChannelLine:
        return next(x for x in self.channels if x.channel == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "months": round(self.months, 2),
            "currency": self.currency,
            "spend_visible": self.spend_visible,
            "channels": [x.as_dict() for x in self.channels],
            "total": self.total.as_dict(),
            "explain": self.explain,
            "derived": DERIVED,
        }


def _r(v: Any) -> Any:
    return round(v, 4) if isinstance(v, float) else v


def poisson_bounds(n: int, level: float = 0.95) -> tuple[float, float]:
    """Garwood's exact interval of a Poisson mean from one count n."""
    from scipy.stats import chi2  # scipy.stats: loaded when used

    alpha = 1 - level
    low = 0.0 if n == 0 else float(chi2.ppf(alpha / 2, 2 * n) / 2)
    return low, float(chi2.ppf(1 - alpha / 2, 2 * n + 2) / 2)


def period_range(ws: Workspace, period: str | None, as_of: date | None = None) -> DateRange:
    today = as_of or ws.metrics.today()
    return parse_period(period or DEFAULT_PERIOD, today, ws.settings.fiscal_year_start_month)


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


def _scaled(value: float | None, cac: int | None, bound: int | None) -> float | None:
    """A figure proportional to 1 / CAC, at CAC's bound instead."""
    if value is None or not cac or not bound:
        return None
    return value * cac / bound


def _line(row: dict[str, Any], months: float) -> ChannelLine:
    spend, n = _int(row.get("marketing_spend")), int(row.get("new_customers") or 0)
    cac = _int(row.get("cac"))
    low_n, high_n = poisson_bounds(n)
    cac_low = round(spend / high_n) if spend is not None else None
    cac_high = round(spend / low_n) if spend is not None and low_n > 0 else None
    gm, buyers = _int(row.get("gross_margin")), int(row.get("buying_customers") or 0)
    monthly = gm / buyers / months if gm is not None and buyers and months > 0 else None
    payback = cac / monthly if cac is not None and monthly and monthly > 0 else None
    ratio = row.get("ltv_cac")
    leads = int(row.get("leads_created") or 0)
    return ChannelLine(
        row.get("channel"),
        spend,
        leads,
        int(row.get("leads_converted") or 0),
        n,
        cac,
        cac_low,
        cac_high,
        row.get("lead_conversion_rate"),
        row.get("lead_conversion_rate__low"),
        row.get("lead_conversion_rate__high"),
        _int(row.get("revenue")),
        gm,
        buyers,
        _int(row.get("clv")),
        ratio,
        _scaled(ratio, cac, cac_high),
        _scaled(ratio, cac, cac_low),
        payback,
        None if payback is None or cac_low is None or not cac else payback * cac_low / cac,
        None if payback is None or cac_high is None or not cac else payback * cac_high / cac,
        (gm - spend) / spend if gm is not None and spend else None,
        n < SMALL or 0 < leads < SMALL,
    )


def explorer_links(span: str, names: list[str]) -> dict[str, str]:
    """The KPI explorer's address of each figure's metric, by channel over the period."""
    return {
        figure: "/explore?"
        + urlencode({"metric": metric, "by": "channel", "period": span, "grain": ""})
        for figure, metric in EXPLAINED.items()
        if metric in names
    }


def channel_economics(
    ws: Workspace, who: Principal, period: str | None = None, *, as_of: date | None = None
) -> Economics:
    """Spend, leads, customers, CAC, conversion, revenue, CLV:CAC, payback and ROI per channel
    over the period, in `who`'s view (no spend-based figure for a view narrowed to some reps)."""
    rng = period_range(ws, period, as_of)
    span = f"{rng.start}..{rng.end}"
    months = ((rng.end - rng.start).days + 1) / DAYS_PER_MONTH
    names = ws.metrics.readable(METRICS, who.scope)
    by = ws.metrics.query(names, period=span, by=["channel"], scope=who.scope).rows()
    whole = ws.metrics.query(names, period=span, scope=who.scope).rows()
    lines = [_line(x, months) for x in by if _active(x)]
    lines.sort(key=lambda x: (x.channel is None, x.channel or ""))
    total = _line({**(whole[0] if whole else {}), "channel": None}, months)
    return Economics(
        span,
        months,
        ws.settings.base_currency,
        "marketing_spend" in names,
        lines,
        total,
        explorer_links(span, names),
    )


def _active(row: dict[str, Any]) -> bool:
    keys = ("marketing_spend", "leads_created", "new_customers", "revenue")
    return any(row.get(k) for k in keys)
