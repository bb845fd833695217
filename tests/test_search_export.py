"""Search and exports: the records a person sees, found by any part of their names (any case,
Cyrillic included) and written to CSV or XLSX files that open safely in a spreadsheet and import
back unchanged. On DuckDB and PostgreSQL alike."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pyarrow as pa
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from salesmetrics.domain.access import LOCAL, Role
from salesmetrics.domain.cells import inert
from salesmetrics.services import search
from salesmetrics.services.access.audit import entries
from salesmetrics.services.imports.model import ImportRequest
from salesmetrics.services.imports.run import run_import
from salesmetrics.services.workspace import Workspace, init_workspace, workspace
from salesmetrics.storage.repositories import bulk
from salesmetrics.storage.repositories.records import SPECS
from salesmetrics.web.app import create_app
from signed_in import client, owner_client
from test_web_safety import FORMULAS, HARMLESS

KINDS = search.ORDER


@pytest.fixture(scope="module")
def app(demo_url: str) -> Iterator[FastAPI]:
    made = create_app(demo_url)
    with TestClient(made):
        yield made


def every(c: TestClient, path: str) -> list[dict[str, Any]]:
    """Every record of a list, page after page."""
    out: list[dict[str, Any]] = []
    url: str | None = path + ("&" if "?" in path else "?") + "limit=500"
    while url:
        body = c.get(url).json()
        out += body["data"]
        url = body["next"]
    return out


def holds(kind: str, row: dict[str, Any], text: str) -> bool:
    """The oracle: Python's own case folding over the fields the kind is searched in."""
    return any(text.lower() in str(row.get(col) or "").lower() for col in SPECS[kind].searchable)


def _probes(ws: Workspace) -> list[str]:
    name = str(ws.store.fetchall("SELECT name FROM customers ORDER BY id LIMIT 1")[0][0])
    word = next(w for w in name.split() if len(w) >= 4 and w.isalpha())
    return [word[1:4].upper(), word[:3].lower(), "0012", "@UKR.NET"]


def test_search_finds_exactly_the_records_that_hold_the_text(app: FastAPI) -> None:
    owner = client(app)
    everything = {kind: every(owner, f"/api/v1/{kind}") for kind in KINDS}
    for text in _probes(app.state.workspace):
        body = owner.get("/api/v1/search", params={"q": text, "limit": 50}).json()
        totals = {f["kind"]: f["total"] for f in body["found"]}
        for kind in KINDS:
            expected = {r["id"] for r in everything[kind] if holds(kind, r, text)}
            listed = {r["id"] for r in every(owner, f"/api/v1/{kind}?q={text}")}
            assert listed == expected, (text, kind)
            assert totals.get(kind, 0) == len(expected), (text, kind)
        assert body["total"] == sum(totals.values()) > 0, text
        hit = body["found"][0]["hits"][0]
        assert owner.get(hit["url"]).status_code == 200


def test_a_rep_finds_and_exports_only_their_own_records(app: FastAPI) -> None:
    ws: Workspace = app.state.workspace
    rep_id, name = ws.store.fetchall(
        "SELECT r.id, r.name FROM reps r JOIN deals d ON d.owner_rep_id = r.id "
        "GROUP BY r.id, r.name ORDER BY count(*) DESC LIMIT 1"
    )[0]
    owner, rep = client(app), client(app, Role.REP, rep_id=rep_id)
    for text in _probes(ws):
        mine = rep.get("/api/v1/search", params={"q": text}).json()
        for found in mine["found"]:
            kind = found["kind"]
            if kind == "reps":  # a rep sees one rep: themselves
                assert [h["id"] for h in found["hits"]] == [rep_id]
                continue
            mine_only = {} if kind == "products" else {"rep_id": rep_id}  # products: nobody's
            theirs = owner.get(f"/api/v1/{kind}", params={"q": text, "limit": 1, **mine_only})
            assert found["total"] == theirs.json()["count"], (text, kind)
    for kind in ("deals", "customers", "orders", "leads"):
        own = owner.get(f"/api/v1/{kind}", params={"rep_id": rep_id, "limit": 1}).json()["count"]
        assert own > 0
        reply = rep.get(f"/api/v1/exports/{kind}")
        rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
        assert reply.headers["x-total-count"] == str(len(rows)) == str(own)
        assert {r["rep"] for r in rows} == {name}
        sheet = _sheet(rep.get(f"/api/v1/exports/{kind}?format=xlsx").content)
        assert len(sheet) - 1 == own and {r[sheet[0].index("rep")] for r in sheet[1:]} == {name}
    assert rep.get("/api/v1/exports/reps").content.decode("utf-8-sig").count("\n") == 2


def _sheet(data: bytes) -> list[list[Any]]:
    return list(CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python())


def test_an_export_is_the_list_with_every_page_and_money_in_major_units(app: FastAPI) -> None:
    owner = client(app)
    listed = every(owner, "/api/v1/orders?status=paid&sort=-total")
    reply = owner.get("/api/v1/exports/orders?status=paid&sort=-total")
    assert reply.headers["content-type"].startswith("text/csv")
    assert 'filename="orders-' in reply.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert len(rows) == len(listed) > 500  # more than one page of the list
    assert [r["id"] for r in rows] == [str(r["id"]) for r in listed]
    assert [r["total"] for r in rows] == [r["total"]["amount"] for r in listed]
    assert [r["customer"] for r in rows] == [r["customer"] or "" for r in listed]
    book = owner.get("/api/v1/exports/orders?status=paid&sort=-total&format=xlsx")
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = _sheet(book.content)
    total = sheet[0].index("total")
    assert [round(r[total], 2) for r in sheet[1:]] == [float(r["total"]["amount"]) for r in listed]
    logged = entries(app.state.workspace, LOCAL, limit=1, action="export")
    assert logged[0]["details"]["format"] == "xlsx" and logged[0]["details"]["rows"] == len(rows)
    assert logged[0]["details"]["filters"] == {"status": ["paid"]}


