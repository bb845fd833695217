"""The Customers page in a real browser (Debian's Chromium): the RFM heat map and segments, the
moves since last month, behaviour clusters, the lifetime value chart and the valuable customers
at risk, one customer's page; a rep sees their own customers only; clean in Ukrainian on a
phone."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from salesmetrics.services.access.demo_accounts import PASSWORD
from salesmetrics.services.segments.rfm import builtin_table
from served import SIZES, browsing, needs_chromium, serving_demo, sign_in

pytestmark = needs_chromium
RISK = "[data-testid=at-risk] tbody tr"
CHARTS = ("#rfm-heatmap .main-svg", "#clv-chart .main-svg")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_demo(tmp_path_factory.mktemp("browser_customers")) as base:
        yield base


def _count(text: str) -> int:
    found = re.match(r"[\d,\s\u00a0\u202f]+", text)
    assert found, text
    return int(re.sub(r"\D", "", found.group(0)))


def test_the_owner_sees_segments_clusters_and_value(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, problems):
        page.goto(f"{server}/customers?lang=en")
        for chart in CHARTS:
            page.wait_for_selector(chart)  # plotly drew the heat map and the CLV chart
        assert page.locator("#rfm-heatmap .hm, #rfm-heatmap .heatmaplayer image").count() >= 1
        assert page.locator("nav a[aria-current=page]").inner_text() == "Customers"
        rows = page.locator("[data-testid=segments] tbody tr")
        assert rows.count() == len(builtin_table().names)
        assert "Champions" in page.inner_text("[data-testid=segments]")
        assert _count(page.inner_text("[data-testid=customer-count]")) > 1000
        assert 1 <= page.locator("[data-testid=moves] tbody tr").count() <= 10
        assert page.locator("[data-testid=cluster-card]").count() >= 2
        assert page.locator("#clv-chart .bars .point").count() >= 5
        assert 1 <= page.locator(RISK).count() <= 20
        assert "%" in page.locator(RISK).first.locator("td:nth-child(4)").inner_text()
        page.locator(f"{RISK} a").first.click()
        page.wait_for_selector("[data-testid=standing]")
        assert page.locator("[data-testid=scores] dd").count() == 6
        assert page.inner_text("[data-testid=segment]").strip() != ""
        assert 1 <= page.locator("[data-testid=orders] tbody tr").count() <= 20
        assert "%" in page.inner_text("[data-testid=value]")
        assert problems == []


def test_a_rep_sees_only_their_own_customers(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, problems):
        page.goto(f"{server}/customers?lang=en")
        everyone = _count(page.inner_text("[data-testid=customer-count]"))
        risk = page.locator(RISK)
        owned = [(risk.nth(i).locator("a").get_attribute("href"),
                  risk.nth(i).locator("td:nth-child(2)").inner_text())
                 for i in range(risk.count())]  # fmt: skip
        page.goto("about:blank")  # leave the page before signing in again
        page.context.clear_cookies()
        sign_in(page, server, "rep@demo.example", PASSWORD)
        answer = page.goto(f"{server}/customers?lang=en")
        assert answer is not None and answer.status == 200
        page.wait_for_selector(CHARTS[0])
        me = page.inner_text("[data-testid=who]").split(" · ")[0].strip()
        mine = _count(page.inner_text("[data-testid=customer-count]"))
        assert 0 < mine < everyone
        reps = page.locator(f"{RISK} td:nth-child(2)").all_inner_texts()
        assert set(reps) <= {me}
        assert problems == []
        other = next(href for href, rep in owned if rep != me)  # another rep's customer
        answer = page.goto(f"{server}{other}")
        assert answer is not None and answer.status == 404
        assert "in your view" in page.inner_text("[data-testid=error]")


def test_the_ukrainian_page_on_a_phone(server: str) -> None:
    width, height = SIZES["phone"]
    with browsing(server, (width, height)) as (page, problems):
        page.goto(f"{server}/customers?lang=uk")
        for chart in CHARTS:
            page.wait_for_selector(chart)
        assert page.evaluate("document.documentElement.lang") == "uk"
        main = page.inner_text("main")
        for text in ("RFM-сегменти", "Кластери поведінки", "Чемпіони", "Цінні клієнти"):
            assert text in main
        assert page.locator("nav a[aria-current=page]").inner_text() == "Клієнти"
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"/customers is {wide}px wide at {width}px"
        assert problems == []


def test_a_bad_day_and_an_unknown_customer_say_why(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, _):
        answer = page.goto(f"{server}/customers?lang=en&as_of=someday")
        assert answer is not None and answer.status == 422
        assert "YYYY-MM-DD" in page.inner_text("[data-testid=error]")
        answer = page.goto(f"{server}/customers/999999999?lang=en")
        assert answer is not None and answer.status == 404
        assert "in your view" in page.inner_text("[data-testid=error]")


def test_a_segment_chosen_in_the_bar_follows_the_person_and_exports(server: str) -> None:
    with browsing(server, (1280, 900)) as (page, problems):
        page.goto(f"{server}/?lang=en")
        page.wait_for_selector("[data-testid=value-cac]")
        with page.expect_navigation():
            page.select_option("[data-testid=segment-pick]", "champions")  # applies at once
        assert "Champions" in page.inner_text("[data-testid=segment-note]")
        assert page.locator("[data-testid=value-cac]").count() == 0  # not split by customer
        assert page.locator("[data-testid=value-revenue]").count() == 1
        page.click("nav a[href^='/team']")
        page.wait_for_selector("[data-testid=segment-note]")
        assert "Champions" in page.inner_text("[data-testid=segment-note]")
        page.click("nav a[href^='/customers']")
        page.wait_for_selector("#rfm-heatmap .main-svg")
        assert page.locator("tr.focus[data-segment=champions]").count() == 1
        assert page.locator("[data-testid=playbook-champions][open] li").count() >= 2
        assert page.locator("details.playbook[open]").count() == 1
        size = _count(page.inner_text("tr[data-segment=champions] td:nth-child(2)"))
        with page.expect_download() as got:
            page.click("[data-testid=export-csv-champions]")
        text = Path(got.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == size and {r["segment"] for r in rows} == {"champions"}
        page.click("[data-testid=segment-clear]")
        page.wait_for_selector("[data-testid=segments]")
        assert page.locator("[data-testid=segment-note]").count() == 0
        assert page.locator("tr.focus").count() == 0
        assert problems == []
