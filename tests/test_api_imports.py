"""The import API on both engines: upload -> preview -> confirm, errors, revert, limits; and the
Data page's forms over the same service."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from salesmetrics.services.workspace import init_workspace
from salesmetrics.storage.open import open_store
from salesmetrics.storage.repositories.imports import checksum
from signed_in import browser_client, owner_client

ORDERS = (
    "order,date,customer,product,qty,price,rep\n"
    "A-1,2024-03-01 10:00,ivan@example.com,Чайник,2,100.50,Олена\n"
    "A-1,2024-03-01 10:00,ivan@example.com,Плед,1,50.00,Олена\n"
    "A-2,2024-03-15 12:00,petro@example.com,Чайник,1,100.50,Петро\n"
)
CP1251 = (
    "Звіт про продажі за березень\n\n"
    "Номер замовлення;Дата;Клієнт;Товар;Кількість;Ціна, грн;Менеджер;Статус\n"
    "1001;01.03.2024 14:30;ivan@example.com;Чайник;2;1 234,50;Олена Коваль;Оплачено\n"
    "1001;01.03.2024 14:30;ivan@example.com;Плед;1;99,90;Олена Коваль;Оплачено\n"
    "1002;15.03.2024 09:00;petro@example.com;Чайник;1;1 234,50;Петро Іваненко;Оплачено\n"
)
BAD_PRODUCTS = "Артикул;Назва;Ціна, грн\nA-1;Кава;12,50\nA-2;Чай;дешево\nA-3;;5\n"
CUSTOMERS = (
    "id,name,email,city\nC-1,Іван,ivan@example.com,Київ\nC-2,Петро,petro@example.com,Львів\n"
)
PROBLEM = "application/problem+json"


@pytest.fixture
def url(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SALESMETRICS_UPLOADS_DIR", str(tmp_path / "uploads"))
    init_workspace(store_url, {"locale": "uk"})
    return store_url


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    with owner_client(url) as c:
        yield c


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The API with an owner's token (its app also serves the browser clients of a test)."""
    return client


def _upload(client: TestClient, kind: str, name: str, body: bytes, **form: str) -> dict[str, Any]:
    r = client.post("/api/v1/imports", data={"kind": kind, **form}, files={"file": (name, body)})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def _state(url: str) -> str:
    store = open_store(url)
    try:
        return checksum(store)
    finally:
        store.close()


def _revenue_march_2024(client: TestClient) -> float:
    body = {"metrics": ["revenue"], "period": "2024-03-01..2024-03-31", "as_of": "2024-04-01"}
    r = client.post("/api/v1/metrics/query", json=body)
    assert r.status_code == 200, r.text
    return float(r.json()["rows"][0]["revenue"] or 0)


def test_upload_preview_confirm_then_rows_are_visible(client: TestClient, url: str) -> None:
    before = _state(url)
    p = _upload(client, "orders", "orders.csv", ORDERS.encode())
    assert p["status"] == "planned" and p["preview_id"].startswith("pv")
    assert p["counts"] == {"read": 3, "insert": 2, "update": 0, "unchanged": 0, "rejected": 0}
    assert p["mapping"]["columns"]["price"] == "unit_price_minor"
    assert p["sniff"]["delimiter"] == "," and p["sniff"]["date_formats"] == {"date": "YYYY-MM-DD"}
    assert p["created_links"] == {"customers": 2, "products": 2, "reps": 2}
    assert p["errors"] == [] and p["errors_csv"] is None
    assert _state(url) == before, "a preview writes nothing"
    assert client.get(f"/api/v1/imports/previews/{p['preview_id']}").json() == p
    done = client.post(f"/api/v1/imports/{p['preview_id']}/confirm")
    assert done.status_code == 200, done.text
    item = done.json()
    assert item["status"] == "applied" and (item["inserted"], item["updated"]) == (2, 0)
    assert item["changes"]["order_lines"] == {"insert": 3}
    assert _revenue_march_2024(client) == 2 * 10050 + 5000 + 10050
    orders = client.get("/api/v1/orders", params={"limit": 10}).json()
    assert sorted(o["external_id"] for o in orders["data"]) == ["A-1", "A-2"]
    listed = client.get("/api/v1/imports").json()
    assert listed["count"] == 1 and listed["data"][0]["id"] == item["id"]
    again = client.post(f"/api/v1/imports/{p['preview_id']}/confirm")
    assert again.status_code == 404 and again.headers["content-type"] == PROBLEM


