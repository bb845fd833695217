"""Security headers on every answer, for every route the app has (read from its route table, so
a route added later is covered without anyone adding it here), and the warning when serving
beyond this machine. The browser suite (tests/test_browser.py) shows the policy breaks no page:
a script or style it blocked would be a console error there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from salesmetrics.cli.workspace_cmds import _loopback
from salesmetrics.services.workspace import init_workspace
from salesmetrics.web.app import create_app
from salesmetrics.web.headers import FRAMEWORK_PAGES, POLICY
from signed_in import owner_client

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = str(tmp_path_factory.mktemp("headers") / "w.duckdb")
    init_workspace(db, {})
    with owner_client(db, raise_server_exceptions=False) as c:
        yield c


def _paths() -> list[tuple[str, str]]:
    """(method, path) of every route, path parameters filled with 1, the live stream left out
    (it never ends; its headers are checked below)."""
    app = create_app(":memory:")
    out: list[tuple[str, str]] = []
    for route in iter_route_contexts(app.routes):  # included routers flattened
        if isinstance(route.original_route, Mount):
            out.append(("GET", f"{route.path}/live.js"))
            continue
        if route.path is None or route.path == "/api/v1/live":
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        out += [(m, path) for m in sorted(route.methods or ()) if m != "HEAD"]
    assert len(out) > 40, out  # the route table was read, not an empty list
    return out


@pytest.mark.parametrize(("method", "path"), _paths())
def test_every_route_answers_with_the_security_headers(
    client: TestClient, method: str, path: str
) -> None:
    r = client.request(method, path)
    for name, value in ALWAYS.items():
        assert r.headers.get(name) == value, (name, r.status_code)
    if path.startswith(FRAMEWORK_PAGES):
        assert "content-security-policy" not in r.headers  # their bootstrap script is inline
    else:
        assert r.headers["content-security-policy"] == POLICY, r.status_code


def test_the_policy_forbids_inline_scripts_and_framing() -> None:
    rules = dict(part.split(" ", 1) for part in POLICY.split("; "))
    assert rules["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert rules["frame-ancestors"] == "'none'"
    assert rules["object-src"] == "'none'"


def test_errors_and_the_live_stream_carry_them_too(client: TestClient) -> None:
    assert client.get("/no/such/page").headers["x-frame-options"] == "DENY"
    with client.stream("GET", "/api/v1/live") as live:
        assert live.headers["content-security-policy"] == POLICY


def test_templates_hold_no_inline_script() -> None:
    templates = Path(__file__).parents[1] / "src/salesmetrics/web/templates"
    for page in templates.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (page.name, tag)
        assert not re.search(r"\son[a-z]+=", text), page.name  # no onclick= and the like


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("shop.example", False)],
)  # fmt: skip
def test_serving_beyond_this_machine_is_told(host: str, local: bool) -> None:
    assert _loopback(host) is local
