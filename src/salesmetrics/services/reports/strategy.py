"""The strategy sections: channel economics (services/strategy/channels.py), the revenue
forecast with its backtest (services/strategy/forecast.py) and the ranked insights
(services/strategy/insights.py). Each is registered only when its service can be imported, so
a report works without them; the digest takes its top insights from the same service."""

from __future__ import annotations

import importlib
import logging
from datetime import date
from typing import Any

from salesmetrics.domain.access import Principal
from salesmetrics.services.reports import registry
from salesmetrics.services.reports.context import Context
from salesmetrics.services.reports.fmt import cell
from salesmetrics.services.reports.model import Cell, Chart, Column, Kind, Section, Series, Table
from salesmetrics.services.workspace import Workspace

log = logging.getLogger(__name__)
TOP_FINDINGS = 10
HISTORY_MONTHS = 12


def _service(name: str) -> Any | None:
    """services/strategy/<name>.py, or None when it is not there (or does not import)."""
    try:
        return importlib.import_module(f"salesmetrics.services.strategy.{name}")
    except ImportError:
        return None


def channels(c: Context) -> Section:
    """Spend, leads, customers, CAC, conversion, revenue, CLV:CAC, payback and ROI per channel
    (a view narrowed to some reps gets no spend-based figure)."""
    mod = _service("channels")
    assert mod is not None
    e = mod.channel_economics(c.ws, c.who, c.span, as_of=c.today)
    spend = bool(e.spend_visible)
    specs: list[tuple[str, str, Kind, bool]] = [
        ("spend_minor", "mkt_spend", Kind.MONEY, True), ("leads", "leads", Kind.COUNT, False),
        ("new_customers", "new_customers", Kind.COUNT, False),
        ("cac_minor", "cac", Kind.MONEY, True),
        ("lead_conversion", "lead_conversion", Kind.PERCENT, False),
        ("revenue_minor", "revenue", Kind.MONEY, False),
        ("ltv_cac", "ltv_cac", Kind.NUMBER, True),
        ("payback_months", "payback", Kind.NUMBER, True), ("roi", "roi", Kind.NUMBER, True),
    ]  # fmt: skip
    shown = [s for s in specs if spend or not s[3]]
    cols = (Column("channel", c.t("channel"), Kind.TEXT),
            *(Column(k, c.t(label), kind) for k, label, kind, _ in shown))  # fmt: skip
    lines = [*e.channels, e.total]
    rows = tuple((_channel_name(c, x, x is e.total), *(getattr(x, k) for k, *_ in shown))
                 for x in lines)  # fmt: skip
    key = "cac_minor" if spend else "revenue_minor"
    named = [x for x in e.channels if x.channel]
    chart = Chart("bar", c.t("cac" if spend else "revenue"), tuple(x.channel for x in named),
                  (Series(c.t("cac" if spend else "revenue"),
                          tuple(getattr(x, key) for x in named)),), Kind.MONEY)  # fmt: skip
    priced = [x for x in named if x.cac_minor]
    best = min(priced, key=lambda x: x.cac_minor) if priced else None
    text = (c.t("channels_text", best=best.channel,
                cac=cell(best.cac_minor, Kind.MONEY, c.currency, c.lang))
            if best else c.t("channels_nospend"))  # fmt: skip
    return Section("channels", c.t("channels"), text,
                   (Table(c.t("channels"), cols, rows),), chart)  # fmt: skip


def forecast(c: Context) -> Section:
    """Revenue by month ahead with its 80 % interval, the pipeline blended into the near
    months, and the backtest's error against the seasonal-naive baseline."""
    mod = _service("forecast")
    assert mod is not None
    f = mod.revenue_forecast(c.ws, c.who, grain="month", as_of=c.today)
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (p.period, p.expected_minor, p.low_minor, p.high_minor) for p in f.points
    )
    cols = (
        Column("month", c.t("month"), Kind.MONTH),
        Column("expected", c.t("expected"), Kind.MONEY),
        Column("low", c.t("low"), Kind.MONEY),
        Column("high", c.t("high"), Kind.MONEY),
    )
    past = f.history[-HISTORY_MONTHS:]
    labels = tuple(f"{p:%m.%y}" for p, _ in past) + tuple(f"{p.period:%m.%y}" for p in f.points)
    gap: tuple[float | None, ...] = (None,) * len(past)
    chart = Chart("line", c.t("forecast"), labels, (
        Series(c.t("actual"), tuple(float(v) for _, v in past) + (None,) * len(f.points)),
        Series(c.t("expected"), gap + tuple(float(p.expected_minor) for p in f.points))),
        Kind.MONEY)  # fmt: skip
    bt = f.backtest
    score = bt.overall if bt is not None else None
    if score is not None and score.model_mape is not None and score.naive_mape is not None:
        text = c.t(
            "forecast_text",
            model=_pct(score.model_mape, c.lang),
            naive=_pct(score.naive_mape, c.lang),
        )
    else:
        text = c.t("forecast_nobacktest")
    return Section("forecast", c.t("forecast"), text, (Table(c.t("forecast"), cols, rows),),
                   chart, tuple(f.notes))  # fmt: skip


def _pct(value: float, lang: str) -> str:
    """A MAPE, which the forecast service gives in percent (12.5 = 12.5 %)."""
    return cell(value / 100, Kind.PERCENT, "", lang)


def _findings(ws: Workspace, who: Principal, period: str | None, as_of: date, lang: str,
              limit: int) -> list[Any]:  # fmt: skip
    mod = _service("insights")
    if mod is None:
        return []
    options = {} if period is None else {"period": period}
    return list(mod.insights(ws, who, as_of=as_of, lang=lang, limit=limit, **options).findings)


def insights(c: Context) -> Section:
    """The ranked findings for the month holding the period's end, each with its action."""
    found = _findings(c.ws, c.who, c.span, c.today, c.lang, TOP_FINDINGS)
    rows = tuple((n, f.title, f.text, f.action, f.score) for n, f in enumerate(found, 1))
    cols = (Column("rank", "#", Kind.COUNT), Column("title", c.t("finding"), Kind.TEXT),
            Column("text", c.t("evidence"), Kind.TEXT),
            Column("action", c.t("action"), Kind.TEXT),
            Column("score", c.t("score"), Kind.NUMBER))  # fmt: skip
    text = c.t("insights_text", n=len(found)) if found else c.t("insights_none")
    tables = (Table(c.t("insights"), cols, rows),) if found else ()
    return Section("insights", c.t("insights"), text, tables)


def plug_in() -> None:
    """Register the strategy sections whose services are there."""
    for key, build, after in (("channels", channels, "trend"), ("forecast", forecast, "trend"),
                              ("insights", insights, "headline")):  # fmt: skip
        if key not in registry.keys() and _service(key) is not None:  # noqa: SIM118
            registry.register(key, build, after=after)


def top_insights(ws: Workspace, who: Principal, lang: str, as_of: date,
                 limit: int) -> list[str]:  # fmt: skip
    """The top findings of the insights service in `who`'s view, as sentences (none while
    that service is not there or fails: the digest goes out without them)."""
    try:
        found = _findings(ws, who, None, as_of, lang, limit)
    except Exception:  # a digest without insights beats no digest
        log.exception("insights for the digest failed")
        return []
    return [f"{f.title}. {f.action}" for f in found]


def _channel_name(c: Any, line: Any, total: bool) -> str:
    """The row's label: the channel, the total, or orders and customers with no channel."""
    if line.channel is not None:
        return str(line.channel)
    return str(c.t("all_channels" if total else "no_channel"))
