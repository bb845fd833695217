"""The channel that brings customers at the lowest cost, from the metric engine's `cac` (spend /
new customers, per channel) over the last MONTHS months, with an exact Poisson interval on the
count of new customers (Garwood 1936) carried to the cost: spend / upper .. spend / lower.

Reported when that channel's interval lies wholly below the median cost of the other channels.
A view narrowed to some reps cannot see the company's marketing spend (services/metrics.py
`readable`), so it gets no channel finding.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from salesmetrics.domain.periods import add_months
from salesmetrics.services.strategy.findings import texts as t
from salesmetrics.services.strategy.findings.model import Finding, Reading, explain, explorer, score

MONTHS = 6
MIN_CUSTOMERS = 20
METRICS = ("cac", "ltv_cac", "new_customers", "marketing_spend")


@dataclass(frozen=True, slots=True)
class ChannelCost:
    name: str
    spend: float  # minor units
    customers: int
    ltv_cac: float | None

    @property
    def cac(self) -> float:
        return self.spend / self.customers

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The cost per customer's interval from Garwood's exact Poisson limits."""
        from scipy import stats  # scipy.stats: loaded when used

        a, k = 1 - level, self.customers
        lower = stats.chi2.ppf(a / 2, 2 * k) / 2 if k else 0.0
        upper = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / 2
        return self.spend / upper, (self.spend / lower if lower else float("inf"))


def costs(r: Reading) -> list[ChannelCost]:
    if set(METRICS) - set(r.ws.metrics.readable(METRICS, r.who.scope)):
        return []
    first = add_months(r.month.start, -(MONTHS - 1))
    rows = r.ws.metrics.query(list(METRICS), period=f"{first}..{r.month.end}", by=["channel"],
                              scope=r.who.scope, as_of=r.as_of).rows()  # fmt: skip
    return [ChannelCost(x["channel"], float(x["marketing_spend"]), int(x["new_customers"]),
                        x["ltv_cac"]) for x in rows
            if x["channel"] is not None and x["marketing_spend"] and x["new_customers"]
            and int(x["new_customers"]) >= MIN_CUSTOMERS]  # fmt: skip


def best_channel(r: Reading) -> list[Finding]:
    found = sorted(costs(r), key=lambda c: c.cac)
    if len(found) < 3:
        return []
    best, others, worst = found[0], found[1:], found[-1]
    median = statistics.median(c.cac for c in others)
    low, high = best.interval()
    if high >= median:
        return []

    def m(v: float) -> str:
        return t.money(v, r.currency, r.lang)

    ltv = "" if best.ltv_cac is None else t.say(r.lang, "cac_ltv", ratio=t.num(best.ltv_cac,
                                                                              r.lang))  # fmt: skip
    first = add_months(r.month.start, -(MONTHS - 1))
    period = f"{first}..{r.month.end}"
    return [Finding(
        "channel_cac", f"cac:{best.name}", score(50, 40, (1 - high / median) / 0.5),
        t.say(r.lang, "cac_title", channel=best.name),
        t.say(r.lang, "cac_text", channel=best.name, cac=m(best.cac), months=MONTHS, low=m(low),
              high=m(high), customers=best.customers, median=m(median), ltv=ltv),
        t.say(r.lang, "cac_act", worst=worst.name, worst_cac=m(worst.cac), channel=best.name),
        {"channel": best.name, "cac_minor": best.cac, "cac_low_minor": low,
         "cac_high_minor": high, "new_customers": best.customers, "spend_minor": best.spend,
         "others_median_cac_minor": median, "ltv_cac": best.ltv_cac, "months": MONTHS,
         "channels": {c.name: round(c.cac) for c in found}},
        explorer(r, "cac", period=period, grain="", by="channel"),
        explain(r, "cac", period=period, grain="", by="channel"), "cac",
    )]  # fmt: skip
