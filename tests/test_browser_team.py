"""The Team pages in a real browser (Debian's Chromium through Playwright): the leaderboard and a
rep's page in Ukrainian and English, desktop and phone: no console errors, no failed requests,
nothing wider than the screen, the charts drawn."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from served import CHROMIUM, SIZES, auth, needs_chromium, serving_demo, sign_in, watch

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_demo(tmp_path_factory.mktemp("browser_team")) as base:
        yield base


def _visit(page: Page, url: str, lang: str, width: int, chart: str) -> None:
    page.goto(url)
    page.wait_for_selector(f"{chart} .main-svg", timeout=15_000)
    page.wait_for_timeout(300)  # late requests (the live stream, fragments) have started
    assert page.evaluate("document.documentElement.lang") == lang
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{url} is {wide}px wide at {width}px"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["uk", "en"])
def test_team_and_rep_pages_load_clean(server: str, lang: str, size: str) -> None:
    assert Path(CHROMIUM).exists(), "install the chromium Debian package (make test does)"
    width, height = SIZES[size]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            sign_in(page, server)
            problems = watch(page)
            _visit(page, f"{server}/team?lang={lang}", lang, width, "#team-chart")
            bars = page.locator("#team-chart .bars .point").count()
            reps = page.locator("[data-testid=leaderboard] tr.rep").count()
            assert reps > 3 and bars == reps
            heading = {"uk": "Рейтинг", "en": "Leaderboard"}[lang]
            assert page.get_by_role("heading", name=heading).is_visible()
            # a rep's name leads to their page, in the same language
            link = page.locator("[data-testid=leaderboard] tr.rep a").first
            name = link.inner_text()
            link.click()
            page.wait_for_url(re.compile(r"/team/rep/\d+"))
            _visit(page, page.url, lang, width, "#rep-trend")
            assert page.locator("h1").inner_text().startswith(name)
            assert page.locator("[data-metric]").count() >= 8
            assert page.locator("#rep-trend .bars .point").count() == 12
            # sorting by another column keeps the language and the live fragment's sort
            _visit(page, f"{server}/team?lang={lang}&sort=win_rate", lang, width, "#team-chart")
            live = page.locator("[data-live]").get_attribute("data-live") or ""
            assert "sort=win_rate" in live and f"lang={lang}" in live
            assert problems == []
        finally:
            browser.close()


def test_the_leaderboard_moves_when_an_order_arrives(server: str) -> None:
    """An order event for the last-ranked rep shows on an open leaderboard without a reload."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            sign_in(page, server)
            problems = watch(page)
            _visit(page, f"{server}/team?lang=en", "en", 1280, "#team-chart")
            page.wait_for_selector("[data-live-status].is-live", timeout=10_000)
            last = page.locator("[data-testid=leaderboard] tr.rep").last
            name = last.locator("a").inner_text()
            before = last.locator("td").nth(1).inner_text()
            event = {"id": f"evt-team-{time.time_ns()}", "type": "order.placed",
                     "occurred_at": datetime.now(UTC).isoformat(),
                     "data": {"external_id": f"ORD-TEAM-{time.time_ns()}", "rep_id": name,
                              "currency": "UAH", "status": "paid",
                              "lines": [{"line_total_minor": 987_654_321}]}}  # fmt: skip
            started = time.monotonic()
            assert (
                httpx.post(f"{server}/api/v1/events", json=event, headers=auth(server)).status_code
                == 202
            )
            first = page.locator("[data-testid=leaderboard] tr.rep").first
            page.wait_for_function(
                "name => document.querySelector('[data-testid=leaderboard] tr.rep a')"
                ".textContent === name", arg=name, timeout=10_000,
            )  # fmt: skip
            seconds = time.monotonic() - started
            assert first.locator("td").first.inner_text() == "1"
            assert first.locator("td").nth(1).inner_text() != before
            bars = page.evaluate("document.querySelector('#team-chart').data[0].y[0]")
            assert bars == name  # the chart was redrawn from the new fragment
            print(f"event to leaderboard: {seconds:.2f} s")
            assert seconds < 3, f"the leaderboard took {seconds:.2f} s"
            assert problems == []
        finally:
            browser.close()
