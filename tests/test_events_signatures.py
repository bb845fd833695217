"""Standard Webhooks signatures: the pure check, and the API refusing what fails it (401)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from salesmetrics.domain.errors import ConfigError, SignatureError
from salesmetrics.services.events.signatures import (
    SECRETS_ENV,
    secret_key,
    secrets_from_env,
    sign,
    verify,
)
from salesmetrics.services.workspace import init_workspace
from signed_in import owner_client

OLD = "whsec_" + base64.b64encode(b"old-secret-of-32-bytes-length!!!").decode()
NEW = "whsec_" + base64.b64encode(b"new-secret-of-32-bytes-length!!!").decode()
BODY = json.dumps({"id": "e1", "type": "order.placed", "occurred_at": "2026-11-02T09:00:00Z",
                   "data": {"external_id": "O1", "lines": []}}).encode()  # fmt: skip


def headers(secret: str, body: bytes = BODY, at: int | None = None, msg: str = "msg_1") -> dict:
    stamp = int(time.time()) if at is None else at
    return {"webhook-id": msg, "webhook-timestamp": str(stamp),
            "webhook-signature": sign(secret_key(secret), msg, stamp, body)}  # fmt: skip


def test_a_valid_signature_passes() -> None:
    assert verify([secret_key(NEW)], headers(NEW), BODY) == "msg_1"


@pytest.mark.parametrize(
    ("case", "why"),
    [
        ("tampered", "does not match"),
        ("stale", "old"),
        ("future", "in the future"),
        ("wrong secret", "does not match"),
        ("missing", "missing header"),
        ("not v1", "no v1 signature"),
        ("bad stamp", "not Unix seconds"),
    ],
)
def test_what_is_refused_and_why(case: str, why: str) -> None:
    h = headers(NEW)
    body = BODY
    match case:
        case "tampered":
            body = BODY.replace(b"O1", b"O2")
        case "stale":
            h = headers(NEW, at=int(time.time()) - 301)
        case "future":
            h = headers(NEW, at=int(time.time()) + 301)
        case "wrong secret":
            h = headers(OLD)
        case "missing":
            del h["webhook-signature"]
        case "not v1":
            h["webhook-signature"] = "v2," + h["webhook-signature"][3:]
        case "bad stamp":
            h["webhook-timestamp"] = "yesterday"
    with pytest.raises(SignatureError, match=why):
        verify([secret_key(NEW)], h, body)


def test_rotation_two_secrets_and_several_signatures() -> None:
    keys = [secret_key(OLD), secret_key(NEW)]
    assert verify(keys, headers(OLD), BODY) and verify(keys, headers(NEW), BODY)
    both = headers(NEW)
    both["webhook-signature"] = headers(OLD)["webhook-signature"] + " " + both["webhook-signature"]
    assert verify([secret_key(NEW)], both, BODY) == "msg_1"


def test_secrets_come_from_the_environment() -> None:
    assert secrets_from_env({}) == ()
    assert len(secrets_from_env({SECRETS_ENV: f"{OLD}\n {NEW}"})) == 2
    with pytest.raises(ConfigError):
        secrets_from_env({SECRETS_ENV: "whsec_not*base64"})
    with pytest.raises(ConfigError, match="16 random bytes"):
        secret_key("whsec_" + base64.b64encode(b"short").decode())


@pytest.fixture
def signed_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv(SECRETS_ENV, f"{OLD} {NEW}")
    url = str(tmp_path / "ws.duckdb")
    init_workspace(url, {})
    with owner_client(url) as c:
        yield c


def post(client: TestClient, body: bytes, h: dict) -> tuple[int, dict]:
    reply = client.post("/api/v1/events", content=body,
                        headers={**h, "content-type": "application/json"})  # fmt: skip
    return reply.status_code, reply.json()


def test_the_api_accepts_signed_and_refuses_the_rest(signed_client: TestClient) -> None:
    assert post(signed_client, BODY, headers(NEW))[0] == 202
    assert post(signed_client, BODY, headers(OLD))[1]["data"][0]["status"] == "duplicate"
    refused = {
        "tampered": (BODY.replace(b"O1", b"O2"), headers(NEW)),
        "stale": (BODY, headers(NEW, at=int(time.time()) - 600)),
        "future": (BODY, headers(NEW, at=int(time.time()) + 600)),
        "wrong secret": (BODY, headers("whsec_" + base64.b64encode(b"x" * 32).decode())),
        "unsigned": (BODY, {}),
    }
    for case, (body, h) in refused.items():
        status, problem = post(signed_client, body, h)
        assert status == 401, case
        assert problem["status"] == 401 and problem["detail"], case
    assert signed_client.get("/api/v1/events").json()["count"] == 1
