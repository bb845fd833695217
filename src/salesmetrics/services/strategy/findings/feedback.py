"""Products customers are unhappy with: a product whose NPS over the last DAYS days is far
below the business's, its 95 % interval (the metric engine's) wholly below the business's NPS,
with the comment theme its detractors raise most (services/feedback/themes.py)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from salesmetrics.domain.errors import QueryError
from salesmetrics.domain.periods import DateRange
from salesmetrics.services.feedback.lexicon import reader
from salesmetrics.services.feedback.themes import Response, read_responses
from salesmetrics.services.strategy.findings import texts as t
from salesmetrics.services.strategy.findings.model import Finding, Reading, explain, explorer, score

DAYS = 90
MIN_ANSWERS = 10
MIN_GAP = 20.0  # NPS points below the business at the near end of the interval
MAX_PRODUCTS = 2


def problems(r: Reading) -> list[Finding]:
    start = r.as_of - timedelta(days=DAYS)
    period = f"{start}..{r.as_of - timedelta(days=1)}"
    try:
        whole = r.ws.metrics.query(["nps"], period=period, scope=r.who.scope).rows()
        rows = r.ws.metrics.query(["nps", "nps_responses"], period=period, by=["product"],
                                  scope=r.who.scope).rows()  # fmt: skip
    except QueryError:
        return []
    company = whole[0]["nps"] if whole else None
    if company is None:
        return []
    bad = [x for x in rows if x["product"] is not None and x["nps"] is not None
           and int(x["nps_responses"] or 0) >= MIN_ANSWERS and x.get("nps__high") is not None
           and company - x["nps__high"] >= MIN_GAP]  # fmt: skip
    bad.sort(key=lambda x: x["nps__high"])
    if not bad:
        return []
    said = read_responses(r.ws, r.who, DateRange(start, r.as_of - timedelta(days=1)))
    return [_finding(r, x, company, said, period) for x in bad[:MAX_PRODUCTS]]


def _theme(r: Reading, product: str, said: list[Response]) -> dict[str, Any] | None:
    """The theme the product's detractors raise most, how many, and one of their comments."""
    unhappy = [x for x in said if x.product == product and x.detractor and x.comment]
    counts = Counter(code for x in unhappy for code in x.reading.themes)
    if not counts:
        return None
    code, k = counts.most_common(1)[0]
    labels = {th.code: th.label for th in reader(r.ws).table.themes}
    example = next(x.comment or "" for x in unhappy if code in x.reading.themes)
    label = labels.get(code, {})
    return {
        "code": code,
        "label": label.get(t.lang_of(r.lang)) or code,
        "k": k,
        "m": len(unhappy),
        "example": example,
    }


def _finding(r: Reading, x: dict[str, Any], company: float, said: list[Response],
             period: str) -> Finding:  # fmt: skip
    product = x["product"]
    text = t.say(r.lang, "fb_text", product=product, nps=t.num(x["nps"], r.lang, 0), days=DAYS,
                 low=t.num(x["nps__low"], r.lang, 0), high=t.num(x["nps__high"], r.lang, 0),
                 n=int(x["nps_responses"]), company=t.num(company, r.lang, 0))  # fmt: skip
    numbers: dict[str, Any] = {"product": product, "nps": x["nps"], "nps_low": x["nps__low"],
                               "nps_high": x["nps__high"], "answers": int(x["nps_responses"]),
                               "company_nps": company, "days": DAYS}  # fmt: skip
    found = _theme(r, product, said)
    if found is not None:
        text += t.say(r.lang, "fb_theme", theme=found["label"], k=found["k"], m=found["m"],
                      example=found["example"][:120])  # fmt: skip
        numbers |= {
            "theme": found["code"],
            "theme_detractors": found["k"],
            "detractor_comments": found["m"],
        }
    return Finding(
        "product_problem", f"nps:{product}", score(50, 40, (company - x["nps__high"]) / 60),
        t.say(r.lang, "fb_title", product=product), text,
        t.say(r.lang, "fb_act", product=product), numbers,
        explorer(r, "nps", period=period, grain="", by="product"),
        explain(r, "nps", period=period, grain="", by="product"), "nps",
    )  # fmt: skip
