"""The role x route x owner matrix, generated from the app's route table: a route added later is
covered without anyone adding it here.

For every route:
- it answers nobody without credentials (but sign-in, set-up, health and static files);
- it depends on the signed-in person (api.deps), so its service gets their view;
- a rep, and a manager of another team, see nothing of rep B: every answer to them is the same,
  byte for byte, on two workspaces that differ only in B's records (B's amounts tripled, B
  renamed, B's texts changed, records added for B). Reads, counts, searches, breakdowns,
  exports and metric queries all fall under this: any number or name built on B's records
  would differ;
- a viewer (and a rep, and a manager) changes nothing: every route that writes answers 403,
  and the data version does not move.

A test of the test adds a leaking route and a route without the rule, and shows each fails.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import python_calamine
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from salesmetrics.api.deps import PRINCIPAL_DEPENDENCIES, PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import EVERYTHING, LOCAL, Role
from salesmetrics.domain.enums import DemoSize
from salesmetrics.services import records
from salesmetrics.services.access import users
from salesmetrics.services.demo import create_demo
from salesmetrics.services.live import data_version
from salesmetrics.services.workspace import Workspace, workspace
from salesmetrics.web.app import create_app
from salesmetrics.web.authn import is_public

pytestmark = pytest.mark.slow
AS_OF = date(2026, 11, 26)
FRAMEWORK = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}  # FastAPI's own
SIGN_IN = {"/login", "/logout", "/setup"}
# a person's own credentials are theirs to change, whatever their role (no data changes)
OWN_CREDENTIALS = {"/account/token", "/account/password", "/account/tokens/{token_id}/revoke"}
STREAM = "/api/v1/live"  # never ends: its rule is checked statically and without credentials
READ_POSTS = {  # POSTs that only read, with the bodies a person would send
    "/api/v1/metrics/query": [
        {
            "metrics": [
                "revenue",
                "orders",
                "deals_won",
                "win_rate",
                "pipeline_value",
                "activities",
                "nps",
                "new_customers",
                "revenue_target",
            ],
            "period": "trailing_12_months",
            **extra,
        }
        for extra in (
            {},
            {"by": ["rep"]},
            {"by": ["customer"], "grain": "month"},
            {"by": ["team"]},
            {"filters": ["rep=ZZ"]},
            {"metrics": ["cac"]},
        )
    ],
}
READ_POSTS["/api/v1/metrics/explain"] = READ_POSTS["/api/v1/metrics/query"][:2]
READ_POSTS["/api/v1/feedback/read"] = [{"text": "ZZB доставка затрималася"}]
# workflow, not data: the rep who owns a follow-up, their manager or the owner closes it (who
# may, and that nobody else can, is tested in test_feedback_followups.py)
WORKFLOW = {"/api/v1/feedback/followups/{followup_id}/done",
            "/feedback/followups/{followup_id}/done"}  # fmt: skip
# the last ones: search text in every name (B's renamed ones hold ZZB), exports as workbooks
VARIANTS = (
    "", "?period=trailing_12_months&by=rep&grain=month&metric=revenue",
    "?metric=orders&by=customer&period=last_month", "?period=last_month&sort=win_rate",
    "?q=ZZB", "?q=a", "?q=a&format=xlsx", "?kind=deals&q=a", "?kind=orders",
)  # fmt: skip


@dataclass
class World:
    """Two apps on workspaces that differ only in rep B's records, and who is who."""

    same: FastAPI  # B as generated
    changed: FastAPI  # B's records changed and added to
    rep_a: int
    rep_b: int
    samples: dict[str, list[str]]  # path parameter -> values to try
    tokens: dict[str, tuple[str, str]]  # role -> (token on same, token on changed)


def _ids(ws: Workspace, sql: str, rep: int) -> list[str]:
    return [str(r[0]) for r in ws.store.fetchall(sql, [rep])]