def test_a_bad_file_lists_row_column_reason_and_confirm_writes_nothing(
    client: TestClient, url: str
) -> None:
    before = _state(url)
    p = _upload(client, "products", "товари.csv", BAD_PRODUCTS.encode("cp1251"))
    assert p["status"] == "rejected" and p["counts"]["rejected"] == 2
    assert p["counts"]["insert"] == 1, "what the good rows would do"
    assert [(e["row"], e["column"]) for e in p["errors"]] == [(3, "Ціна, грн"), (4, "Назва")]
    assert "not a number" in p["errors"][0]["reason"] and p["errors_total"] == 2
    refused = client.post(f"/api/v1/imports/{p['preview_id']}/confirm")
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert "nothing was written" in refused.json()["detail"]
    assert _state(url) == before
    errors = client.get(p["errors_csv"])
    assert errors.status_code == 200 and errors.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "value", "reason", "Артикул", "Назва", "Ціна, грн"]
    assert rows[1][:3] == ["3", "Ціна, грн", "дешево"] and rows[1][4:] == ["A-2", "Чай", "дешево"]
    good = client.post(f"/api/v1/imports/{p['preview_id']}/confirm", json={"skip_invalid": True})
    assert good.status_code == 200, good.text
    item = good.json()
    assert (item["inserted"], item["rows_rejected"]) == (1, 2)
    kept = client.get(item["errors_csv"])
    assert kept.status_code == 200 and kept.content.decode("utf-8-sig") == errors.content.decode(
        "utf-8-sig"
    )


def test_cp1251_semicolons_and_decimal_commas(client: TestClient) -> None:
    p = _upload(client, "orders", "продажі.csv", CP1251.encode("cp1251"))
    s = p["sniff"]
    assert (s["encoding"], s["delimiter"], s["header_row"]) == ("cp1251", ";", 3)
    assert s["numbers"]["Ціна, грн"] == {"decimal": ",", "thousands": " "}
    assert s["date_formats"] == {"Дата": "DD.MM.YYYY"} and s["currencies"] == {"UAH": 3}
    assert p["status"] == "planned" and p["errors"] == []
    assert client.post(f"/api/v1/imports/{p['preview_id']}/confirm").status_code == 200
    assert _revenue_march_2024(client) == 2 * 123450 + 9990 + 123450


def test_options_mirror_the_cli(client: TestClient) -> None:
    text = "order;date;customer;amount\nX-1;03/04/2024;ivan@example.com;10,5\n"
    p = _upload(client, "orders", "usd.csv", text.encode(), currency="usd",
                date_format="MM/DD/YYYY", decimal=",")  # fmt: skip
    assert p["sniff"]["currencies"] == {"USD": 1}
    assert p["sniff"]["date_formats"] == {"date": "MM/DD/YYYY"}
    bad = client.post("/api/v1/imports", data={"kind": "orders", "currency": "гривні"},
                      files={"file": ("a.csv", text.encode())})  # fmt: skip
    assert bad.status_code == 422 and "currency code" in bad.json()["detail"]


def test_dry_run_false_imports_at_once(client: TestClient) -> None:
    p = _upload(client, "customers", "c.csv", CUSTOMERS.encode(), dry_run="false")
    assert p["status"] == "applied" and p["import_id"] and p["counts"]["insert"] == 2
    shown = client.get(f"/api/v1/imports/{p['import_id']}").json()
    assert shown["inserted"] == 2 and shown["kind"] == "customers"


