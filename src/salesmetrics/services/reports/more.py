"""Report sections about the pipeline, the customers and what they say: the funnel with its
bottlenecks (services/pipeline), the RFM segments (services/segments) and NPS, CSAT and comment
themes (services/feedback)."""

from __future__ import annotations

from typing import Any

from salesmetrics.services.feedback.summary import summary
from salesmetrics.services.pipeline.bottlenecks import bottlenecks
from salesmetrics.services.pipeline.common import ask
from salesmetrics.services.pipeline.funnel import funnel
from salesmetrics.services.reports.context import Context
from salesmetrics.services.reports.fmt import cell
from salesmetrics.services.reports.model import Cell, Chart, Column, Kind, Section, Series, Table
from salesmetrics.services.segments.rfm import rfm

TOP_BOTTLENECKS = 5
TOP_THEMES = 8


def _finding(c: Context, f: dict[str, Any]) -> str:
    time = f["kind"] == "time"
    kind = Kind.NUMBER if time else Kind.PERCENT
    who = f"{f['who']}: " if f.get("who") else ""
    return c.t("b_time" if time else "b_rate", who=who, stage=f["stage"],
               value=cell(f["value"], kind, c.currency, c.lang),
               reference=cell(f["reference"], kind, c.currency, c.lang),
               ref=c.t(f"ref_{f['against']}"))  # fmt: skip


def pipeline(c: Context) -> Section:
    """The funnel of the deals created in the period (each deal once per stage it reached)
    and the bottlenecks found as of the period's end, worst first."""
    a = ask(c.ws, c.who, period=c.span, as_of=c.end)
    f = funnel(a)
    rows: list[tuple[Cell, ...]] = []
    for s in f["steps"]:
        step = s.get("step") or s.get("win_rate") or {}
        name = c.t("won") if s["stage_id"] is None else s["stage"]
        rows.append((name, s["reached"], step.get("value"), s["cumulative"]["value"],
                     s["dropped"]))  # fmt: skip
    cols = (Column("stage", c.t("stage"), Kind.TEXT), Column("reached", c.t("reached"), Kind.COUNT),
            Column("step", c.t("step"), Kind.PERCENT),
            Column("cumulative", c.t("cumulative"), Kind.PERCENT),
            Column("dropped", c.t("dropped"), Kind.COUNT))  # fmt: skip
    tables = [Table(c.t("funnel"), cols, tuple(rows))]
    found = bottlenecks(a, limit=TOP_BOTTLENECKS)["findings"]
    if found:
        b_cols = (Column("stage", c.t("stage"), Kind.TEXT),
                  Column("against", c.t("against"), Kind.TEXT),
                  Column("finding", c.t("finding"), Kind.TEXT))  # fmt: skip
        b_rows = tuple((x["stage"], c.t(f"ref_{x['against']}"), _finding(c, x)) for x in found)
        tables.append(Table(c.t("bottlenecks"), b_cols, b_rows))
    won = f["steps"][-1]["reached"] if f["steps"] else 0
    rate = f["steps"][-1]["cumulative"]["value"] if f["steps"] else None
    text = c.t("pipeline_text", deals=f["deals"], won=won,
               rate=cell(rate, Kind.PERCENT, c.currency, c.lang))  # fmt: skip
    if not found:
        text += " " + c.t("bottlenecks_none")
    open_steps = [s for s in f["steps"] if s["stage_id"] is not None]
    chart = Chart("bar", c.t("funnel"), tuple(s["stage"] for s in open_steps),
                  (Series(c.t("reached"), tuple(float(s["reached"]) for s in open_steps)),),
                  Kind.COUNT) if open_steps else None  # fmt: skip
    return Section("pipeline", c.t("pipeline"), text, tuple(tables), chart)


def segments(c: Context) -> Section:
    """The RFM segments of the customers in view as of the period's end."""
    r = rfm(c.ws, c.who, c.end, lang=c.lang)
    rows = tuple((s.label, s.customers, s.share, s.revenue_minor, s.mean_recency_days,
                  s.mean_purchases, None if s.mean_spend_minor is None
                  else round(s.mean_spend_minor)) for s in r.segments)  # fmt: skip
    cols = (Column("segment", c.t("segment"), Kind.TEXT),
            Column("customers", c.t("customers"), Kind.COUNT),
            Column("share", c.t("share"), Kind.PERCENT),
            Column("revenue", c.t("revenue"), Kind.MONEY),
            Column("recency", c.t("recency"), Kind.NUMBER),
            Column("purchases", c.t("purchases"), Kind.NUMBER),
            Column("spend", c.t("spend"), Kind.MONEY))  # fmt: skip
    chart = Chart("bar", c.t("segments"), tuple(s.label for s in r.segments),
                  (Series(c.t("customers"), tuple(float(s.customers) for s in r.segments)),),
                  Kind.COUNT) if r.segments else None  # fmt: skip
    text = c.t("segments_text", n=r.customers, k=len(r.segments))
    return Section("segments", c.t("segments"), text,
                   (Table(c.t("segments"), cols, rows),), chart)  # fmt: skip


def feedback(c: Context) -> Section:
    """NPS, its answers and CSAT against the period before, and the comment themes that carry
    the most detractors."""
    s = summary(c.ws, c.who, c.span, lang=c.lang, as_of=c.today)
    kinds = {"nps": Kind.NUMBER, "nps_responses": Kind.COUNT, "csat": Kind.PERCENT}
    head = Table(c.t("feedback"), (
        Column("metric", c.t("metric"), Kind.TEXT), Column("value", c.t("value"), Kind.VALUE),
        Column("previous", c.t("previous"), Kind.VALUE)),
        tuple((c.t(f.metric), f.value, f.previous) for f in s.headline),
        tuple(kinds.get(f.metric, Kind.NUMBER) for f in s.headline))  # fmt: skip
    t = s.themes
    themes = Table(c.t("themes"), (
        Column("theme", c.t("theme"), Kind.TEXT),
        Column("comments", c.t("comments"), Kind.COUNT),
        Column("detractors", c.t("detractors"), Kind.COUNT),
        Column("detractor_share", c.t("detractor_share"), Kind.PERCENT)),
        tuple((x.label, x.responses, x.detractors, x.detractor_share)
              for x in t.themes[:TOP_THEMES]))  # fmt: skip
    nps = next((f.value for f in s.headline if f.metric == "nps"), None)
    text = c.t("feedback_text", responses=t.responses, comments=t.comments,
               nps=cell(nps, Kind.NUMBER, c.currency, c.lang))  # fmt: skip
    return Section("feedback", c.t("feedback"), text, (head, themes))
