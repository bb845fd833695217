"""Live updates in a real browser: an event posted to the API shows on an open Overview within
a second, without a reload; the live status speaks the page's language."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from served import CHROMIUM, SIZES, auth, needs_chromium, serving_demo, sign_in, watch

REVENUE = "[data-testid=value-revenue]"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_demo(tmp_path_factory.mktemp("browser-live")) as base:
        yield base


def order_placed(amount_minor: int) -> dict[str, object]:
    """An order of today, in the workspace's currency, that adds `amount_minor` to revenue."""
    n = time.time_ns()
    return {
        "id": f"browser-live-{n}", "type": "order.placed",
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"external_id": f"LIVE-{n}", "currency": "UAH", "status": "paid",
                 "lines": [{"quantity": 1, "unit_price_minor": amount_minor}]},
    }  # fmt: skip


def post_and_time(page: Page, base: str, amount_minor: int, timeout_ms: int) -> float:
    """Seconds from the API's 2xx reply until the revenue card shows a new number."""
    before = page.inner_text(REVENUE)
    reply = httpx.post(
        f"{base}/api/v1/events", json=order_placed(amount_minor), timeout=10, headers=auth(base)
    )
    assert reply.status_code == 202, reply.text
    replied = time.monotonic()
    page.wait_for_function(
        "([sel, old]) => document.querySelector(sel).innerText !== old",
        arg=[REVENUE, before], timeout=timeout_ms, polling=10,
    )  # fmt: skip
    return time.monotonic() - replied


def test_an_event_reaches_the_open_overview_within_a_second(server: str) -> None:
    assert Path(CHROMIUM).exists(), "install the chromium Debian package (make test does)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            sign_in(page, server)
            problems = watch(page)
            page.goto(f"{server}/?lang=en")
            page.wait_for_selector("[data-live-status].is-live", timeout=10_000)
            page.wait_for_selector("#trend .main-svg", timeout=10_000)
            page.evaluate("window.liveMarker = 'still here'")
            trend_last = page.evaluate("document.getElementById('trend').data[0].y.at(-1)")
            # The first change after start-up pays one-off costs (the first query that cannot
            # use the rollups); time the ones after it.
            post_and_time(page, server, 1_000_000, timeout_ms=10_000)
            took = [post_and_time(page, server, 2_500_000, timeout_ms=3_000) for _ in range(3)]
            assert min(took) < 1.0 and sorted(took)[1] < 1.0, took
            page.wait_for_function(
                "old => document.getElementById('trend').data[0].y.at(-1) > old",
                arg=trend_last, timeout=3_000,
            )  # fmt: skip
            assert page.evaluate("window.liveMarker") == "still here"  # no reload happened
            assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
            assert problems == []
        finally:
            browser.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("lang", "live"), [("uk", "Наживо"), ("en", "Live")])
def test_the_overview_loads_clean_with_its_live_parts(
    server: str, lang: str, live: str, size: str
) -> None:
    width, height = SIZES[size]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            sign_in(page, server)
            problems = watch(page)
            page.goto(f"{server}/?lang={lang}")
            page.wait_for_selector("[data-live-status].is-live", timeout=10_000)
            assert page.inner_text("[data-live-status] .label") == live
            page.wait_for_selector("#channels .main-svg", timeout=10_000)
            assert page.locator("[data-metric] svg.spark").count() >= 10
            assert page.locator("[data-testid=channels] tbody tr").count() >= 1
            for url in ("cards", "channels", "reps"):  # each live part names its fragment
                assert page.locator(f"[data-live='/fragments/overview/{url}?lang={lang}']").count()
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"the Overview is {wide}px wide at {width}px"
            assert problems == []
        finally:
            browser.close()
