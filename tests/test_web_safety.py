"""Names people type (channels, reps, customers) never become markup on a page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from salesmetrics.services.workspace import init_workspace
from salesmetrics.web.app import create_app
from salesmetrics.web.render import script_json

EVIL = "</script><img src=x onerror=alert(1)>"


def test_script_json_escapes_markup_and_still_parses() -> None:
    text = script_json({"name": EVIL + " & Ї"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": EVIL + " & Ї"}


def test_a_channel_named_like_markup_stays_data_on_every_chart_page(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    init_workspace(str(db), {"name": "Крамниця"})
    order = {
        "id": "evt-xss", "type": "order.placed", "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"external_id": "X-1", "currency": "UAH", "status": "paid", "channel_id": EVIL,
                 "lines": [{"quantity": 1, "unit_price_minor": 10_000}]},
    }  # fmt: skip
    with TestClient(create_app(str(db))) as client:
        assert client.post("/api/v1/events", json=order).status_code == 202
        for _ in range(100):  # applied by the applier thread
            if client.get("/api/v1/events/evt-xss").json()["status"] == "applied":
                break
        pages = ["/", "/explore?metric=revenue&by=channel&period=this_month", "/team"]
        for page in pages:
            html = client.get(page).text
            assert "<img src=x" not in html, page
        assert "\\u003c/script\\u003e" in client.get(pages[1]).text
