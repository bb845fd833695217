"""The OpenAPI document is the contract: schemathesis generates requests from it (valid and
invalid ones) and checks that no answer is a server error and every answer fits the document,
with an owner's credentials and without any (then every operation but health answers 401)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from salesmetrics.domain.access import LOCAL, Role
from salesmetrics.services.access import users
from salesmetrics.services.workspace import open_workspace
from salesmetrics.web.app import create_app
from signed_in import bearer, person

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The live stream never ends, so a request to it would not return.
STREAMING = "/api/v1/live"
# The events body is a union of nine event shapes: the coverage phase's boundary cases of it came
# to ~4,800 requests (60 % of this test's time). Fuzzing still covers it here, and
# tests/test_events*.py check every shape's valid and invalid forms.
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {"include-name": "POST /api/v1/events", "phases": {"coverage": {"enabled": False}}}
        ]
    }
)
APP: list[Any] = []  # the app of the run with credentials (its workspace makes the tokens)
OWNER: list[str] = []  # the e-mail of an owner there
TOKEN: list[str] = []  # an owner's token, made again after a case that may have revoked it


def _schema(
    factory: pytest.TempPathFactory, templates: Any, name: str
) -> Iterator[tuple[schemathesis.BaseSchema, Any]]:
    """The API over a small demo workspace (DuckDB) of its own. Each test gets its own: the
    ASGI transport stops the app's lifespan after a test, and that closes its workspace."""
    folder = factory.mktemp(name)
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        ws = open_workspace(templates.copy_into(folder, "duckdb", None))
        owner = person(ws, Role.OWNER)
        spec = bearer(users.create_token(ws, LOCAL, owner).secret)  # to read the document
        ws.close()
        app = create_app(str(folder / "ws.duckdb"))
        found = schemathesis.openapi.from_asgi("/openapi.json", app, headers=spec, config=CONFIG)
        yield found, (app, owner)
        app.state.workspace.close()
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory, demo_templates: Any
) -> Iterator[schemathesis.BaseSchema]:
    for found, (app, owner) in _schema(tmp_path_factory, demo_templates, "schemathesis"):
        APP[:], OWNER[:], TOKEN[:] = [app], [owner], []
        yield found


@pytest.fixture(scope="module")
def anonymous_schema(
    tmp_path_factory: pytest.TempPathFactory, demo_templates: Any
) -> Iterator[schemathesis.BaseSchema]:
    for found, _ in _schema(tmp_path_factory, demo_templates, "schemathesis-anonymous"):
        yield found


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=f"^{STREAMING}")
anonymous = schemathesis.pytest.from_fixture("anonymous_schema").exclude(path_regex=f"^{STREAMING}")


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_keeps_its_contract(case: schemathesis.Case) -> None:
    if not TOKEN:
        TOKEN.append(users.create_token(APP[0].state.workspace, LOCAL, OWNER[0]).secret)
    response = case.call_and_validate(headers=bearer(TOKEN[0]), checks=CHECKS)
    assert response.status_code != 401  # the credentials were taken: the API itself answered
    if case.method != "GET" and case.path.startswith(("/api/v1/tokens", "/api/v1/users")):
        TOKEN.clear()  # it may have revoked the token: the next case gets a fresh one


@pytest.mark.slow
@anonymous.parametrize()
@settings(
    max_examples=3,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_without_credentials_answers_nothing_but_health(case: schemathesis.Case) -> None:
    response = case.call_and_validate(checks=CHECKS)
    if case.path == "/healthz":  # public (a method it lacks still gets its 405)
        assert response.status_code in (200, 405)
    else:
        assert response.status_code == 401, (case.method, case.path, response.status_code)
        assert response.json()["code"] == "unauthenticated_error"


@pytest.fixture(autouse=True)
def _node_id(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's fixture-based loader renames `request.node._nodeid`, which pytest 9
    no longer has; give it one so each operation reports under its own name."""
    request.node._nodeid = request.node.nodeid
