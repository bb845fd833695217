"""The detractor loop end to end, on DuckDB and PostgreSQL: a detractor response arriving as an
event opens a follow-up for the customer's rep, alerts (and e-mails) their manager and them but
no one else, once; the rep closes it through the API with a note, the time is reported; the
Feedback page lists and closes follow-ups; the demo starts with a follow-up history; and the
feedback API answers in the caller's view."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import DEMO_AS_OF
from salesmetrics.domain.access import LOCAL, Role
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.alerts import service
from salesmetrics.services.alerts.channels import Channels
from salesmetrics.services.feedback import followups
from salesmetrics.services.workspace import Workspace, workspace
from salesmetrics.web.app import create_app
from signed_in import bearer, browser_client, form_token, owner_client, person, token_for
from sinks import sinks

COMMENT = "Кришка тріснула вже на другий день"


def _settle(c: TestClient, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while c.app.state.events.counts()["pending"] and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.05)


def _subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _people(ws: Workspace) -> dict[str, Any]:
    """A team's manager M, one of its reps R with a customer, and a rep X of another team."""
    m, r = ws.store.fetchall(
        "SELECT t.manager_rep_id, r.id FROM teams t JOIN reps r ON r.team_id = t.id "
        "WHERE t.manager_rep_id IS NOT NULL AND r.id <> t.manager_rep_id AND EXISTS "
        "(SELECT 1 FROM customers c WHERE c.owner_rep_id = r.id AND c.external_id IS NOT NULL) "
        "ORDER BY t.id, r.id LIMIT 1")[0]  # fmt: skip
    team = {
        int(x[0])
        for x in ws.store.fetchall(
            "SELECT id FROM reps WHERE team_id = (SELECT team_id FROM reps WHERE id = ?)", [r]
        )
    }
    x = min({int(y[0]) for y in ws.store.fetchall("SELECT id FROM reps")} - team - {int(m)})
    customer = ws.store.fetchall(
        "SELECT external_id, name FROM customers WHERE owner_rep_id = ? "
        "AND external_id IS NOT NULL ORDER BY id LIMIT 1",
        [r],
    )[0]
    return {"m": int(m), "r": int(r), "x": x, "customer": customer[0], "name": customer[1]}


def test_a_detractor_is_followed_up_by_their_rep_and_their_manager_is_alerted(
    demo_url: str,
) -> None:
    with owner_client(demo_url) as c:
        ws: Workspace = c.app.state.workspace  # type: ignore[attr-defined]
        p = _people(ws)
        manager, rep, other = (person(ws, Role.MANAGER, p["m"]), person(ws, Role.REP, p["r"]),
                               person(ws, Role.REP, p["x"]))  # fmt: skip
        at = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
        sent = c.post("/api/v1/events", json={
            "id": "fb-detractor-1", "type": "feedback.received", "occurred_at": at,
            "data": {"kind": "nps", "score": 2, "customer_id": p["customer"],
                     "comment": COMMENT}})  # fmt: skip
        assert sent.status_code in (200, 202), sent.text
        _settle(c)
        with sinks() as (sink, smtp_port, _):
            ch = Channels(smtp_host="127.0.0.1", smtp_port=smtp_port)
            first = service.check(ws, rules=("detractor",), c=ch)
            assert first.new
            service.send_due(ws, datetime.now(UTC) + timedelta(minutes=1), ch)
            mails = [m for m in sink.mails if p["name"] in _subject(m.message)]
            to = {r for m in mails for r in m.recipients}
            assert manager in to and rep in to and other not in to
            assert service.check(ws, rules=("detractor",), c=ch).new == []  # once
        seen = service.visible(ws, as_person(ws, manager))
        alert = next(a for a in seen if a.rule == "detractor" and p["name"] in a.title)
        assert alert.rep_id == p["r"]
        assert not [a for a in service.visible(ws, as_person(ws, other))
                    if a.rule == "detractor" and a.id == alert.id]  # fmt: skip
        mine = [f for f in followups.queue(ws, as_person(ws, manager)) if f.comment == COMMENT]
        assert len(mine) == 1 and mine[0].rep_id == p["r"]
        assert not [f for f in followups.queue(ws, as_person(ws, other)) if f.comment == COMMENT]
        fid = mine[0].id
        path = f"/api/v1/feedback/followups/{fid}/done"
        outsider = c.post(path, json={"note": "x"}, headers=bearer(token_for(ws, Role.REP, p["x"])))
        assert outsider.status_code == 404
        viewer = c.post(path, json={}, headers=bearer(token_for(ws, Role.VIEWER)))
        assert viewer.status_code == 403
        theirs = bearer(token_for(ws, Role.REP, p["r"]))
        done = c.post(path, json={"note": "Передзвонили, надіслали нову"}, headers=theirs)
        assert done.status_code == 200, done.text
        body = done.json()
        assert body["done_at"] and body["note"].startswith("Передзвонили") and not body["overdue"]
        assert c.post(path, json={}, headers=theirs).status_code == 409
        timing = c.get("/api/v1/feedback/followups/timing", params={"period": "last_30_days"},
                       headers=bearer(token_for(ws, Role.MANAGER, p["m"]))).json()  # fmt: skip
        row = next(x for x in timing["reps"] if x["rep_id"] == p["r"])
        assert row["done"] >= 1 and row["on_time"] >= 1
        assert 2.5 <= row["median_hours"] <= 200
        assert {x["rep_id"] for x in timing["reps"]} <= {p["m"], *_team(ws, p["m"]), None}
        log = c.get("/api/v1/audit", params={"action": "followup_done"}).json()
        assert any(e["object_id"] == str(fid) for e in log["data"])