def _change_b(ws: Workspace, b: int, really: bool) -> None:
    """Rep B's records changed in place and added to (or, on the other workspace, the same
    number of empty writes, so both have the same data version)."""
    no = "" if really else " AND FALSE"
    statements = [
        f"UPDATE order_lines SET line_total_minor = line_total_minor * 3 WHERE order_id IN "
        f"(SELECT id FROM orders WHERE rep_id = ?){no}",
        f"UPDATE orders SET total_minor = total_minor * 3 WHERE rep_id = ?{no}",
        f"UPDATE deals SET amount_minor = amount_minor * 3, title = title || ' ZZB' "
        f"WHERE owner_rep_id = ?{no}",
        f"UPDATE leads SET name = 'ZZB ' || name, status = 'converted' WHERE owner_rep_id = ?{no}",
        f"UPDATE activities SET kind = 'meeting' WHERE rep_id = ?{no}",
        f"UPDATE feedback SET score = 0, comment = 'ZZB' WHERE rep_id = ?{no}",
        f"UPDATE customers SET email = 'zzb-' || coalesce(email, ''), region = 'ZZB' "
        f"WHERE owner_rep_id = ?{no}",
        f"UPDATE targets SET value = value * 3 WHERE scope = 'rep' AND scope_id = ?{no}",
        f"UPDATE reps SET name = 'ZZB Renamed', email = 'zzb@example.com' WHERE id = ?{no}",
    ]
    added = [  # one more customer, deal, order and line for B (new ids: after every other)
        "INSERT INTO customers (source, external_id, name, owner_rep_id, acquired_at) "
        "VALUES ('zz', 'ZZB-C', 'ZZB customer', ?, now())",
        "INSERT INTO orders (source, external_id, customer_id, rep_id, ordered_at, status, "
        "currency, total_minor) SELECT 'zz', 'ZZB-O', max(id), ?, now(), 'paid', 'UAH', 777 "
        "FROM customers",
        "INSERT INTO order_lines (id, order_id, line_no, quantity, unit_price_minor, "
        "line_total_minor, currency) SELECT (SELECT max(id) + 1 FROM order_lines), max(id), 1, "
        "1, 777, 777, 'UAH' FROM orders WHERE rep_id = ?",
    ]

    def work(tx: Any) -> None:
        for sql in statements:
            tx.execute(sql, [b])
        if really:
            for sql in added:
                tx.execute(sql, [b])

    ws.store.write(work)
    ws.metrics.refresh_rollups()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("matrix")
    first, second = folder / "same.duckdb", folder / "changed.duckdb"
    with workspace(str(first), create=True) as ws:
        create_demo(ws, DemoSize.SMALL, seed=7, as_of=AS_OF)  # with its demo accounts
        rep_a = int(ws.store.fetchall("SELECT rep_id FROM users WHERE role = 'rep'")[0][0])
        manager = int(ws.store.fetchall("SELECT rep_id FROM users WHERE role = 'manager'")[0][0])
        mine = {int(r[0]) for r in ws.store.fetchall(
            "SELECT r.id FROM reps r JOIN teams t ON t.id = r.team_id "
            "WHERE t.manager_rep_id = ?", [manager])} | {manager}  # fmt: skip
        rep_b = min({int(r[0]) for r in ws.store.fetchall("SELECT id FROM reps")} - mine)
        samples = {
            "record_id": sorted(
                {
                    *_ids(ws, "SELECT min(id) FROM deals WHERE owner_rep_id = ?", rep_b),
                    *_ids(ws, "SELECT min(id) FROM orders WHERE rep_id = ?", rep_b),
                    *_ids(ws, "SELECT min(id) FROM leads WHERE owner_rep_id = ?", rep_b),
                    *_ids(ws, "SELECT min(id) FROM customers WHERE owner_rep_id = ?", rep_b),
                    *_ids(ws, "SELECT min(id) FROM deals WHERE owner_rep_id = ?", rep_a),
                    *_ids(ws, "SELECT min(id) FROM orders WHERE rep_id = ?", rep_a),
                    str(rep_a),
                    str(rep_b),
                    "1",
                }
            ),
            "rep_id": [str(rep_a), str(rep_b), str(manager)],
            "lead": sorted(
                {  # open leads of B and of A, by id and by external id
                    *_ids(
                        ws,
                        "SELECT min(id) FROM leads WHERE status = 'open' AND owner_rep_id = ?",
                        rep_b,
                    ),
                    *_ids(
                        ws,
                        "SELECT min(id) FROM leads WHERE status = 'open' AND owner_rep_id = ?",
                        rep_a,
                    ),
                    *(
                        str(r[0])
                        for r in ws.store.fetchall(
                            "SELECT min(external_id) FROM leads WHERE status = 'open' "
                            "AND owner_rep_id = ?",
                            [rep_b],
                        )
                    ),
                }
            ),
            "customer_id": sorted(
                {
                    *_ids(ws, "SELECT min(id) FROM customers WHERE owner_rep_id = ?", rep_b),
                    *_ids(ws, "SELECT min(id) FROM customers WHERE owner_rep_id = ?", rep_a),
                }
            ),
            "import_id": ["1"],
            "preview_id": ["pv-unknown"],
            "ref": ["1", "pv-unknown"],
            "event_id": ["unknown"],
            "name": ["revenue", "cac"],
            "segment": ["champions", "vip"],
            "followup_id": sorted(
                {
                    *_ids(ws, "SELECT min(id) FROM feedback_followups WHERE rep_id = ?", rep_b),
                    *_ids(ws, "SELECT min(id) FROM feedback_followups WHERE rep_id = ?", rep_a),
                    "999999",
                }
                - {"None"}  # a rep whose customers sent no detractor lately
            ),
            "user_id": ["1"],
            "target_id": ["1"],
        }
    shutil.copy(first, second)
    tokens: dict[str, list[str]] = {}
    for path, really in ((first, False), (second, True)):
        with workspace(str(path)) as ws:
            _change_b(ws, rep_b, really)
            for role in ("rep", "manager", "viewer", "owner"):
                email = f"{role}@demo.example"
                tokens.setdefault(role, []).append(users.create_token(ws, LOCAL, email).secret)
    with workspace(str(first)) as ws:  # an owner's token: nobody else may revoke it
        samples["token_id"] = _ids(ws, "SELECT max(id) FROM api_tokens WHERE user_id = ?", 1)
    same, changed = create_app(str(first)), create_app(str(second))
    with TestClient(same), TestClient(changed):  # started and, at the end, stopped and closed
        yield World(same, changed, rep_a, rep_b, samples,
                    {k: (v[0], v[1]) for k, v in tokens.items()})  # fmt: skip


