"""Search and the Records page in a real browser (Debian's Chromium): the header's search box to
the hits, on to every match on the Records page, and an Excel download of them; the pages clean
in uk and en at desktop and phone sizes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from python_calamine import CalamineWorkbook

from served import SIZES, auth, browsing, needs_chromium, serving_demo

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_demo(tmp_path_factory.mktemp("browser_records")) as base:
        yield base


def _word(server: str) -> str:
    """Three letters of a customer's name, in capitals (the search ignores case)."""
    first = httpx.get(f"{server}/api/v1/customers?limit=1&sort=name", headers=auth(server))
    word = next(w for w in first.json()["data"][0]["name"].split() if len(w) >= 4 and w.isalpha())
    return word[1:4].upper()


def test_search_box_to_hits_to_records_to_an_excel_file(server: str) -> None:
    text = _word(server)
    expected = httpx.get(f"{server}/api/v1/customers", params={"q": text, "limit": 1},
                         headers=auth(server)).json()["count"]  # fmt: skip
    with browsing(server, (1280, 900), accept_downloads=True) as (page, problems):
        page.goto(f"{server}/?lang=uk")
        page.fill("[data-testid=search-box]", text)
        page.press("[data-testid=search-box]", "Enter")
        page.wait_for_selector("[data-testid=found-customers]")
        assert "/search?" in page.url and "lang=uk" in page.url
        assert str(expected) in page.inner_text("[data-testid=found-customers] h2")
        page.click("[data-testid=all-customers]")
        page.wait_for_selector("[data-testid=records]")
        rows = page.locator("[data-testid=records] tbody tr")
        assert rows.count() == min(expected, 50)
        assert text.lower() in rows.first.inner_text().lower()
        with page.expect_download() as waiting:
            page.click("[data-testid=download-xlsx]")
        book = waiting.value
        assert book.suggested_filename.startswith("customers-")
        assert book.suggested_filename.endswith(".xlsx")
        data = Path(book.path()).read_bytes()
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        table = sheet.to_python()
        assert len(table) - 1 == expected and "name" in table[0]
        assert problems == []


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["uk", "en"])
def test_records_and_search_pages_load_clean(server: str, lang: str, size: str) -> None:
    width, height = SIZES[size]
    text = _word(server)
    with browsing(server, (width, height)) as (page, problems):
        for path in ("/records?kind=deals", "/records?kind=products", f"/search?q={text}"):
            page.goto(f"{server}{path}&lang={lang}")
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.lang") == lang
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{path} is {wide}px wide at {width}px"
        assert problems == []
