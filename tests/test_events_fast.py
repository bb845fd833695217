"""The events hot path (plain ASGI in front of the route) answers exactly as the route does.

Each request goes to two servers on two fresh workspaces: the app as served, and the same
app without the fast path (the FastAPI route alone). Status, content type and body must be
the same; and the fast path must really be the one answering the valid ones.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import signed_in
from salesmetrics.api import events_fast
from salesmetrics.api.events_fast import EventsFastPath
from salesmetrics.domain.errors import StorageError
from salesmetrics.services.events.signatures import SECRETS_ENV, secret_key, sign
from salesmetrics.services.workspace import init_workspace
from salesmetrics.web.app import create_app

SECRET = "whsec_" + base64.b64encode(b"fast-path-secret-of-32-bytes!!!!").decode()


def ev(eid: str, **data: Any) -> dict[str, Any]:
    data = {"external_id": f"O-{eid}", "lines": [{"unit_price_minor": 100}], **data}
    return {"id": eid, "type": "order.placed", "occurred_at": "2026-11-02T09:00:00Z",
            "data": data}  # fmt: skip


def _app(tmp: Path, name: str, *, fast: bool) -> TestClient:
    url = str(tmp / f"{name}.duckdb")
    init_workspace(url, {"name": name})
    app = create_app(url)
    if not fast:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not EventsFastPath]
    return signed_in.client(app)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    with _app(tmp_path, "fast", fast=True) as fast, _app(tmp_path, "route", fast=False) as route:
        yield fast, route


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The statuses the fast path itself sent."""
    seen: list[int] = []
    real = events_fast._answer

    async def spy(send: Any, status: int, document: dict[str, Any], media_type: str) -> None:
        seen.append(status)
        await real(send, status, document, media_type)

    monkeypatch.setattr(events_fast, "_answer", spy)
    return seen


def same(pair: tuple[TestClient, TestClient], **request: Any) -> Any:
    fast, route = (c.post("/api/v1/events", **request) for c in pair)
    assert fast.status_code == route.status_code, (fast.text, route.text)
    assert fast.headers["content-type"] == route.headers["content-type"]
    assert fast.json() == route.json()
    return fast


BODIES: dict[str, Any] = {
    "one": ev("e1"),
    "array": [ev("e1"), ev("e2")],
    "envelope": {"events": [ev("e1"), ev("e2")]},
    "repeated in one body": [ev("e1"), ev("e1")],
}


@pytest.mark.parametrize("shape", list(BODIES))
def test_valid_bodies_are_answered_by_the_fast_path_as_the_route_would(
    pair: tuple[TestClient, TestClient], answered: list[int], shape: str
) -> None:
    first = same(pair, json=BODIES[shape])
    assert first.status_code == 202
    again = same(pair, json=BODIES[shape])  # every id now a duplicate
    assert again.json()["duplicate"] == again.json()["count"]
    assert answered == [202, 202]  # the route of the served app never saw them


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        json.dumps({"id": "x", "type": "order.shipped", "data": {}}).encode(),
        json.dumps({**ev("y"), "occurred_at": "2026-11-02T09:00:00"}).encode(),  # no zone
        json.dumps({"events": []}).encode(),
        json.dumps([ev(f"m{i}") for i in range(1001)]).encode(),  # over MAX_EVENTS
        json.dumps(ev("c", currency="")).encode(),  # its validator raises our own error
        json.dumps(ev("d", currency="\tû%L")).encode(),
    ],
    ids=[
        "broken JSON",
        "unknown type",
        "naive time",
        "empty envelope",
        "too many",
        "empty currency",
        "garbage currency",
    ],
)
def test_what_the_route_refuses_is_refused_the_same_way(
    pair: tuple[TestClient, TestClient], answered: list[int], content: bytes
) -> None:
    r = same(pair, content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert answered == []
    assert all(c.get("/api/v1/events").json()["count"] == 0 for c in pair)


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_body_not_declared_as_json_is_the_route_s_to_refuse(
    pair: tuple[TestClient, TestClient], answered: list[int], content_type: str | None
) -> None:
    """Browsers send these across sites without asking first: valid JSON in them must not
    become events."""
    headers = {"content-type": content_type} if content_type else {}
    r = same(pair, content=json.dumps(ev("csrf")).encode(), headers=headers)
    assert r.status_code == 422, r.text
    assert answered == []
    assert all(c.get("/api/v1/events").json()["count"] == 0 for c in pair)


def test_json_with_a_charset_or_a_json_suffix_takes_the_fast_path(
    pair: tuple[TestClient, TestClient], answered: list[int]
) -> None:
    for kind in ("application/json; charset=utf-8", "application/vnd.shop+json"):
        r = same(pair, content=json.dumps(ev(kind[-4:])).encode(), headers={"content-type": kind})
        assert r.status_code == 202, r.text
    assert answered == [202, 202]


def test_a_streamed_body_goes_to_the_route_and_is_accepted(
    pair: tuple[TestClient, TestClient], answered: list[int]
) -> None:
    body = json.dumps([ev("s1"), ev("s2")]).encode()
    for client in pair:  # a fresh iterator each: no Content-Length, so chunked
        r = client.post("/api/v1/events", content=iter([body[:50], body[50:]]),
                        headers={"content-type": "application/json"})  # fmt: skip
        assert "content-length" not in r.request.headers
        assert r.status_code == 202 and r.json()["accepted"] == 2, r.text
    assert answered == []


def test_signatures_are_checked_on_the_fast_path(
    pair: tuple[TestClient, TestClient], answered: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRETS_ENV, SECRET)
    for client in pair:
        client.app.state.event_keys = None  # type: ignore[attr-defined]  # read the env again
    body = json.dumps(ev("signed")).encode()
    stamp = int(time.time())
    signed = {"content-type": "application/json", "webhook-id": "msg_1",
              "webhook-timestamp": str(stamp),
              "webhook-signature": sign(secret_key(SECRET), "msg_1", stamp, body)}  # fmt: skip
    unsigned = same(pair, content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401
    tampered = same(pair, content=body.replace(b"O-signed", b"O-forged"), headers=signed)
    assert tampered.status_code == 401
    assert answered == []
    assert same(pair, content=body, headers=signed).status_code == 202
    assert answered == [202]


def test_an_inbox_that_cannot_commit_is_a_503_problem(
    pair: tuple[TestClient, TestClient], answered: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def stuck(*_: Any) -> Any:
        raise StorageError("the event inbox did not commit within 30 s; send the events again")

    for client in pair:
        monkeypatch.setattr(client.app.state.events, "receive_async", stuck)  # type: ignore[attr-defined]
    r = same(pair, json=ev("late"))
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "storage_error" and "send the events again" in r.json()["detail"]
    assert answered == [503]