# ---------------------------------------------------------------- the route table


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    route: Any

    def filled(self, samples: dict[str, list[str]]) -> list[str]:
        """The path with every combination of sample values for its parameters."""
        names = re.findall(r"\{([^}:]+)(?::[^}]*)?\}", self.path)
        paths = [self.path]
        for name in names:
            assert name in samples, (
                f"{self.method} {self.path}: no sample value for the path parameter '{name}': "
                "add one to the matrix's samples"
            )
            pattern = re.compile(r"\{" + name + r"(:[^}]*)?\}")
            paths = [pattern.sub(value, p) for p in paths for value in samples[name]]
        return paths


def routes(app: FastAPI) -> list[Route]:
    """Every (method, path) of the app, included routers flattened, HEAD left out."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, Mount) or ctx.path is None:
            continue
        out += [Route(m, ctx.path, ctx.original_route)
                for m in sorted(ctx.methods or ()) if m != "HEAD"]  # fmt: skip
    assert len(out) > 40, out  # the table was read
    return out


def _depends_on_principal(route: Any) -> bool:
    if not isinstance(route, APIRoute):
        return False
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call in PRINCIPAL_DEPENDENCIES:
            return True
        stack += dep.dependencies
    return False


def without_the_rule(app: FastAPI) -> list[str]:
    """Routes that neither are public nor take the signed-in person."""
    return [
        f"{r.method} {r.path}" for r in routes(app)
        if not is_public(r.path) and r.path not in FRAMEWORK and r.path != "/login"
        and not _depends_on_principal(r.route)
    ]  # fmt: skip


def writes(r: Route) -> bool:
    return (r.method not in ("GET", "HEAD") and r.path not in READ_POSTS
            and r.path not in SIGN_IN | OWN_CREDENTIALS | WORKFLOW)  # fmt: skip


# ---------------------------------------------------------------- comparing the two worlds

_VOLATILE = [
    (re.compile(r'"seconds":\s*[0-9.e-]+'), '"seconds":0'),
    (re.compile(r'"seconds":\s*\{[^}]*\}'), '"seconds":{}'),  # time per part (insights)
    # made while the test ran (a token's creation and last use): not the demo's records
    (re.compile(date.today().isoformat() + r"[T ][0-9:.]+(\+00:00)?"), "today"),
    (re.compile(r"smt_[A-Za-z0-9_-]+"), "smt_"),  # the first characters of a token
    (re.compile(r'name="csrf" value="[^"]*"'), 'name="csrf" value=""'),
]


def _normal(body: bytes, kind: str = "") -> str:
    if "spreadsheetml" in kind:  # a file's bytes hold when it was zipped: compare its cells
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(body))
        sheets = [(n, book.get_sheet_by_name(n).to_python()) for n in book.sheet_names]
        body = repr(sheets).encode()
    text = body.decode("utf-8", "replace")
    for pattern, fixed in _VOLATILE:
        text = pattern.sub(fixed, text)
    return text


def _ask(client: TestClient, method: str, path: str, body: Any = None) -> tuple[int, str]:
    r = client.request(method, path, json=body, headers={"accept": "text/html"})
    return r.status_code, _normal(r.content, r.headers.get("content-type", ""))


ANSWERED: dict[str, int] = {}  # role -> how many requests of the last run answered 200


def differences(world: World, role: str, paths: list[tuple[str, str, Any]]) -> list[str]:
    """The requests whose answers differ between the two workspaces, for a person of `role`."""
    same_token, changed_token = world.tokens[role]
    one = TestClient(world.same, headers={"Authorization": f"Bearer {same_token}"})
    two = TestClient(world.changed, headers={"Authorization": f"Bearer {changed_token}"})
    out = []
    ANSWERED[role] = 0
    for method, path, body in paths:
        a, b = _ask(one, method, path, body), _ask(two, method, path, body)
        assert a[0] < 500, (role, method, path, a)
        ANSWERED[role] += a[0] == 200
        if a != b:
            out.append(f"{method} {path} {body or ''}: {a[0]} vs {b[0]}")
    return out


def read_requests(world: World, app: FastAPI) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for r in routes(app):
        if r.path in FRAMEWORK or r.path in SIGN_IN or r.path == STREAM or is_public(r.path):
            continue
        if r.method == "GET":
            filled = r.filled(world.samples)
            variants = [v for v in VARIANTS if _takes(r.route, v)] if filled == [r.path] else [""]
            out += [("GET", p + v, None) for p in filled for v in variants]
            if "rep_id" in _query_names(r.route):  # a filter naming B: still nothing of B
                out.append(("GET", f"{r.path}?rep_id={world.rep_b}", None))
        elif r.path in READ_POSTS:
            out += [(r.method, r.path, body) for body in READ_POSTS[r.path]]
    return out


def _takes(route: Any, variant: str) -> bool:
    """Whether a route takes every parameter of a query string (a page takes anything)."""
    if not isinstance(route, APIRoute) or not route.include_in_schema:
        return True
    keys = {part.partition("=")[0] for part in variant.lstrip("?").split("&") if part}
    return keys <= _query_names(route)


def _query_names(route: Any) -> set[str]:
    if not isinstance(route, APIRoute):
        return set()
    names: set[str] = set()
    for param in route.dependant.query_params:
        model = param.field_info.annotation
        fields = getattr(model, "model_fields", None)
        names |= {f.alias or n for n, f in fields.items()} if fields else {param.alias}
    return names


# ---------------------------------------------------------------- the matrix


def test_every_route_takes_the_signed_in_person(world: World) -> None:
    assert without_the_rule(world.same) == []


def test_no_route_but_sign_in_and_health_answers_without_credentials(world: World) -> None:
    anonymous = TestClient(world.same)
    for r in routes(world.same):
        for path in r.filled(world.samples):
            answer = anonymous.request(r.method, path, headers={"accept": "text/html"},
                                       follow_redirects=False)  # fmt: skip
            if is_public(r.path) or r.path in ("/login", "/setup"):
                continue
            if r.path.startswith("/api/") or r.method != "GET":
                assert answer.status_code in (401, 403), (r.method, path, answer.status_code)
            else:
                assert answer.status_code == 303, (r.method, path, answer.status_code)
                assert answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_a_rep_or_another_team_s_manager_sees_nothing_of_rep_b(world: World, role: str) -> None:
    asked = read_requests(world, world.same)
    assert len(asked) > 60
    assert differences(world, role, asked) == []
    assert ANSWERED[role] > len(asked) * 0.4, (ANSWERED, len(asked))  # real answers, mostly


def test_the_oracle_sees_b_where_the_owner_may(world: World) -> None:
    """The owner's answers do differ: the two workspaces really differ in what a leak shows."""
    asked = [("GET", "/api/v1/deals?limit=500", None), ("GET", "/team", None),
             ("POST", "/api/v1/metrics/query", READ_POSTS["/api/v1/metrics/query"][1]),
             ("GET", "/explore.csv?metric=revenue&by=rep", None),
             ("GET", "/api/v1/search?q=ZZB", None), ("GET", "/search?q=ZZB", None),
             ("GET", "/api/v1/exports/deals?format=xlsx", None),
             ("GET", "/records?kind=orders", None)]  # fmt: skip
    assert len(differences(world, "owner", asked)) == len(asked)


