"""Pipeline findings, read from services/pipeline: the bottlenecks (stages where deals wait
longer or move on less than the other stages, their own past or their peers; the evidence and
its intervals are bottlenecks.py's) and the stale part of the open pipeline (care.py)."""

from __future__ import annotations

from typing import Any

from salesmetrics.domain.errors import NotFoundError
from salesmetrics.services.pipeline import bottlenecks as bn
from salesmetrics.services.pipeline import care
from salesmetrics.services.pipeline.common import Ask, ask
from salesmetrics.services.strategy.findings import texts as t
from salesmetrics.services.strategy.findings.model import Finding, Reading, explain, explorer, score

MIN_SEVERITY = 0.25  # at least 25 % worse at the near end of the interval
MAX_BOTTLENECKS = 3
STALE_FULL = 0.3  # a third of the open pipeline stale scores the most


def asked(r: Reading) -> Ask | None:
    try:
        return ask(r.ws, r.who, as_of=r.as_of)
    except NotFoundError:  # no pipeline yet
        return None


def bottlenecks(r: Reading, a: Ask) -> list[Finding]:
    found = bn.bottlenecks(a, limit=MAX_BOTTLENECKS * 3)
    out: list[Finding] = []
    for f in found["findings"]:
        if f["severity"] < MIN_SEVERITY or len(out) == MAX_BOTTLENECKS:
            continue
        out.append(_bottleneck(r, f))
    return out


def _bottleneck(r: Reading, f: dict[str, Any]) -> Finding:
    time = f["kind"] == "time"
    who = f"{f['who']}: " if f["who"] else ""
    against = t.say(r.lang, f"bn_{f['against']}", base=bn.BASE_DAYS)
    when = t.say(r.lang, "bn_when", days=bn.RECENT_DAYS) if f["against"] == "history" else ""
    if time:
        text = t.say(r.lang, "bn_time_text", who=who, value=t.num(f["value"], r.lang),
                     stage=f["stage"], when=when, reference=t.num(f["reference"], r.lang),
                     against=against, effect=t.num(f["effect"], r.lang),
                     low=t.num(f["low"], r.lang), deals=f["deals"],
                     deal_word=t.deal_word(f["deals"], r.lang))  # fmt: skip
    else:
        text = t.say(r.lang, "bn_conv_text", who=who, value=t.pct(f["value"], r.lang),
                     stage=f["stage"], when=when, reference=t.pct(f["reference"], r.lang),
                     against=against, points=f"{f['effect'] * 100:+.0f}",
                     deals=f["deals"], deal_word=t.deal_word(f["deals"], r.lang))  # fmt: skip
    metric = "time_in_stage_days" if time else "stage_conversion"
    period = "trailing_12_months"
    # the stage against the others or its past matters to all; a peer gap to that peer
    weight = 50.0 if f["against"] in ("stages", "history") else 35.0
    return Finding(
        "bottleneck", f"{f['kind']}:{f['against']}:{f['stage_id']}:{f['who'] or ''}",
        score(weight, 40, f["severity"] / 2.5),
        t.say(r.lang, "bn_time_title" if time else "bn_conv_title", stage=f["stage"]), text,
        t.say(r.lang, "bn_act", stage=f["stage"]),
        {k: f[k] for k in ("kind", "against", "stage", "who", "value", "reference", "effect",
                           "low", "high", "severity", "deals", "reference_deals")},
        explorer(r, metric, period=period, grain="", by="stage"),
        explain(r, metric, period=period, grain="", by="stage"), metric,
    )  # fmt: skip


def stale(r: Reading, a: Ask) -> list[Finding]:
    s = care.stale(a, limit=1)
    if not s["deals"]:
        return []
    open_value = r.ws.metrics.query(["pipeline_value"], period="today", as_of=r.as_of,
                                    scope=r.who.scope).rows()  # fmt: skip
    total = float((open_value[0].get("pipeline_value") if open_value else None) or 0)
    share = s["amount_minor"] / total if total else None
    top = ", ".join(f"{x['rep']} ({x['deals']})" for x in s["by_rep"][:3])
    amount = t.money(s["amount_minor"], r.currency, r.lang)
    words = t.deal_word(s["deals"], r.lang)
    return [Finding(
        "stale_deals", f"stale:{r.as_of}", score(30, 35, (share or 0) / STALE_FULL),
        t.say(r.lang, "stale_title", n=s["deals"], amount=amount, deal_word=words),
        t.say(r.lang, "stale_text", n=s["deals"], amount=amount, share=t.pct(share, r.lang),
              deal_word=words,
              days=s["quiet_days"], top=top),
        t.say(r.lang, "stale_act"),
        {"deals": s["deals"], "amount_minor": s["amount_minor"], "pipeline_minor": total,
         "share": share, "quiet_days": s["quiet_days"],
         "by_rep": [{"rep": x["rep"], "deals": x["deals"], "amount_minor": x["amount_minor"]}
                    for x in s["by_rep"]]},
        f"/pipeline?lang={r.lang}",
        explain(r, "pipeline_value", period="today", grain=""), "pipeline_value",
        rep_id=s["by_rep"][0]["rep_id"] if len(s["by_rep"]) == 1 else None,
    )]  # fmt: skip
