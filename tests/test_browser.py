"""Pages in a real browser (Debian's Chromium through Playwright): no console errors, no failed
requests, nothing wider than a phone, the chart drawn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import sync_playwright

from salesmetrics.domain.enums import DemoSize
from salesmetrics.services.demo import create_demo_workspace

CHROMIUM = "/usr/bin/chromium"
PAGES = ("/", "/explore", "/explore?metric=win_rate&by=channel&grain=quarter&compare=previous",
         "/team", "/team?period=last_month&sort=win_rate", "/team/rep/1", "/data",
         "/workspace")  # fmt: skip
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("SALESMETRICS_TEST_SKIP_BROWSER") == "1",
    reason="no chromium and SALESMETRICS_TEST_SKIP_BROWSER=1",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _failed(url: str, failure: str | None, problems: list[str]) -> None:
    """A failed request is a problem, except the live stream the browser cuts on leaving."""
    if not ("/api/v1/live" in url and failure == "net::ERR_ABORTED"):
        problems.append(f"failed: {url} ({failure})")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "demo.duckdb"
    create_demo_workspace(str(db), DemoSize.SMALL, seed=5, as_of=date.today())
    port = _free_port()
    log = (folder / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "salesmetrics", "serve", "--db", str(db), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, cwd=folder,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["uk", "en"])
def test_every_page_loads_clean(server: str, lang: str, size: str) -> None:
    assert Path(CHROMIUM).exists(), "install the chromium Debian package (make test does)"
    width, height = SIZES[size]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("requestfailed", lambda r: _failed(r.url, r.failure, problems))
            page.on("response", lambda r: problems.append(f"{r.status}: {r.url}")
                    if r.status >= 400 else None)  # fmt: skip
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
            page.click("button[type=submit]")
            page.wait_for_selector("#explore-chart .main-svg", timeout=10_000)
            assert "metric=orders" in page.url and page.locator("[data-testid=rows] tr").count() > 5
            assert problems == []
        finally:
            browser.close()
