"""The Targets page in a real browser (Debian's Chromium), in Ukrainian and English: the demo's
targets paced to today, a target set through the form and removed again, and the page clean at
desktop and phone sizes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2 as httpx
import pytest

from served import SIZES, auth, browsing, needs_chromium, serving_demo

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_demo(tmp_path_factory.mktemp("browser_targets")) as base:
        yield base


def test_set_a_target_in_ukrainian_and_see_it_paced(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, problems):
        page.goto(f"{server}/targets?lang=uk")
        page.wait_for_selector("[data-testid=target]")
        first = page.locator("[data-testid=level-rep] [data-testid=target]").first
        assert first.locator(".pacebar .done").count() == 1
        assert "за робочий день" in first.locator("[data-testid=takes]").inner_text()
        assert first.locator("[data-testid=pace]").inner_text() in ("випереджає", "відстає")
        form = page.locator("[data-testid=set-target]")
        form.locator("select[name=metric]").select_option("deals_won")
        form.locator("input[name=period]").fill("2030-Q1")
        form.locator("input[name=value]").fill("30")
        form.locator("select[name=owner]").select_option(index=1)  # the first team
        form.locator("select[name=split]").select_option("custom")
        form.locator("input[name=weights]").fill("1,1,2")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("[data-testid=done]")
        assert "Ціль задано" in page.inner_text("[data-testid=done]")
        listed = httpx.get(f"{server}/api/v1/targets", params={"period": "2030-Q1"},
                           headers=auth(server)).json()  # fmt: skip
        assert sorted(t["value"] for t in listed if t["plan_id"]) == [7.5, 7.5, 15.0]
        page.goto(f"{server}/targets?lang=uk&period=2030-Q1")
        plan = page.locator("[data-testid=target]").filter(has_text="2030-Q1")
        assert plan.count() == 1
        plan.locator("[data-testid=remove]").click()
        page.wait_for_selector("[data-testid=done]")
        assert httpx.get(f"{server}/api/v1/targets", params={"period": "2030-Q1"},
                         headers=auth(server)).json() == []  # fmt: skip
        assert problems == []


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["uk", "en"])
def test_targets_page_loads_clean(server: str, lang: str, size: str) -> None:
    width, height = SIZES[size]
    with browsing(server, (width, height)) as (page, problems):
        page.goto(f"{server}/targets?lang={lang}")
        page.wait_for_selector("[data-testid=target]")
        assert page.evaluate("document.documentElement.lang") == lang
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"/targets is {wide}px wide at {width}px"
        expected = "Очікувано на сьогодні" if lang == "uk" else "Expected by today"
        assert expected in page.inner_text("main")
        assert problems == []
