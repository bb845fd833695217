"""Pages in a real browser (Debian's Chromium through Playwright): no console errors, no failed
requests, nothing wider than a phone, the chart drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from served import CHROMIUM, SIZES, needs_chromium, serving_demo, sign_in, watch

PAGES = ("/", "/explore", "/explore?metric=win_rate&by=channel&grain=quarter&compare=previous",
         "/team", "/team?period=last_month&sort=win_rate", "/team/rep/1", "/data",
         "/workspace", "/feedback", "/feedback?theme=quality&tone=negative", "/channels",
         "/?segment=champions", "/team?segment=", "/plan", "/plan?reps=%2B1&deal_size=10",
         "/forecast", "/forecast?grain=week", "/insights", "/reports")  # fmt: skip

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_demo(tmp_path_factory.mktemp("browser")) as base:
        yield base


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["uk", "en"])
def test_every_page_loads_clean(server: str, lang: str, size: str) -> None:
    assert Path(CHROMIUM).exists(), "install the chromium Debian package (make test does)"
    width, height = SIZES[size]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            sign_in(page, server)
            problems = watch(page)
            for path in PAGES:
                sep = "&" if "?" in path else "?"
                page.goto(f"{server}{path}{sep}lang={lang}")
                page.wait_for_load_state("networkidle")
                assert page.evaluate("document.documentElement.lang") == lang
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, f"{path} is {wide}px wide at {width}px"
            page.goto(f"{server}/?lang={lang}")
            page.wait_for_selector("#trend .main-svg", timeout=10_000)
            assert page.locator("[data-metric]").count() == 12
            page.goto(f"{server}/explore?lang={lang}")
            page.select_option("select[name=metric]", "orders")
            page.select_option("select[name=by]", "channel")
            page.click("[data-testid=explore-form] button[type=submit]")
            page.wait_for_selector("#explore-chart .main-svg", timeout=10_000)
            assert "metric=orders" in page.url and page.locator("[data-testid=rows] tr").count() > 5
            page.goto(f"{server}/plan?lang={lang}")  # the what-if form moves the projection
            before = page.inner_text("[data-testid=scenario-total]")
            page.fill("[data-testid=lever-deal-size]", "20")
            page.click("[data-testid=whatif-apply]")
            page.wait_for_selector("#whatif-chart .main-svg", timeout=10_000)
            assert "deal_size=20" in page.url
            assert page.inner_text("[data-testid=scenario-total]") != before
            page.goto(f"{server}/channels?lang={lang}")  # the charts, the budget form
            page.wait_for_selector("#cac-chart .main-svg", timeout=10_000)
            page.wait_for_selector("#curve-chart .main-svg", timeout=10_000)
            page.fill("[data-testid=budget]", "70000")
            page.click("[data-testid=allocate]")
            page.wait_for_selector("#curve-chart .main-svg", timeout=10_000)
            assert "budget=70000" in page.url and page.locator("[data-testid=moves] li").count()
            assert "70" in page.inner_text("[data-testid=plan-summary]")
            assert problems == []
        finally:
            browser.close()