def _team(ws: Workspace, manager: int) -> set[int]:
    return {int(r[0]) for r in ws.store.fetchall(
        "SELECT r.id FROM reps r JOIN teams t ON t.id = r.team_id WHERE t.manager_rep_id = ?",
        [manager])}  # fmt: skip


def test_the_demo_starts_with_a_follow_up_history(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        cut = datetime.combine(DEMO_AS_OF, datetime.min.time(), UTC) + timedelta(days=1)
        done = [f for f in followups.queue(ws, LOCAL, "done", limit=1000) if f.opened_at < cut]
        still = [f for f in followups.queue(ws, LOCAL, "open", limit=1000) if f.opened_at < cut]
        assert done and still
        assert all(f.done_at is not None and f.done_at >= f.received_at for f in done)
        assert all(f.opened_at == f.received_at for f in done)  # as if the loop had run
        rows = followups.timing(ws, LOCAL, f"{DEMO_AS_OF - timedelta(days=20)}..{DEMO_AS_OF}")
        assert all(f.opened_at.date() >= DEMO_AS_OF - timedelta(days=15) for f in done)
        assert sum(r.done for r in rows) == len([f for f in done
                                                 if f.opened_at.date() >= DEMO_AS_OF
                                                 - timedelta(days=20)])  # fmt: skip
        assert any(r.median_hours for r in rows)


def test_the_feedback_page_lists_and_closes_follow_ups(demo_url: str) -> None:
    c = browser_client(create_app(demo_url))
    page = c.get("/feedback", params={"lang": "en", "period": "last_30_days"})
    assert page.status_code == 200
    for part in ("feedback-cards", "nps-trend", "themes", "by-rep", "by-product", "comments"):
        assert f'data-testid="{part}"' in page.text, part
    found = re.search(r'data-followup="(\d+)"', page.text)
    assert found, "no open follow-up on the page"
    fid = found.group(1)
    token = form_token(c, "/feedback?lang=en")
    back = c.post(
        f"/feedback/followups/{fid}/done?lang=en",
        data={"note": "Called back", "csrf": token},
        follow_redirects=False,
    )
    assert back.status_code == 303 and f"done={fid}" in back.headers["location"]
    after = c.get(back.headers["location"])
    assert 'data-testid="followup-done"' in after.text
    assert f'data-followup="{fid}"' not in after.text
    forged = c.post(f"/feedback/followups/{fid}/done", data={"note": "x", "csrf": "nope"})
    assert forged.status_code == 403
    themed = c.get("/feedback", params={"lang": "en", "theme": "quality", "tone": "negative",
                                        "period": "2026-03-01..2026-11-25"})  # fmt: skip
    items = re.findall(r'<li class="(\w+)"><p class="quote">', themed.text)
    assert items and set(items) == {"negative"}


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_feedback_api_finds_the_planted_problem(demo_url: str, lang: str) -> None:
    with owner_client(demo_url) as c:
        q = {"period": "2026-03-01..2026-11-25", "as_of": str(DEMO_AS_OF), "lang": lang}
        themes = c.get("/api/v1/feedback/themes", params=q)
        assert themes.status_code == 200
        assert themes.json()["themes"][0]["theme"] == "quality"
        summary = c.get("/api/v1/feedback/summary", params=q).json()
        assert summary["headline"][0]["metric"] == "nps"
        assert summary["by_product"][0]["nps"] < summary["headline"][0]["value"]
        read = c.post("/api/v1/feedback/read", json={"text": COMMENT}).json()
        assert read["themes"] == ["quality"] and read["tone"] == "negative"
        bad = c.get("/api/v1/feedback/followups", params={"state": "later"})
        assert bad.status_code == 422
