"""Survey answers after orders: NPS (0-10) and CSAT (1-5), with comments in Ukrainian and English.

Each answer has a hidden tone (detractor, passive, promoter). Buyers of the problem product are
more likely to answer and mostly unhappy, and their complaints are about its quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from salesmetrics.demo import columns as col
from salesmetrics.demo.comments import LANGUAGES, THEMES, flat
from salesmetrics.demo.order_lines import Month, OrderContext
from salesmetrics.demo.orders import B2B_FIRST, PAID, REFUNDED, SHOP
from salesmetrics.demo.spec import SOURCE, STREAM_FEEDBACK, rng
from salesmetrics.demo.timeline import F64, SHOP_HOURS, clock, office_clock
from salesmetrics.domain.enums import FeedbackKind

I64 = NDArray[np.int64]

NEGATIVE, NEUTRAL, POSITIVE = 0, 1, 2
TONE_SHARES = {
    "usual": (0.14, 0.28, 0.58),
    "refunded": (0.6, 0.25, 0.15),
    "problem": (0.72, 0.15, 0.13),
}
THEME_SHARES = (0.35, 0.2, 0.25, 0.2)  # delivery, price, quality, service
COMMENT_CHANCE = (0.8, 0.35, 0.5)  # by tone
NPS_BY_TONE = ((0, 1, 2, 3, 4, 5, 6), (7, 8), (9, 10))
NPS_P = ((0.05, 0.05, 0.08, 0.12, 0.18, 0.22, 0.30), (0.5, 0.5), (0.45, 0.55))
CSAT_BY_TONE = ((1, 2, 3), (3, 4), (4, 5))
CSAT_P = ((0.3, 0.4, 0.3), (0.4, 0.6), (0.25, 0.75))
_TEXTS, _WHERE = flat()


@dataclass(frozen=True, slots=True)
class FeedbackLinks:
    """Per customer: owner rep (or -1); per customer: the deal it was won with (or -1)."""

    owner: I64
    deal: I64


def _scores(tone: I64, nps: NDArray[np.bool_], gen: np.random.Generator) -> I64:
    score = np.zeros(len(tone), np.int64)
    for t in (NEGATIVE, NEUTRAL, POSITIVE):
        rows = np.flatnonzero(tone == t)
        n_nps = gen.choice(NPS_BY_TONE[t], size=len(rows), p=NPS_P[t])
        csat = gen.choice(CSAT_BY_TONE[t], size=len(rows), p=CSAT_P[t])
        score[rows] = np.where(nps[rows], n_nps, csat)
    return score


def _comments(tone: I64, problem: NDArray[np.bool_], gen: np.random.Generator) -> tuple[I64, I64]:
    """Index into the comment list (-1: no comment) and the language of each answer."""
    n = len(tone)
    lang = (gen.random(n) < 0.25).astype(np.int64)
    theme = gen.choice(len(THEMES), size=n, p=THEME_SHARES)
    theme = np.where(problem & (tone == NEGATIVE) & (gen.random(n) < 0.9), len(THEMES), theme)
    offset = np.zeros(n, np.int64)
    count = np.ones(n, np.int64)
    for (ti, oi, li), (start, size) in _WHERE.items():
        rows = (theme == ti) & (tone == oi) & (lang == li)
        offset[rows], count[rows] = start, size
    pick = offset + (gen.random(n) * count).astype(np.int64)
    has = gen.random(n) < np.asarray(COMMENT_CHANCE)[tone]
    return np.where(has, pick, -1), lang


def _tones(key: I64, gen: np.random.Generator) -> I64:
    """Negative, neutral or positive, with the shares of each row's TONE_SHARES entry."""
    tone = np.zeros(len(key), np.int64)
    u = gen.random(len(key))
    for k, shares in enumerate(TONE_SHARES.values()):
        cum = np.cumsum(shares)
        tone = np.where(key == k, (u[:, None] > cum[None, :]).sum(axis=1), tone)
    out: I64 = np.minimum(tone, POSITIVE)
    return out


def month_feedback(
    ctx: OrderContext, month: Month, links: FeedbackLinks, m: int, first_id: int
) -> pa.Table:
    """Answers to the surveys sent after month m's paid and refunded orders."""
    gen = rng(ctx.seed, STREAM_FEEDBACK, m)
    plan, pos = ctx.plan, month.order
    status, kind = plan.status[pos], plan.kind[pos]
    chance = np.where(kind == SHOP, 0.1, np.where(kind == B2B_FIRST, 0.3, 0.08))
    chance = np.where(month.has_problem, 0.3, chance)
    answered = ((status == PAID) | (status == REFUNDED)) & (gen.random(len(pos)) < chance)
    delay = gen.integers(2, 10, len(pos))
    day: F64 = np.floor(plan.at[pos]) + delay.astype(np.float64)
    at = np.where(kind == SHOP, clock(day, SHOP_HOURS, gen), office_clock(day, gen))
    rows = np.flatnonzero(answered & (at < ctx.tl.days))
    n = len(rows)
    problem = month.has_problem[rows]
    tone = _tones(np.where(problem, 2, np.where(status[rows] == REFUNDED, 1, 0)), gen)
    nps = gen.random(n) < 0.6
    comment, lang = _comments(tone, problem, gen)
    order = pos[rows]
    customer = plan.customer[order]
    rep = links.owner[customer]
    deal = np.where(kind[rows] == B2B_FIRST, links.deal[customer], -1)
    product = np.where(problem, ctx.products.problem, month.first_product[rows])
    ids = first_id + np.arange(n)
    survey = np.where(kind[rows] == B2B_FIRST, 1, 0)
    return pa.table(
        {
            "id": col.ids(ids),
            "external_id": col.external("FB-", ids, 7),
            "source": col.const(SOURCE, n),
            "received_at": col.timestamps(ctx.tl, at[rows]),
            "kind": col.pick([str(FeedbackKind.CSAT), str(FeedbackKind.NPS)], nps.astype(np.int64)),
            "score": col.floats(_scores(tone, nps, gen).astype(np.float64)),
            "scale_max": col.ids(np.where(nps, 10, 5)),
            "comment": col.pick(_TEXTS, comment),
            "language": col.pick(LANGUAGES, lang),
            "customer_id": col.ids(customer + 1),
            "order_id": col.ids(order + 1),
            "deal_id": col.ids(deal + 1, null=deal < 0),
            "rep_id": col.ids(rep + 1, null=rep < 0),
            "product_id": col.ids(product + 1),
            "channel_id": col.ids(plan.channel[order] + 1),
            "attributes": col.pick(
                ['{"survey": "post_purchase"}', '{"survey": "b2b_onboarding"}'], survey
            ),
        }
    )
