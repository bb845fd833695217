"""Known answers for NPS and CSAT on the edges of their scales, on DuckDB and PostgreSQL: the
NPS category boundaries (6 | 7, 8 | 9), CSAT's top boxes on 3-, 5-, 7- and 10-point scales, a
missing scale (5 assumed), and which answers count as a detractor's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from salesmetrics.services.feedback.outcomes import answer_class
from salesmetrics.services.feedback.themes import is_detractor
from salesmetrics.services.workspace import init_workspace, workspace

AT = datetime(2025, 6, 10, 10, tzinfo=UTC)
PERIOD = "2025-06-01..2025-06-30"
# (kind, score, scale_max)
ANSWERS = [
    ("nps", 0, 10), ("nps", 6, 10), ("nps", 7, 10), ("nps", 8, 10), ("nps", 9, 10),
    ("nps", 10, 10), ("nps", 10, 10),
    ("csat", 3, 3), ("csat", 2, 3),  # 0.7 x 3 = 2.1: 3 satisfied
    ("csat", 4, 5), ("csat", 3, 5),  # 3.5: 4 satisfied
    ("csat", 5, 7), ("csat", 4, 7),  # 4.9: 5 satisfied
    ("csat", 7, 10), ("csat", 6, 10),  # 7: 7 satisfied
    ("csat", 4, None),  # no scale: 5 assumed, 4 satisfied
]  # fmt: skip


def test_nps_and_csat_known_answers_on_edge_scales(store_url: str) -> None:
    init_workspace(store_url, {})
    with workspace(store_url) as ws:
        ws.store.write(lambda tx: [tx.execute(
            "INSERT INTO feedback (id, received_at, kind, score, scale_max) VALUES (?, ?, ?, ?, ?)",
            [i + 1, AT, k, s, m]) for i, (k, s, m) in enumerate(ANSWERS)])  # fmt: skip
        ws.metrics.refresh_rollups()
        row = ws.metrics.query(["nps", "nps_responses", "csat"], period=PERIOD).rows()[0]
    assert row["nps_responses"] == 7
    assert row["nps"] == pytest.approx((3 - 2) * 100 / 7)  # promoters 9, 10, 10; detractors 0, 6
    assert row["csat"] == pytest.approx(5 / 9)  # 3/3, 4/5, 5/7, 7/10, 4/(5)


@pytest.mark.parametrize(
    ("kind", "score", "scale", "detractor", "answer"),
    [
        ("nps", 6, 10, True, "detractor"), ("nps", 7, 10, False, "passive"),
        ("nps", 8, None, False, "passive"), ("nps", 9, 10, False, "promoter"),
        ("csat", 1, 3, True, "detractor"), ("csat", 2, 3, False, "passive"),
        ("csat", 3, 3, False, "promoter"), ("csat", 2, 5, True, "detractor"),
        ("csat", 3, 5, False, "passive"), ("csat", 4, 5, False, "promoter"),
        ("csat", 2, 7, True, "detractor"), ("csat", 3, 7, False, "passive"),
        ("csat", 4, 10, True, "detractor"), ("csat", 5, 10, False, "passive"),
        ("review", 1, None, True, "detractor"), ("review", 5, None, False, "promoter"),
    ],
)  # fmt: skip
def test_who_counts_as_a_detractor_or_promoter(
    kind: str, score: float, scale: int | None, detractor: bool, answer: str
) -> None:
    assert is_detractor(kind, score, scale) is detractor
    assert answer_class(kind, score, scale) == answer
