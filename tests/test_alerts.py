"""Alerts end to end on hand-built data, on DuckDB and PostgreSQL: each rule finds what it should,
a condition alerts once, deliveries wait out quiet hours, e-mail reaches an SMTP sink only for
the people who see the alert, the webhook arrives signed, Telegram's Bot API gets the message,
and the app shows each person their own."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from salesmetrics.domain.access import LOCAL, Role
from salesmetrics.domain.enums import TargetScope
from salesmetrics.services.alerts import service
from salesmetrics.services.alerts.channels import Channels, after_quiet
from salesmetrics.services.alerts.rules import Settings, robust_z
from salesmetrics.services.events.signatures import verify
from salesmetrics.services.targets import plan
from salesmetrics.services.workspace import Workspace, workspace
from salesmetrics.storage.repositories import alerts as repo
from salesmetrics.storage.repositories import bulk
from salesmetrics.web.app import create_app
from signed_in import client, person
from sinks import sinks
from test_targets import build

DAY = date(2026, 6, 16)  # 16 of June's 30 working days (the workspace works every day)
NOW = datetime(2026, 6, 16, 12, tzinfo=UTC)
KEY = base64.b64encode(b"k" * 24).decode()
ONLY_PACE = Settings(kpis=())


@pytest.fixture
def ws(store_url: str) -> Iterator[Workspace]:
    build(store_url)
    with workspace(store_url) as w:
        w.store.write(lambda tx: bulk.load(tx, "activities", pa.table({
            "external_id": ["A1"], "kind": ["call"], "rep_id": [1],
            "occurred_at": [datetime(2026, 6, 1, 10, tzinfo=UTC)]})))  # fmt: skip
        plan.set_target(
            w, LOCAL, "revenue", "2026-06", "6000", owner=plan.find_owner(w, rep="Petro")
        )
        plan.set_target(
            w, LOCAL, "revenue", "2026-06", "1000", owner=plan.find_owner(w, rep="Olena")
        )
        yield w


def test_rules_find_pace_and_inactivity_once(ws: Workspace) -> None:
    done = service.check(ws, DAY, NOW, settings=ONLY_PACE, c=Channels())
    kept = {(a.rule, a.rep_id) for a in repo.alerts(ws.store)}
    # Petro: 300 of 6,000 after 16 of 30 days, projected 300 + 300/16 x 14 = 562.5 (9 %);
    # Olena is projected above target; Olena has logged nothing since 1 June (15 days)
    assert kept == {("target_pace", 2), ("rep_inactive", 1)}
    assert done.found == 2 and len(done.new) == 2
    pace = next(a for a in repo.alerts(ws.store) if a.rule == "target_pace")
    assert pace.data["projected_attainment"] == pytest.approx(562.5 / 6000)
    again = service.check(ws, DAY, NOW + timedelta(hours=1), settings=ONLY_PACE, c=Channels())
    assert again.found == 2 and again.new == [] and len(repo.alerts(ws.store)) == 2
    early = service.check(ws, date(2026, 6, 14), NOW, rules=("target_pace",), settings=ONLY_PACE,
                          c=Channels())  # fmt: skip
    assert early.found == 0  # before half of the period, no pace alert


def _weekly(ws: Workspace, values: list[int], first: date) -> None:
    """One paid order of each value (UAH), on the Wednesday of consecutive weeks from `first`."""
    n, top = len(values), int(ws.store.fetchall("SELECT max(id) FROM orders")[0][0])
    ids = list(range(top + 1, top + n + 1))
    days = [first + timedelta(weeks=i, days=2) for i in range(n)]
    minor = [v * 100 for v in values]
    orders = pa.table({
        "id": ids, "external_id": [f"W{i}" for i in ids], "customer_id": [1] * n,
        "rep_id": [1] * n, "ordered_at": [datetime(d.year, d.month, d.day, 12, tzinfo=UTC)
                                          for d in days],
        "status": ["paid"] * n, "currency": ["UAH"] * n, "total_minor": minor,
    })  # fmt: skip
    lines = pa.table({
        "id": ids, "order_id": ids, "line_no": [1] * n, "product_id": [1] * n,
        "quantity": [1] * n, "unit_price_minor": minor, "line_total_minor": minor,
        "currency": ["UAH"] * n,
    })  # fmt: skip

    def work(tx: Any) -> None:
        bulk.load(tx, "orders", orders)
        bulk.load(tx, "order_lines", lines)

    ws.store.write(work)
    ws.metrics.refresh_rollups()


def test_a_kpi_outside_its_usual_range(ws: Workspace) -> None:
    assert robust_z(900, [100, 110, 90, 105, 95, 100, 108, 92]) == pytest.approx(
        0.6745 * (900 - 100) / 6.5)  # median 100, MAD 6.5  # fmt: skip
    assert robust_z(5, [5, 5, 5]) is None
    # 8 ordinary weeks from 6 April, then the week of 1 June: 1,000 UAH (the June sales)
    _weekly(ws, [100, 110, 90, 105, 95, 100, 108, 92], date(2026, 4, 6))
    revenue = Settings(kpis=("revenue",))
    found = service.check(ws, date(2026, 6, 8), NOW, rules=("kpi_unusual",), settings=revenue,
                          c=Channels())  # fmt: skip
    [a] = [a for a in repo.alerts(ws.store) if a.rule == "kpi_unusual"]
    assert found.found == 1 and a.key == "revenue:2026-06-01"
    assert a.data["value"] == 100_000 and a.data["z"] == pytest.approx(0.6745 * 90_000 / 650)
    calm = service.check(ws, date(2026, 6, 1), NOW, rules=("kpi_unusual",), settings=revenue,
                         c=Channels())  # fmt: skip
    assert calm.found == 0  # the week of 25 May (92 UAH) is within its usual range


def test_deliveries_reach_smtp_webhook_and_telegram_for_those_who_see(ws: Workspace) -> None:
    petro = person(ws, Role.REP, 2)
    olena = person(ws, Role.REP, 1)
    viewer = person(ws, Role.VIEWER)
    boss = person(ws, Role.OWNER)
    with sinks() as (sink, smtp_port, http_port):
        local = f"http://127.0.0.1:{http_port}"
        c = Channels(smtp_host="127.0.0.1", smtp_port=smtp_port, webhook_url=f"{local}/hook",
                     webhook_key=base64.b64decode(KEY), telegram_token="123:abc",
                     telegram_chat="-100", telegram_api=local)  # fmt: skip
        service.check(ws, DAY, NOW, rules=("target_pace",), settings=ONLY_PACE, c=c)
        assert service.send_due(ws, NOW, c) == len(repo.deliveries(ws.store))
        to = sorted(r for m in sink.mails for r in m.recipients)
        assert petro in to and boss in to and olena not in to and viewer not in to
        mail = sink.mails[0].message
        assert "projected at 9%" in str(mail["Subject"]) and mail["Subject"].startswith(
            "[salesmetrics]")  # fmt: skip
        hook = next(p for p in sink.posts if p[0] == "/hook")
        assert json.loads(hook[2])["rule"] == "target_pace"
        tele = next(p for p in sink.posts if p[0] == "/bot123:abc/sendMessage")
        assert json.loads(tele[2])["chat_id"] == "-100"
        assert "Petro" in json.loads(tele[2])["text"]
        assert service.send_due(ws, NOW + timedelta(minutes=5), c) == 0  # each goes once
        assert {d.status for d in repo.deliveries(ws.store)} == {"sent"}


def test_a_signed_webhook_verifies(ws: Workspace) -> None:
    with sinks() as (sink, _, http_port):
        c = Channels(webhook_url=f"http://127.0.0.1:{http_port}/hook",
                     webhook_key=base64.b64decode(KEY))  # fmt: skip
        service.check(ws, DAY, NOW, rules=("target_pace",), settings=ONLY_PACE, c=c)
        service.send_due(ws, datetime.now(UTC), c)
        [(_, headers, body)] = sink.posts
    assert verify([base64.b64decode(KEY)], headers, body).startswith("alert_")


def test_quiet_hours_hold_deliveries_until_they_end(ws: Workspace) -> None:
    kyiv_night = datetime(2026, 6, 16, 21, 30, tzinfo=UTC)  # 00:30 in Kyiv (UTC+3)
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Kyiv")
    quiet = (time(22), time(8))
    assert after_quiet(kyiv_night, quiet, tz) == datetime(2026, 6, 17, 8, tzinfo=tz)
    assert after_quiet(datetime(2026, 6, 16, 9, tzinfo=UTC), quiet, tz).hour == 9
    with sinks() as (sink, _, http_port):
        c = Channels(webhook_url=f"http://127.0.0.1:{http_port}/hook", quiet=quiet)
        ws_tz = ZoneInfo(ws.settings.time_zone)  # UTC in this workspace
        night = datetime(2026, 6, 16, 23, tzinfo=ws_tz)
        service.check(ws, DAY, night, rules=("target_pace",), settings=ONLY_PACE, c=c)
        assert service.send_due(ws, night + timedelta(hours=1), c) == 0 and sink.posts == []
        assert service.send_due(ws, datetime(2026, 6, 17, 8, 1, tzinfo=ws_tz), c) == 1
        assert len(sink.posts) == 1


def test_a_channel_down_is_retried_then_given_up(ws: Workspace) -> None:
    c = Channels(webhook_url="http://127.0.0.1:9/nowhere")  # the discard port: refused
    service.check(ws, DAY, NOW, rules=("target_pace",), settings=ONLY_PACE, c=c)
    at = NOW
    for attempt in range(service.MAX_ATTEMPTS):
        assert service.send_due(ws, at, c) == 0
        [d] = repo.deliveries(ws.store)
        assert d.attempts == attempt + 1
        at += timedelta(minutes=2 ** (attempt + 1))
    assert repo.deliveries(ws.store)[0].status == "failed"


def test_digest_once_a_day_and_the_app_shows_each_their_own(store_url: str, ws: Workspace) -> None:
    service.check(ws, DAY, NOW, settings=ONLY_PACE, c=Channels())
    made = service.digest(ws, "daily", NOW + timedelta(hours=1), Channels())
    assert made is not None and service.digest(ws, "daily", NOW + timedelta(hours=2)) is None
    assert "2 alerts" in (repo.alert(ws.store, made).title)  # type: ignore[union-attr]
    company = plan.Owner(TargetScope.COMPANY)
    plan.set_target(ws, LOCAL, "revenue", "2026-06", "99999", owner=company)
    ws.close()
    app = create_app(store_url)
    with TestClient(app):
        owner, rep = client(app), client(app, Role.REP, rep_id=2)
        mine = rep.get("/api/v1/alerts?days=366").json()
        assert {a["rule"] for a in mine} == {"target_pace"} and mine[0]["rep_id"] == 2
        every = owner.get("/api/v1/alerts?days=366").json()
        assert {a["rule"] for a in every} == {"target_pace", "rep_inactive", "digest"}
        page = rep.get("/alerts?lang=en&days=366").text
        assert "Petro" in page and "Olena" not in page


def test_a_delivery_is_claimed_once_and_retries_wait_out_quiet_hours(ws: Workspace) -> None:
    from functools import partial
    from zoneinfo import ZoneInfo

    c = Channels(webhook_url="http://127.0.0.1:9/nowhere", quiet=(time(22), time(8)))
    service.check(ws, DAY, NOW, rules=("target_pace",), settings=ONLY_PACE, c=c)
    [d] = repo.deliveries(ws.store)
    claim = partial(repo.claim, d.id, NOW, NOW - service.STUCK)
    assert ws.store.write(claim, changes_data=False) is True
    assert ws.store.write(claim, changes_data=False) is False  # a second sender gets nothing
    late = datetime(2026, 6, 16, 21, 58, tzinfo=ZoneInfo(ws.settings.time_zone))
    assert service.send_due(ws, late + service.STUCK, c) == 0  # a stuck claim is taken again
    [d] = repo.deliveries(ws.store)
    assert d.status == "pending" and d.due_at.astimezone(UTC).hour == 8  # not inside 22-08


def test_alerts_speak_the_workspace_s_language(store_url: str) -> None:
    from salesmetrics.services.alerts.texts import plural_uk
    from salesmetrics.services.workspace import init_workspace

    forms = {n: plural_uk(n, "угода", "угоди", "угод") for n in (1, 2, 5, 11, 12, 21, 22, 25)}
    assert forms == {1: "угода", 2: "угоди", 5: "угод", 11: "угод", 12: "угод", 21: "угода",
                     22: "угоди", 25: "угод"}  # fmt: skip
    build(store_url)
    init_workspace(store_url, {"locale": "uk"})
    with workspace(store_url) as w:
        plan.set_target(
            w, LOCAL, "revenue", "2026-06", "6000", owner=plan.find_owner(w, rep="Petro")
        )
        service.check(w, DAY, NOW, rules=("target_pace",), settings=ONLY_PACE, c=Channels())
        [a] = repo.alerts(w.store)
    assert a.title == "Petro: Виручка — прогноз 9% від цілі"
    assert "лишилось робочих днів: 14" in (a.body or "")