@pytest.mark.parametrize("role", ["viewer", "rep", "manager"])
def test_nobody_but_the_owner_changes_data(world: World, role: str) -> None:
    token = world.tokens[role][0]
    client = TestClient(world.same, headers={"Authorization": f"Bearer {token}"})
    ws: Workspace = world.same.state.workspace
    before = data_version(ws)
    tried = 0
    for r in routes(world.same):
        if not writes(r):
            continue
        for path in r.filled(world.samples):
            answer = client.request(r.method, path, json={"id": "x", "type": "order.placed"})
            if answer.status_code == 422:  # a body checked before the person: send none
                answer = client.request(r.method, path)
            assert answer.status_code == 403, (role, r.method, path, answer.status_code)
            tried += 1
    assert tried >= 8 and data_version(ws) == before


def test_a_rep_s_revenue_is_the_sum_of_their_own_orders(world: World) -> None:
    token = world.tokens["rep"][0]
    client = TestClient(world.same, headers={"Authorization": f"Bearer {token}"})
    body = {"metrics": ["revenue", "orders"], "period": "2026-01-01..2026-11-26"}
    got = client.post("/api/v1/metrics/query", json=body).json()["rows"][0]
    ws: Workspace = world.same.state.workspace
    revenue_orders = ws.metrics.query(
        ["revenue", "orders"],
        period="2026-01-01..2026-11-26",
        as_of=AS_OF,
        filters=[f"rep={_name(ws, world.rep_a)}"],
    )
    assert got["revenue"] == revenue_orders.rows()[0]["revenue"] > 0
    assert got["orders"] == revenue_orders.rows()[0]["orders"] > 0


