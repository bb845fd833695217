"""The pipeline readings on the demo, on DuckDB and PostgreSQL: the planted slow stage is the
top bottleneck with its evidence; stale deals, hygiene issues and a forecast with rebuilt
snapshots and their accuracy are all there to see."""

from __future__ import annotations

from datetime import timedelta

from conftest import DEMO_AS_OF
from salesmetrics.demo.catalog import BOTTLENECK_STAGE  # what the truth file names
from salesmetrics.domain.access import LOCAL
from salesmetrics.services.pipeline import bottlenecks, care, common, forecast
from salesmetrics.services.workspace import workspace


def test_the_planted_slow_stage_is_the_top_bottleneck(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        out = bottlenecks.bottlenecks(common.ask(ws, LOCAL, as_of=DEMO_AS_OF))
    top = out["findings"][0]
    assert (top["stage"], top["kind"], top["against"]) == (BOTTLENECK_STAGE, "time", "stages")
    # the evidence: typical time at least twice the other stages', on hundreds of deals
    assert top["low"] > 2.0 and top["effect"] > top["low"] and top["deals"] > 300
    assert top["value"] > 2 * top["reference"]
    assert top["severity"] > 2 * out["findings"][1]["severity"]
    assert BOTTLENECK_STAGE in top["summary"]


def test_care_and_forecast_on_the_demo(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        a = common.ask(ws, LOCAL, as_of=DEMO_AS_OF)
        stale = care.stale(a)
        hygiene = care.hygiene(a)
        again = forecast.rebuild_history(a, 12)  # the demo rebuilt 26 weeks already
        accuracy = forecast.accuracy(a, 3)
        now = forecast.forecast(a, forecast.period_of(a, None))
    assert stale["deals"] > 0 and stale["list"][0]["amount_minor"] >= stale["list"][-1][
        "amount_minor"]  # fmt: skip
    assert hygiene["open_deals"] > 0 and 0 <= hygiene["score"] <= 100
    assert sum(r["slipped"] for r in hygiene["reps"]) > 0  # the demo pushes close dates
    assert sum(r["open_deals"] - r["no_next_activity"] for r in hygiene["reps"]) > 0
    assert again == []
    closed = accuracy["periods"]
    assert len(closed) == 3 and all(p["actual_minor"] > 0 for p in closed)
    for p in closed:
        for s in p["snapshots"]:
            assert s["how"] == "reconstructed" and s["taken_at"].date() <= p["period"]["end"]
            assert s["commit_minor"] <= s["best_case_minor"]
    assert accuracy["mean_absolute_error"] < 0.5  # the demo's probabilities are roughly right
    assert now["expected_minor"] > now["won_minor"] > 0
    assert now["period"]["start"] == DEMO_AS_OF.replace(day=1)
    assert now["period"]["end"] == DEMO_AS_OF.replace(day=30)
    assert timedelta(0) < now["as_of"] - a.instant(DEMO_AS_OF) <= timedelta(days=1)
