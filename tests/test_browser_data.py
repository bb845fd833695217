"""The Data page in a real browser (Debian's Chromium): the upload flow end to end in Ukrainian,
and every Data page clean in uk and en at desktop and phone sizes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, expect

from salesmetrics.services.workspace import init_workspace
from served import SIZES, auth, browsing, needs_chromium, serving

ORDERS = (
    "Номер замовлення;Дата;Клієнт;Товар;Кількість;Ціна, грн;Менеджер;Статус;Примітка\n"
    "1001;01.03.2024 14:30;ivan@example.com;Чайник;2;1 234,50;Олена Коваль;Оплачено;подарунок\n"
    "1001;01.03.2024 14:30;ivan@example.com;Плед;1;99,90;Олена Коваль;Оплачено;\n"
    "1002;15.03.2024 09:00;petro@example.com;Чайник;1;1 234,50;Петро Іваненко;Оплачено;\n"
)
BAD = "Артикул;Назва;Ціна, грн\nA-1;Кава;12,50\nA-2;Чай;дешево\n"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("files")
    orders, bad = folder / "продажі.csv", folder / "товари.csv"
    orders.write_bytes(ORDERS.encode("cp1251"))
    bad.write_bytes(BAD.encode("cp1251"))
    return {"orders": orders, "bad": bad}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser-data")
    db = folder / "shop.duckdb"
    init_workspace(str(db), {"name": "Крамниця", "locale": "uk"})
    with serving(db, {"SALESMETRICS_UPLOADS_DIR": str(folder / "uploads")}) as base:
        yield base


def _upload(page: Page, kind: str, path: Path) -> None:
    """Choose the kind and the file on the Data page and send it to be checked."""
    page.select_option("select[name=kind]", kind)
    page.set_input_files("input[name=file]", str(path))
    page.click("[data-testid=upload-form] button[type=submit]")


def test_upload_preview_confirm_list_and_revert_in_ukrainian(
    server: str, files: dict[str, Path]
) -> None:
    with browsing(server) as (page, problems):
        page.goto(f"{server}/data?lang=uk")
        _upload(page, "products", files["bad"])
        page.wait_for_selector("[data-testid=errors]")
        assert "/data/preview/" in page.url and "lang=uk" in page.url
        row = page.locator("[data-testid=errors] tbody tr").first
        assert row.locator("td").nth(0).inner_text() == "3"
        assert row.locator("td").nth(1).inner_text() == "Ціна, грн"
        assert "not a number" in row.locator("td").nth(3).inner_text()
        assert "1 рядок має помилки" in page.inner_text("[data-testid=verdict]")
        link = page.get_attribute("[data-testid=errors-csv]", "href")
        got = page.request.get(f"{server}{link}")
        assert got.status == 200 and "дешево" in got.body().decode("utf-8-sig")
        page.click("[data-testid=cancel]")
        page.wait_for_selector("[data-testid=result]")
        assert "нічого не імпортовано" in page.inner_text("[data-testid=result]")

        _upload(page, "orders", files["orders"])
        page.wait_for_selector("[data-testid=mapping]")
        mapping = page.inner_text("[data-testid=mapping]")
        assert "ordered_at" in mapping and "дати DD.MM.YYYY" in mapping
        assert "пробіл" in mapping and "не використовується" in mapping  # Примітка
        assert page.inner_text("[data-testid=count-insert]") == "2"
        assert "cp1251" in page.inner_text("[data-testid=sniff]")
        page.click("[data-testid=confirm]")
        page.wait_for_selector("[data-testid=imports]")
        assert "нових — 2" in page.inner_text("[data-testid=result]")
        first = page.locator("[data-testid=imports] tbody tr").first
        assert first.locator("[data-testid=status]").inner_text() == "Імпортовано"
        assert "продажі.csv" in first.inner_text()

        first.locator("a.revert").click()
        page.wait_for_selector("[data-testid=changes]")
        assert "Замовлення" in page.inner_text("[data-testid=changes]")
        page.click("[data-testid=revert]")
        page.wait_for_selector("[data-testid=imports]")
        assert "Скасовано" in page.inner_text("[data-testid=result]")
        first = page.locator("[data-testid=imports] tbody tr").first
        assert first.locator("[data-testid=status]").inner_text() == "Скасовано"
        assert first.locator("a.revert").count() == 0
        totals = httpx.get(f"{server}/api/v1/workspace", headers=auth(server)).json()["tables"]
        assert totals["orders"] == 0 and totals["order_lines"] == 0
        assert problems == []


def test_a_long_post_says_what_it_does_and_goes_once(server: str, tmp_path: Path) -> None:
    """Confirming an import: once sent, the button says the import is running and a second
    submit is stopped. (The page keeps the navigation from happening, to look at the button
    in between: a held request would hold the page too.)"""
    orders = tmp_path / "ще-продажі.csv"
    orders.write_bytes(ORDERS.replace("1001;", "2001;").replace("1002;", "2002;").encode("cp1251"))
    with browsing(server) as (page, problems):
        page.goto(f"{server}/data?lang=uk")
        _upload(page, "orders", orders)
        page.wait_for_selector("[data-testid=confirm]")
        page.evaluate(
            "window.stopped = []; document.addEventListener('submit', e => "
            "{ window.stopped.push(e.defaultPrevented); e.preventDefault(); })"
        )
        page.click("[data-testid=confirm]")
        confirm = page.locator("[data-testid=confirm]")
        expect(confirm).to_be_disabled()
        expect(confirm).to_have_text("Імпортуємо…")
        assert page.get_attribute("form:has([data-testid=confirm])", "aria-busy") == "true"
        page.evaluate("document.querySelector('[data-testid=confirm]').form.requestSubmit()")
        # the first submit went ahead (the page's own listener then held it), the second not
        assert page.evaluate("window.stopped") == [False, True]
        assert problems == []


@pytest.fixture(scope="module")
def data_pages(server: str, files: dict[str, Path]) -> list[str]:
    """A preview waiting for a confirm (with errors) and an applied import to revert."""
    with files["bad"].open("rb") as fh:
        waiting = httpx.post(f"{server}/api/v1/imports", headers=auth(server),
                             data={"kind": "products"},
                             files={"file": ("товари.csv", fh)}).json()  # fmt: skip
    with files["orders"].open("rb") as fh:
        done = httpx.post(f"{server}/api/v1/imports", headers=auth(server),
                          data={"kind": "orders", "dry_run": "false"},
                          files={"file": ("продажі.csv", fh)}).json()  # fmt: skip
    return ["/data", f"/data/preview/{waiting['preview_id']}",
            f"/data/imports/{done['import_id']}/revert"]  # fmt: skip


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["uk", "en"])
def test_data_pages_load_clean(data_pages: list[str], server: str, lang: str, size: str) -> None:
    width, height = SIZES[size]
    with browsing(server, (width, height)) as (page, problems):
        for path in data_pages:
            page.goto(f"{server}{path}?lang={lang}")
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.lang") == lang
            if path == "/data":
                page.click("details.more summary")  # the options open within the width
                assert page.locator("a[href^='/workspace']").count() == 1
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{path} is {wide}px wide at {width}px"
        assert problems == []