def test_revert_restores_the_previous_state_and_conflicts_are_409(
    client: TestClient, url: str
) -> None:
    empty = _state(url)
    first = _upload(client, "customers", "c.csv", CUSTOMERS.encode(), dry_run="false")
    after_first = _state(url)
    changed = CUSTOMERS.replace("Іван,", "Іван Петренко,") + "C-3,Олег,oleg@example.com,Одеса\n"
    second = _upload(client, "customers", "c2.csv", changed.encode())
    assert (second["counts"]["insert"], second["counts"]["update"]) == (1, 1)
    applied = client.post(f"/api/v1/imports/{second['preview_id']}/confirm").json()
    assert _state(url) != after_first
    clash = client.post(f"/api/v1/imports/{first['import_id']}/revert")
    assert clash.status_code == 409 and clash.headers["content-type"] == PROBLEM
    assert str(applied["id"]) in clash.json()["detail"]
    undone = client.post(f"/api/v1/imports/{applied['id']}/revert")
    assert undone.json() == {"reverted": [applied["id"]]}
    assert _state(url) == after_first
    assert client.get(f"/api/v1/imports/{applied['id']}").json()["reverted"] is True
    twice = client.post(f"/api/v1/imports/{applied['id']}/revert")
    assert twice.status_code == 409
    assert client.post(f"/api/v1/imports/{first['import_id']}/revert").status_code == 200
    assert _state(url) == empty


def test_cascade_reverts_the_later_imports_first(client: TestClient, url: str) -> None:
    empty = _state(url)
    first = _upload(client, "customers", "c.csv", CUSTOMERS.encode(), dry_run="false")
    changed = CUSTOMERS.replace("Львів", "Дніпро").encode()
    second = _upload(client, "customers", "c2.csv", changed, dry_run="false")
    r = client.post(f"/api/v1/imports/{first['import_id']}/revert", params={"cascade": "true"})
    assert r.json() == {"reverted": [second["import_id"], first["import_id"]]}
    assert _state(url) == empty


