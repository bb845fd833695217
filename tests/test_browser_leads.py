"""The Leads page in a real browser (Debian's Chromium): the work queue, the model card with its
held-out scores, calibration chart, drivers and leakage screen, one lead's explanation; a rep
sees their own leads only and a note instead of the card; clean at desktop and phone sizes, in
Ukrainian and English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salesmetrics.demo.catalog import REPS
from salesmetrics.services.access.demo_accounts import PASSWORD
from served import SIZES, browsing, needs_chromium, serving_demo, sign_in

pytestmark = needs_chromium
QUEUE = "[data-testid=queue] tbody tr"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_demo(tmp_path_factory.mktemp("browser_leads")) as base:  # the demo trains
        yield base


def test_the_owner_sees_the_queue_and_the_model_card(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, problems):
        page.goto(f"{server}/leads?lang=en")
        page.wait_for_selector("#calibration-chart .main-svg")  # plotly drew the calibration
        assert page.locator(QUEUE).count() > 10
        first = page.locator(QUEUE).first
        assert "%" in first.locator("td:nth-child(3)").inner_text()
        assert any(c.isdigit() for c in first.locator("td:nth-child(4)").inner_text())
        assert first.locator("ul.reasons li").count() >= 1
        names = page.locator("[data-testid=evaluation] tbody td:first-child").all_inner_texts()
        assert names == ["Scores served", "Model alone", "Naive Bayes (baseline)", "Points table"]
        assert page.locator("#calibration-chart .scatterlayer .point").count() >= 3
        assert "source" in page.inner_text("[data-testid=drivers]")
        assert page.locator("[data-testid=excluded]").count() == 1
        assert page.locator("nav a[aria-current=page]").inner_text() == "Leads"
        first.locator("a").first.click()
        page.wait_for_selector("[data-testid=explanation]")
        assert page.url.split("?")[0].rsplit("/", 1)[1].isdigit()
        assert page.locator("[data-testid=explanation] li").count() >= 1
        assert page.locator("[data-testid=facts] tr").count() >= 5
        assert page.inner_text("[data-testid=next-action]").strip() != ""
        assert problems == []


def test_a_rep_sees_only_their_own_leads_and_no_model_card(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, problems):
        page.goto(f"{server}/leads?lang=en")
        rows = page.locator(QUEUE)
        owned = [(rows.nth(i).locator("a").first.get_attribute("href"),
                  rows.nth(i).locator("td:nth-child(2)").inner_text())
                 for i in range(rows.count())]  # fmt: skip
        page.goto("about:blank")  # leave the page before signing in again
        page.context.clear_cookies()
        sign_in(page, server, "rep@demo.example", PASSWORD)
        answer = page.goto(f"{server}/leads?lang=en")
        assert answer is not None and answer.status == 200
        me = page.inner_text("[data-testid=who]").split(" · ")[0].strip()
        assert me in [name for name, *_ in REPS]
        reps = page.locator(f"{QUEUE} td:nth-child(2)").all_inner_texts()
        assert reps and set(reps) == {me}
        assert "every rep's leads" in page.inner_text("[data-testid=card-note]")
        assert page.locator("#calibration-chart, [data-testid=evaluation]").count() == 0
        assert problems == []
        other = next(href for href, rep in owned if rep != me)  # another rep's lead: not found
        answer = page.goto(f"{server}{other}")
        assert answer is not None and answer.status == 404
        assert "in your view" in page.inner_text("[data-testid=error]")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["uk", "en"])
def test_leads_pages_load_clean(server: str, lang: str, size: str) -> None:
    width, height = SIZES[size]
    with browsing(server, (width, height)) as (page, problems):
        page.goto(f"{server}/leads?lang={lang}")
        page.wait_for_selector("#calibration-chart .main-svg")
        assert page.evaluate("document.documentElement.lang") == lang
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"/leads is {wide}px wide at {width}px"
        expected = "Картка моделі" if lang == "uk" else "Model card"
        assert expected in page.inner_text("main")
        page.locator(f"{QUEUE} a").first.click()
        page.wait_for_selector("[data-testid=explanation]")
        assert page.evaluate("document.documentElement.lang") == lang
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{page.url} is {wide}px wide at {width}px"
        assert problems == []


def test_a_bad_filter_says_why(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, _):
        answer = page.goto(f"{server}/leads?lang=en&rep=Nobody")
        assert answer is not None and answer.status == 404
        assert "no rep 'Nobody'" in page.inner_text("[data-testid=error]")
