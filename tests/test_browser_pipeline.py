"""The Pipeline page in a real browser (Debian's Chromium): the funnel drawn, the stage table,
the demo's planted slow stage named first among the bottlenecks, stale deals, hygiene, the
forecast and its accuracy; a rep sees their own deals only; clean at desktop and phone sizes,
in Ukrainian and English."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from salesmetrics.demo.catalog import REPS
from salesmetrics.services.access.demo_accounts import PASSWORD
from served import SIZES, browsing, needs_chromium, serving_demo, sign_in

pytestmark = needs_chromium
OPEN_STAGES = ("Новий", "Кваліфікація", "Зустріч", "Пропозиція", "Переговори")
TRUTH: dict[str, Any] = {}  # the demo's ground truth, written beside the workspace


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser_pipeline")
    with serving_demo(folder) as base:
        TRUTH.update(json.loads((folder / "demo.truth.json").read_text(encoding="utf-8")))
        yield base


def test_the_owner_sees_every_section_with_the_planted_bottleneck_first(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, problems):
        page.goto(f"{server}/pipeline?lang=en")
        page.wait_for_selector("#funnel-chart .main-svg")  # plotly drew the funnel
        assert page.locator("#funnel-chart .funnellayer .point").count() == 6  # 5 stages, won
        stages = page.locator("[data-testid=stage-table] tbody tr td:first-child").all_inner_texts()
        assert stages == [*OPEN_STAGES, "Won"]
        first = page.locator("[data-testid=bottlenecks] li.top")
        assert TRUTH["bottleneck_stage"] in first.inner_text()
        assert "at least" in first.inner_text()
        assert page.locator("[data-testid=stale] tbody tr").count() > 0
        assert page.locator("[data-testid=hygiene] tbody tr").count() >= 5
        assert page.locator("[data-testid=forecast-reps] tbody tr").count() >= 5
        assert page.locator("#forecast-chart .barlayer .point").count() == 4
        figures = page.locator("[data-testid=forecast-figures] dd").all_inner_texts()
        assert any(c.isdigit() for c in figures[0])  # won so far, in money
        assert page.locator("[data-testid=forecast-stages] tbody tr").count() >= 3
        assert page.locator("[data-testid=accuracy] details tbody tr").count() >= 20  # 26 weeks
        assert problems == []


def test_a_rep_sees_only_their_own_deals(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, problems):
        page.goto("about:blank")  # leave the Overview first: its live stream would retry, unsigned
        page.context.clear_cookies()
        sign_in(page, server, "rep@demo.example", PASSWORD)
        answer = page.goto(f"{server}/pipeline?lang=uk")
        assert answer is not None and answer.status == 200
        me = page.inner_text("[data-testid=who]").split(" · ")[0].strip()
        others = [name for name, *_ in REPS if name != me]
        assert len(others) == len(REPS) - 1  # the demo's rep account is one of its reps
        names = page.locator("[data-testid=hygiene] tbody td:first-child").all_inner_texts()
        assert names == [me]
        hygiene = page.inner_text("[data-testid=hygiene]")
        assert [n for n in others if n in hygiene] == []
        reps = page.locator("[data-testid=forecast-reps] tbody td:first-child").all_inner_texts()
        assert set(reps) <= {me, "—"}
        owners = page.locator("[data-testid=stale] tbody td:nth-child(2)").all_inner_texts()
        assert set(owners) <= {me}
        assert problems == []


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["uk", "en"])
def test_pipeline_page_loads_clean(server: str, lang: str, size: str) -> None:
    width, height = SIZES[size]
    with browsing(server, (width, height)) as (page, problems):
        page.goto(f"{server}/pipeline?lang={lang}&by=team")
        page.wait_for_selector("#funnel-chart .main-svg")
        assert page.evaluate("document.documentElement.lang") == lang
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"/pipeline is {wide}px wide at {width}px"
        expected = "Вузькі місця" if lang == "uk" else "Bottlenecks"
        assert expected in page.inner_text("main")
        assert problems == []


def test_a_bad_filter_says_why(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, _):
        answer = page.goto(f"{server}/pipeline?lang=en&rep=Nobody")
        assert answer is not None and answer.status == 404
        assert "no rep 'Nobody'" in page.inner_text("[data-testid=error]")