def test_size_limit_is_a_413_problem(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESMETRICS_UPLOAD_LIMIT_MB", "0.05")
    big = (CUSTOMERS * 2000).encode()
    r = client.post("/api/v1/imports", data={"kind": "customers"}, files={"file": ("b.csv", big)})
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    assert "0.05 MB" in r.json()["detail"]
    folder = tmp_path / "uploads"
    assert not folder.exists() or not [p for p in folder.iterdir() if p.name.startswith("pv")]
    browser = browser_client(client.app)
    token = _form_token(browser.get("/data").text)
    page = browser.post("/data/upload", data={"kind": "customers", "csrf": token},
                        files={"file": ("b.csv", big)})  # fmt: skip
    assert page.status_code == 413 and "0.05 MB" in page.text


def test_unknown_kind_and_unreadable_files_are_422_problems(client: TestClient) -> None:
    r = client.post("/api/v1/imports", data={"kind": "unicorns"},
                    files={"file": ("a.csv", b"a,b\n1,2\n")})  # fmt: skip
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert "unknown kind 'unicorns'" in r.json()["detail"]
    pdf = client.post("/api/v1/imports", data={"kind": "orders"},
                      files={"file": ("a.csv", b"%PDF-1.4 ...")})  # fmt: skip
    assert pdf.status_code == 422 and "PDF" in pdf.json()["detail"]
    missing = client.post("/api/v1/imports", data={"kind": "orders"},
                          files={"file": ("a.csv", b"name,city\nx,y\n")})  # fmt: skip
    assert missing.status_code == 422 and "required field" in missing.json()["detail"]


def test_list_pages_show_cancel_and_not_found(client: TestClient) -> None:
    ids = [_upload(client, "customers", f"c{i}.csv", CUSTOMERS.replace("Київ", f"Київ {i}")
                   .encode(), dry_run="false")["import_id"] for i in range(3)]  # fmt: skip
    page = client.get("/api/v1/imports", params={"limit": 1, "offset": 1}).json()
    assert page["count"] == 3 and [d["id"] for d in page["data"]] == [ids[1]]
    assert client.get("/api/v1/imports/999999").status_code == 404
    assert client.get("/api/v1/imports/999999/errors.csv").status_code == 404
    assert client.get(f"/api/v1/imports/{ids[0]}/errors.csv").status_code == 404
    p = _upload(client, "customers", "c.csv", CUSTOMERS.encode())
    assert client.post(f"/api/v1/imports/{p['preview_id']}/cancel").status_code == 204
    gone = client.post(f"/api/v1/imports/{p['preview_id']}/confirm")
    assert gone.status_code == 404 and gone.headers["content-type"] == PROBLEM
    assert client.get("/api/v1/imports/previews/pv../../etc").status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    for tail in ("", "/{preview_id}/confirm", "/{ref}/errors.csv", "/{import_id}/revert"):
        assert f"/api/v1/imports{tail}" in paths


def _form_token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the form carries no CSRF token"
    return found.group(1)


def test_the_data_page_forms_use_the_same_service(api: TestClient, url: str) -> None:
    client = browser_client(api.app)  # a browser signed in: the forms carry its session's token
    first = client.get("/data").text
    assert "Імпортувати файл" in first
    token = _form_token(first)
    before = _state(url)
    bad = {"file": ("b.csv", BAD_PRODUCTS.encode())}
    sent = client.post("/data/upload?lang=en", data={"kind": "products", "csrf": token},
                       files=bad, follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    page = client.get(sent.headers["location"])
    assert page.status_code == 200 and "дешево" in page.text and "errors.csv" in page.text
    preview_id = sent.headers["location"].split("/")[3].split("?")[0]
    refused = client.post(f"/data/preview/{preview_id}/confirm?lang=en", data={"csrf": token})
    assert refused.status_code == 422 and "nothing was written" in refused.text
    assert _state(url) == before
    done = client.post(f"/data/preview/{preview_id}/confirm?lang=en",
                       data={"skip_invalid": "true", "csrf": token},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and "done=" in done.headers["location"]
    listing = client.get(done.headers["location"]).text
    assert "Import #" in listing and "1 new" in listing
    import_id = done.headers["location"].split("done=")[1]
    assert client.get(f"/data/imports/{import_id}/revert?lang=en").status_code == 200
    back = client.post(f"/data/imports/{import_id}/revert?lang=en", data={"csrf": token},
                       follow_redirects=False)  # fmt: skip
    assert back.status_code == 303 and f"reverted={import_id}" in back.headers["location"]
    assert _state(url) == before


def test_unconfirmed_uploads_expire(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESMETRICS_UPLOAD_TTL_HOURS", "0.0001")  # 0.36 s
    old = _upload(client, "customers", "c.csv", CUSTOMERS.encode())
    time.sleep(0.5)
    _upload(client, "customers", "c.csv", CUSTOMERS.encode())  # an upload sweeps the old ones
    gone = client.post(f"/api/v1/imports/{old['preview_id']}/confirm")
    assert gone.status_code == 404 and "expired" in gone.json()["detail"]


def test_data_forms_without_this_browser_s_token_change_nothing(api: TestClient, url: str) -> None:
    client = browser_client(api.app)  # a signed-in browser: its session holds the token
    page = client.get("/data")
    token = _form_token(page.text)
    assert "salesmetrics_csrf" not in page.headers.get("set-cookie", "")  # the session's own
    done = _upload(api, "customers", "c.csv", CUSTOMERS.encode(), dry_run="false")
    preview = _upload(api, "customers", "d.csv", CUSTOMERS.replace("Київ", "Львів").encode())
    before = _state(url)
    forged = [
        ("/data/upload?lang=en", {"kind": "customers"}, {"file": ("e.csv", CUSTOMERS.encode())}),
        (f"/data/preview/{preview['preview_id']}/confirm?lang=en", {}, None),
        (f"/data/preview/{preview['preview_id']}/cancel?lang=en", {}, None),
        (f"/data/imports/{done['import_id']}/revert?lang=en", {}, None),
    ]
    for path, data, files in forged:
        for sent in (
            {},
            {"csrf": "x" * 43},
            {"csrf": token[:-1] + ("A" if token[-1] != "A" else "B")},
        ):
            r = client.post(path, data={**data, **sent}, files=files, follow_redirects=False)
            assert r.status_code == 403, (path, sent, r.status_code)
            assert "did not come from this site" in r.text
    assert _state(url) == before
    assert api.get(f"/api/v1/imports/previews/{preview['preview_id']}").status_code == 200