def _name(ws: Workspace, rep: int) -> str:
    return str(ws.store.fetchall("SELECT name FROM reps WHERE id = ?", [rep])[0][0])


# ---------------------------------------------------------------- a test of the test


def _with_extra(app: FastAPI, add: Callable[[FastAPI], None]) -> FastAPI:
    add(app)
    return app


def test_a_route_without_the_rule_fails_the_matrix(world: World) -> None:
    def leaky(app: FastAPI) -> None:
        @app.get("/api/v1/leaky-count")
        def count(ws: WorkspaceDep, who: PrincipalDep) -> int:  # takes the person, ignores them
            return records.list_records(ws, "orders", EVERYTHING, limit=1).total

    def unruled(app: FastAPI) -> None:
        @app.get("/api/v1/no-person")
        def nobody(ws: WorkspaceDep) -> int:
            return 1

    for app in (world.same, world.changed):
        _with_extra(app, leaky)
        _with_extra(app, unruled)
    try:
        assert without_the_rule(world.same) == ["GET /api/v1/no-person"]
        found = differences(world, "rep", [("GET", "/api/v1/leaky-count", None)])
        assert found and "leaky-count" in found[0]
    finally:
        for app in (world.same, world.changed):
            app.router.routes[:] = [r for r in app.router.routes
                                    if getattr(r, "path", "") not in
                                    ("/api/v1/leaky-count", "/api/v1/no-person")]  # fmt: skip


def test_a_role_change_applies_on_the_next_request(world: World) -> None:
    token = world.tokens["viewer"][0]
    client = TestClient(world.same, headers={"Authorization": f"Bearer {token}"})
    ws: Workspace = world.same.state.workspace
    assert client.get("/api/v1/deals?limit=1").json()["count"] > 200
    users.change_user(ws, LOCAL, "viewer@demo.example", role=Role.REP, rep_id=world.rep_b)
    try:
        mine = client.get("/api/v1/deals?limit=1").json()["count"]
        own = ws.store.fetchall("SELECT count(*) FROM deals WHERE owner_rep_id = ?",
                                [world.rep_b])[0][0]  # fmt: skip
        assert mine == own
        users.change_user(ws, LOCAL, "viewer@demo.example", active=False)
        assert client.get("/api/v1/deals?limit=1").status_code == 401
    finally:
        users.change_user(ws, LOCAL, "viewer@demo.example", role=Role.VIEWER, active=True)