def test_wrong_export_and_search_requests_are_problems(app: FastAPI) -> None:
    owner = client(app)
    for path in ("/api/v1/exports/deals?format=pdf", "/api/v1/exports/deals?limit=5",
                 "/api/v1/search", "/api/v1/search?q=%20%20", "/api/v1/search?q=a&kind=notes",
                 "/api/v1/deals?q=" + "x" * 201):  # fmt: skip
        reply = owner.get(path)
        assert reply.status_code == 422, path
        assert reply.headers["content-type"] == "application/problem+json"


# ------------------------------------------------------------------------ formula injection

PAYLOADS = FORMULAS + [h for h in HARMLESS if h]


def _customers(url: str) -> None:
    init_workspace(url, {})
    with workspace(url) as ws:
        table = pa.table({
            "source": ["t"] * len(PAYLOADS), "external_id": [f"C{i}" for i in range(len(PAYLOADS))],
            "name": PAYLOADS, "company": list(reversed(PAYLOADS)),
        })  # fmt: skip
        ws.store.write(lambda tx: bulk.load(tx, "customers", table))


def _reimported(path: Path, folder: Path) -> dict[str, tuple[str, str]]:
    url = str(folder / f"back-{path.suffix[1:]}.duckdb")
    init_workspace(url, {})
    with workspace(url) as ws:
        report = run_import(ws, ImportRequest(kind="customers", path=path))
        assert report.rows_read == len(PAYLOADS)
        rows = ws.store.fetchall("SELECT external_id, name, company FROM customers")
    return {str(r[0]): (str(r[1]), str(r[2])) for r in rows}


def test_formulas_export_as_text_and_import_back_unchanged(store_url: str, tmp_path: Path) -> None:
    _customers(store_url)
    with owner_client(store_url) as owner:
        plain = owner.get("/api/v1/exports/customers").content
        book = owner.get("/api/v1/exports/customers?format=xlsx").content
    rows = list(csv.DictReader(io.StringIO(plain.decode("utf-8-sig"))))
    for row, value in zip(rows, PAYLOADS, strict=True):  # the CSV holds the inert form
        assert row["name"] == inert(value)
        if value in FORMULAS:
            assert not row["name"].startswith(("=", "+", "-", "@", "\t", "\r"))
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere
    assert 'quotePrefix="1"' in styles  # would-be formulas stay text when a cell is edited
    xfs = re.findall(r"<xf [^>]*?/?>", styles.split("<cellXfs")[1])
    as_text = {str(i) for i, xf in enumerate(xfs) if 'quotePrefix="1"' in xf}
    header = _sheet(book)[0]
    column = chr(ord("A") + header.index("name"))
    styles_of = dict(re.findall(rf'<c r="{column}(\d+)" s="(\d+)"', sheet))
    for n, value in enumerate(PAYLOADS, start=2):
        assert (styles_of.get(str(n)) in as_text) == (value in FORMULAS), value
    names = [r[header.index("name")] for r in _sheet(book)[1:]]
    assert [n.removeprefix("'") if n[:2] in ("'\t", "'\r") else n for n in names] == PAYLOADS
    for path, data in ((tmp_path / "c.csv", plain), (tmp_path / "c.xlsx", book)):
        path.write_bytes(data)
        back = _reimported(path, tmp_path)
        expected = {f"C{i}": (v, w) for i, (v, w) in
                    enumerate(zip(PAYLOADS, reversed(PAYLOADS), strict=True))}  # fmt: skip
        assert back == expected, path.suffix


# ------------------------------------------------------------------------ pages and CLI


def test_the_records_and_search_pages_show_what_the_person_sees(app: FastAPI) -> None:
    ws: Workspace = app.state.workspace
    rep_id = int(ws.store.fetchall("SELECT owner_rep_id FROM customers WHERE owner_rep_id "
                                   "IS NOT NULL ORDER BY id LIMIT 1")[0][0])  # fmt: skip
    owner, rep = client(app), client(app, Role.REP, rep_id=rep_id)
    text = _probes(ws)[1]
    page = owner.get(f"/records?kind=customers&q={text}&lang=en")
    assert page.status_code == 200 and 'data-testid="records"' in page.text
    count = owner.get("/api/v1/customers", params={"q": text, "limit": 1}).json()["count"]
    assert f"{count} records hold" in page.text or f"{count} record holds" in page.text
    assert f"/api/v1/exports/customers?format=xlsx&amp;q={quote_plus(text)}" in page.text
    found = owner.get(f"/search?q={text}&lang=uk").text
    assert 'data-testid="found-customers"' in found and "Показати" in found
    mine = rep.get(f"/api/v1/customers?rep_id={rep_id}&limit=500").json()["data"]
    shown = rep.get("/records?kind=customers&lang=en").text
    assert len(re.findall(r'<tr data-id="', shown)) == min(len(mine), 50)
    assert rep.get("/search?q=zzzz-nothing&lang=en").text.count('data-testid="nothing"') == 1
    assert "Records" in owner.get("/?lang=en").text and 'data-testid="search-box"' in page.text
