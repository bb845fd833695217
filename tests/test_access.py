"""Users, passwords, sessions, tokens, CSRF, rate limiting and the audit log, on DuckDB and on
PostgreSQL; and a rep's KPIs computed over the rep's own records only."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import DEMO_AS_OF
from salesmetrics.domain.access import LOCAL, Role
from salesmetrics.domain.errors import ConflictError, InputError
from salesmetrics.services.access import passwords, users
from salesmetrics.services.access import throttle as throttle_module
from salesmetrics.services.access.demo_accounts import PASSWORD as DEMO_PASSWORD
from salesmetrics.services.access.sign_in import WrongCredentials
from salesmetrics.services.access.throttle import Throttle, TooManyAttempts
from salesmetrics.services.workspace import Workspace, init_workspace, workspace
from salesmetrics.web.app import create_app
from signed_in import PASSWORD, bearer, form_token, person

# ---------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short7!", "at least 8"), ("x" * 257, "at most 256"), ("Password123", "most common"),
     ("qwertyuiop", "most common"), ("йцукенгшщз", "most common"),
     ("olena@shop.ua", "e-mail"), ("aaaaaaaaaaaa", "repeated"), ("123456789012", "repeated")],
)  # fmt: skip
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    assert reason in (passwords.problem(password, "olena@shop.ua") or "")


@pytest.mark.parametrize("password", ["correct horse battery", "8 chars!", "üa" * 32, "xy z" * 64])
def test_any_password_of_8_to_256_characters_without_composition_rules(password: str) -> None:
    assert passwords.problem(password, "olena@shop.ua") is None


def test_hashes_are_argon2id_at_owasp_parameters_and_salted() -> None:
    one, two = (
        passwords.hash_password("a long passphrase"),
        passwords.hash_password("a long passphrase"),
    )
    assert one.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and one != two
    assert passwords.verify(one, "a long passphrase") and not passwords.verify(one, "another")
    assert not passwords.verify(None, "x") and not passwords.verify("not a hash", "x")


# ---------------------------------------------------------------- sessions, tokens, audit


@pytest.fixture
def app(store_url: str) -> Iterator[FastAPI]:
    init_workspace(store_url, {"locale": "en"})
    application = create_app(store_url)
    with TestClient(application):
        yield application


def _ws(app: FastAPI) -> Workspace:
    ws: Workspace = app.state.workspace
    return ws


def _login(client: TestClient, email: str, password: str = PASSWORD) -> int:
    token = form_token(client, "/login")
    answer = client.post("/login", data={"email": email, "password": password, "csrf": token},
                         follow_redirects=False)  # fmt: skip
    return answer.status_code


def _audit(ws: Workspace) -> list[str]:
    return [r[0] for r in ws.store.fetchall('SELECT action FROM audit_log ORDER BY "at", id')]


def test_a_session_signs_in_with_secure_flags_and_is_stored_hashed(app: FastAPI) -> None:
    ws = _ws(app)
    email = person(ws, Role.VIEWER)
    client = TestClient(app)
    assert _login(client, email, "wrong password!") == 401
    assert _login(client, email) == 303
    cookie = client.cookies.get("salesmetrics_session")
    assert cookie and len(cookie) == 22  # 16 random bytes, base64url: 128 bits
    stored = [r[0] for r in ws.store.fetchall("SELECT id FROM sessions")]
    assert stored == [hashlib.sha256(cookie.encode()).hexdigest()]  # never the id itself
    header = next(h for k, h in client.get("/login").request.headers.items() if k == "cookie")
    assert "salesmetrics_session" in header
    page = client.get("/")
    assert page.status_code == 200 and email in page.text
    assert _audit(ws)[-2:] == ["login_failed", "login"]


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(app: FastAPI) -> None:
    email = person(_ws(app), Role.VIEWER)
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        client = TestClient(app, base_url=base)
        token = form_token(client, "/login")
        answer = client.post("/login", data={"email": email, "password": PASSWORD,
                                             "csrf": token}, follow_redirects=False)  # fmt: skip
        set_cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie and "Path=/" in set_cookie
        assert ("Secure" in set_cookie) == secure
        assert set_cookie.startswith("__Host-salesmetrics_session=" if secure else
                                     "salesmetrics_session=")  # fmt: skip


def test_a_tls_proxy_that_does_not_say_so_gets_secure_cookies_by_setting(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESMETRICS_COOKIE_SECURE", "1")
    email = person(_ws(app), Role.VIEWER)
    client = TestClient(app)  # plain HTTP as the proxy forwards it
    token = form_token(client, "/login")
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token},
                         follow_redirects=False)  # fmt: skip
    name, _, rest = answer.headers["set-cookie"].partition("=")
    assert name == "__Host-salesmetrics_session" and "Secure" in rest
    session_id = rest.partition(";")[0]
    again = TestClient(app, cookies={name: session_id})  # what the browser sends back
    assert again.get("/", follow_redirects=False).status_code == 200
    plain = TestClient(app, cookies={"salesmetrics_session": session_id})
    assert plain.get("/", follow_redirects=False).status_code != 200  # only the __Host- name


def test_sessions_end_when_idle_and_when_too_old(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = person(_ws(app), Role.VIEWER)
    for variable, value in (("SALESMETRICS_SESSION_IDLE_MINUTES", "0.03"),
                            ("SALESMETRICS_SESSION_MAX_HOURS", "0.0005")):  # fmt: skip
        monkeypatch.setenv(variable, value)  # 1.8 s idle; 1.8 s in all
        client = TestClient(app)
        assert _login(client, email) == 303
        assert client.get("/", follow_redirects=False).status_code == 200
        time.sleep(2.2)
        gone = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
        monkeypatch.delenv(variable)


def test_a_password_change_or_disable_ends_every_session_and_token(app: FastAPI) -> None:
    ws = _ws(app)
    email = person(ws, Role.VIEWER)
    browser = TestClient(app)
    assert _login(browser, email) == 303
    token = users.create_token(ws, LOCAL, email, "script")
    api = TestClient(app, headers=bearer(token.secret))
    assert api.get("/api/v1/me").json()["email"] == email
    assert users.set_password(ws, LOCAL, email, "a brand new passphrase") == 1
    assert browser.get("/", follow_redirects=False).status_code in (303, 401)
    assert api.get("/api/v1/me").status_code == 200  # a token outlives a password change
    users.change_user(ws, LOCAL, email, active=False)
    assert api.get("/api/v1/me").status_code == 401
    assert _login(TestClient(app), email, "a brand new passphrase") == 401
    assert {"password_changed", "user_changed", "token_created"} <= set(_audit(ws))


def test_tokens_are_shown_once_stored_hashed_revocable_with_last_use(app: FastAPI) -> None:
    ws = _ws(app)
    email = person(ws, Role.VIEWER)
    made = users.create_token(ws, LOCAL, email, "shop")
    assert made.secret.startswith("smt_") and len(made.secret) > 40
    rows = ws.store.fetchall("SELECT token_hash, prefix, last_used_at FROM api_tokens")
    assert rows[0][0] == hashlib.sha256(made.secret.encode()).hexdigest() and rows[0][2] is None
    assert made.secret not in str(rows)
    client = TestClient(app, headers=bearer(made.secret))
    me = client.get("/api/v1/me").json()
    assert me["role"] == "viewer" and me["sees_reps"] is None and me["via"] == "token"
    listed = users.list_tokens(ws, LOCAL, email)[0]
    assert listed.last_used_at is not None and listed.prefix == made.secret[:10]
    users.revoke_token(ws, LOCAL, made.id)
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401 and "not valid" in refused.json()["detail"]
    assert TestClient(app, headers=bearer("smt_made-up")).get("/api/v1/me").status_code == 401


def test_roles_need_their_rep_and_emails_are_unique(app: FastAPI) -> None:
    ws = _ws(app)
    with pytest.raises(InputError, match="linked to their rep"):
        users.add_user(ws, LOCAL, "rep@shop.ua", Role.REP, password=PASSWORD)
    users.add_user(ws, LOCAL, "Owner@Shop.ua", Role.OWNER, password=PASSWORD)
    with pytest.raises(ConflictError, match="already"):
        users.add_user(ws, LOCAL, "owner@shop.ua", Role.VIEWER, password=PASSWORD)
    with pytest.raises(InputError, match="common"):
        users.add_user(ws, LOCAL, "v@shop.ua", Role.VIEWER, password="password123")


def test_the_first_run_creates_the_owner_once(app: FastAPI) -> None:
    client = TestClient(app)
    assert client.get("/login", follow_redirects=False).headers["location"] == "/setup"
    token = form_token(client, "/setup")
    form = {"email": "me@shop.ua", "password": PASSWORD, "name": "Олена", "csrf": token}
    made = client.post("/setup", data=form, follow_redirects=False)
    assert made.status_code == 303
    assert client.get("/api/v1/me").json()["role"] == "owner"  # signed in (reading via cookie)
    assert client.get("/setup", follow_redirects=False).headers["location"] == "/login"
    again = TestClient(app)
    token = form_token(again, "/login")
    refused = again.post("/setup", data={"email": "x@shop.ua", "password": PASSWORD,
                                         "csrf": token})  # fmt: skip
    assert refused.status_code == 409 and "already has users" in refused.text


def test_forms_without_the_session_s_token_are_refused(app: FastAPI) -> None:
    ws = _ws(app)
    email = person(ws, Role.OWNER)
    client = TestClient(app)
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 403
    assert _login(client, email) == 303
    assert client.post("/logout", data={"csrf": "x" * 43}).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in
    api_write = client.post("/api/v1/events", json=[])
    assert api_write.status_code == 401 and "takes an API token" in api_write.json()["detail"]
    token = form_token(client, "/")
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    after = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"] == "/login?next=/"
    assert "logout" in _audit(ws)


def test_login_rate_limit_answers_429_and_never_locks_out_for_good(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _ws(app)
    email = person(ws, Role.VIEWER)
    app.state.sign_in.throttle = Throttle(window=2.0)
    client = TestClient(app)
    for _ in range(5):
        assert _login(client, email, "not the password") == 401
    token = form_token(client, "/login")
    blocked = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token})
    assert blocked.status_code == 429 and 1 <= int(blocked.headers["retry-after"]) <= 2
    time.sleep(2.1)
    assert _login(client, email) == 303  # the window passed: the person is in
    assert {"login_failed", "login_throttled", "login"} <= set(_audit(ws))


def test_a_guesser_elsewhere_does_not_keep_the_person_out_on_their_own_device(
    app: FastAPI,
) -> None:
    ws = _ws(app)
    email = person(ws, Role.VIEWER)
    sign_in = app.state.sign_in
    sign_in.throttle = Throttle(window=60.0)
    device = sign_in.login(email, PASSWORD, "10.0.0.1").device  # she signed in at home before
    for i in range(25):  # someone guesses from many addresses
        with pytest.raises((WrongCredentials, TooManyAttempts)):
            sign_in.login(email, "not her password", f"203.0.113.{i}")
    with pytest.raises(TooManyAttempts):  # a browser without her device cookie is slowed
        sign_in.login(email, PASSWORD, "10.0.0.1")
    assert sign_in.login(email, PASSWORD, "10.0.0.1", device).principal.email == email
    users.set_password(ws, LOCAL, email, "another long passphrase")
    with pytest.raises(TooManyAttempts):  # a new password: the old device cookie is worthless
        sign_in.login(email, "another long passphrase", "10.0.0.1", device)


def test_failure_counts_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle_module, "MAX_KEYS", 100)
    throttle = Throttle(window=60.0)
    for i in range(1000):
        throttle.failed(f"198.51.100.{i % 250}", f"junk{i}@example.com")
    assert len(throttle._failures) <= 103


def test_imports_exports_and_token_creation_are_audited(app: FastAPI) -> None:
    ws = _ws(app)
    email = person(ws, Role.OWNER)
    token = users.create_token(ws, LOCAL, email)
    client = TestClient(app, headers=bearer(token.secret))
    csv_text = "name,email\nІван,ivan@example.com\n"
    done = client.post("/api/v1/imports", data={"kind": "customers", "dry_run": "false"},
                       files={"file": ("c.csv", csv_text.encode())}).json()  # fmt: skip
    client.post(f"/api/v1/imports/{done['import_id']}/revert")
    client.get("/explore.csv?metric=revenue")
    rows = ws.store.fetchall("SELECT action, actor, object_id FROM audit_log ORDER BY id")
    by_action = {r[0]: r for r in rows}
    assert by_action["import"][1:] == (email, str(done["import_id"]))
    assert by_action["import_reverted"][1] == email and by_action["export"][1] == email
    audit = client.get("/api/v1/audit?limit=3").json()
    assert [e["action"] for e in audit["data"]] == ["export", "import_reverted", "import"]
    viewer = TestClient(
        app, headers=bearer(users.create_token(ws, LOCAL, person(ws, "viewer")).secret)
    )
    assert viewer.get("/api/v1/audit").status_code == 403


# ---------------------------------------------------------------- a rep's own numbers


def test_a_rep_s_kpi_revenue_is_the_sum_over_their_own_orders(demo_url: str) -> None:
    """On both engines: the rep's revenue through the API equals a plain SQL sum of the paid
    lines of the rep's orders (all in the base currency in the demo)."""
    with workspace(demo_url) as ws:
        rep_id = int(ws.store.fetchall("SELECT rep_id FROM users WHERE role = 'rep'")[0][0])
        zone = ZoneInfo(ws.settings.time_zone)
        lo, hi = datetime(2026, 1, 1, tzinfo=zone), datetime(2026, 11, 1, tzinfo=zone)
        expected = ws.store.fetchall(
            "SELECT sum(l.line_total_minor), count(DISTINCT o.id) FROM order_lines l "
            "JOIN orders o ON o.id = l.order_id WHERE o.rep_id = ? AND o.status = 'paid' "
            "AND o.ordered_at >= ? AND o.ordered_at < ? AND o.currency = 'UAH'",
            [rep_id, lo, hi],
        )[0]  # fmt: skip
        token = users.create_token(ws, LOCAL, "rep@demo.example").secret
    app = create_app(demo_url)
    with TestClient(app, headers=bearer(token)) as client:
        body = {"metrics": ["revenue"], "period": "2026-01-01..2026-10-31",
                "as_of": DEMO_AS_OF.isoformat()}  # fmt: skip
        got = client.post("/api/v1/metrics/query", json=body).json()["rows"][0]["revenue"]
        cards = client.get("/api/v1/overview").json()
        assert cards["cards"] and "cac" not in {c["name"] for c in cards["cards"]}
        assert client.post("/api/v1/metrics/query",
                           json={"metrics": ["cac"]}).status_code == 403  # fmt: skip
    assert int(expected[1]) > 0 and got == int(expected[0])


def test_the_command_line_computes_a_kpi_as_a_rep_sees_it(demo_url: str) -> None:
    def kpi(*extra: str) -> int:
        done = subprocess.run(
            [sys.executable, "-m", "salesmetrics", "kpi", "revenue", "--db", demo_url,
             "--period", "2026-01-01..2026-10-31", "--as-of", DEMO_AS_OF.isoformat(),
             "--format", "json", *extra],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return int(json.loads(done.stdout)["rows"][0]["revenue"])

    with workspace(demo_url) as ws:
        rep_id = int(ws.store.fetchall("SELECT rep_id FROM users WHERE role = 'rep'")[0][0])
        zone = ZoneInfo(ws.settings.time_zone)
        own = ws.store.fetchall(
            "SELECT sum(l.line_total_minor) FROM order_lines l JOIN orders o ON o.id = l.order_id "
            "WHERE o.rep_id = ? AND o.status = 'paid' AND o.ordered_at >= ? AND o.ordered_at < ?",
            [rep_id, datetime(2026, 1, 1, tzinfo=zone), datetime(2026, 11, 1, tzinfo=zone)],
        )[0][0]  # fmt: skip
    assert kpi("--as", "rep@demo.example") == int(own) < kpi()


def test_the_demo_has_an_account_per_role(demo_url: str) -> None:
    app = create_app(demo_url)
    with TestClient(app) as client:
        for role in Role:
            email = f"{role.value}@demo.example"
            assert _login(client, email, DEMO_PASSWORD) == 303, role
            assert client.get("/api/v1/me").json()["role"] == role.value
            client.cookies.clear()
    assert re.fullmatch(r"[a-z0-9-]+", DEMO_PASSWORD)


# ---------------------------------------------------------------- managing people while serving


def test_an_owner_manages_people_through_the_api(app: FastAPI) -> None:
    ws = _ws(app)
    owner = TestClient(app, headers=bearer(users.create_token(ws, LOCAL, person(ws)).secret))
    made = owner.post("/api/v1/users", json={"email": "Ira@Shop.ua", "role": "viewer",
                                             "password": PASSWORD, "name": "Іра"})  # fmt: skip
    assert made.status_code == 201 and made.json()["email"] == "ira@shop.ua"
    user_id = made.json()["id"]
    weak = owner.post("/api/v1/users", json={"email": "x@shop.ua", "role": "viewer",
                                             "password": "password1"})  # fmt: skip
    assert weak.status_code == 422 and "common" in weak.json()["detail"]
    issued = owner.post(f"/api/v1/users/{user_id}/tokens", json={"name": "sheet"}).json()
    ira = TestClient(app, headers=bearer(issued["token"]))
    assert ira.get("/api/v1/me").json()["email"] == "ira@shop.ua"
    assert ira.get("/api/v1/users").status_code == 403  # not an owner
    assert ira.post("/api/v1/users/1/tokens").status_code == 403  # nobody else's tokens
    own = ira.get("/api/v1/tokens").json()
    assert own["count"] == 1 and own["data"][0]["starts"] == issued["token"][:10]
    assert owner.patch(f"/api/v1/users/{user_id}", json={"active": False}).status_code == 200
    assert ira.get("/api/v1/me").status_code == 401
    listed = {u["email"]: u for u in owner.get("/api/v1/users").json()["data"]}
    assert listed["ira@shop.ua"]["active"] is False


def test_the_users_page_adds_changes_and_issues_a_token_once(app: FastAPI) -> None:
    ws = _ws(app)
    email = person(ws, Role.OWNER)
    browser = TestClient(app)
    assert _login(browser, email) == 303
    token = form_token(browser, "/users")
    added = browser.post("/users", data={"email": "taras@shop.ua", "role": "viewer",
                                         "password": PASSWORD, "csrf": token},
                         follow_redirects=False)  # fmt: skip
    assert added.status_code == 303
    page = browser.get("/users?lang=uk").text
    assert "taras@shop.ua" in page and "Користувачі" in page
    user_id = next(u["id"] for u in users.list_users(ws, LOCAL) if u["email"] == "taras@shop.ua")
    shown = browser.post(f"/users/{user_id}/token", data={"csrf": token})
    secret = re.search(r'<code class="token">(smt_[^<]+)</code>', shown.text)
    assert shown.status_code == 200 and secret and shown.headers["cache-control"] == "no-store"
    assert secret.group(1) not in browser.get("/users").text  # shown once
    browser.post(f"/users/{user_id}/change", data={"active": "false", "csrf": token})
    assert TestClient(app, headers=bearer(secret.group(1))).get("/api/v1/me").status_code == 401
    forged = browser.post("/users", data={"email": "evil@shop.ua", "role": "owner",
                                          "password": PASSWORD})  # fmt: skip
    assert forged.status_code == 403
    viewer = TestClient(app)
    assert _login(viewer, person(ws, Role.VIEWER)) == 303
    assert viewer.get("/users").status_code == 403


def test_anyone_makes_their_own_token_and_changes_their_own_password(app: FastAPI) -> None:
    ws = _ws(app)
    email = person(ws, Role.VIEWER)
    browser = TestClient(app)
    assert _login(browser, email) == 303
    token = form_token(browser, "/account")
    shown = browser.post("/account/token", data={"name": "sheet", "csrf": token})
    secret = re.search(r'<code class="token">(smt_[^<]+)</code>', shown.text)
    assert shown.status_code == 200 and secret
    api = TestClient(app, headers=bearer(secret.group(1)))
    assert api.get("/api/v1/me").json()["email"] == email
    made = users.list_tokens(ws, LOCAL, email)[0]
    browser.post(f"/account/tokens/{made.id}/revoke", data={"csrf": token})
    assert api.get("/api/v1/me").status_code == 401
    wrong = browser.post("/account/password", data={"current": "not it at all", "csrf": token,
                                                    "new": "a fresh long passphrase"})  # fmt: skip
    assert wrong.status_code == 401 and "current password is wrong" in wrong.text
    changed = browser.post("/account/password", follow_redirects=False, data={
        "current": PASSWORD, "new": "a fresh long passphrase", "csrf": token})  # fmt: skip
    assert changed.status_code == 303
    assert browser.get("/account", follow_redirects=False).status_code in (303, 401)
    assert _login(TestClient(app), email, "a fresh long passphrase") == 303


def test_an_owner_resets_a_forgotten_password_while_serving(app: FastAPI) -> None:
    ws = _ws(app)
    owner = TestClient(app)
    assert _login(owner, person(ws, Role.OWNER)) == 303
    email = person(ws, Role.VIEWER)
    theirs = TestClient(app)
    assert _login(theirs, email) == 303
    user_id = next(u["id"] for u in users.list_users(ws, LOCAL) if u["email"] == email)
    token = form_token(owner, "/users")
    done = owner.post(f"/users/{user_id}/password", follow_redirects=False,
                      data={"new": "a reset long passphrase", "csrf": token})  # fmt: skip
    assert done.status_code == 303
    assert theirs.get("/", follow_redirects=False).status_code != 200  # their session ended
    assert _login(TestClient(app), email, "a reset long passphrase") == 303
    api = TestClient(app, headers=bearer(users.create_token(ws, LOCAL, person(ws)).secret))
    put = api.put(f"/api/v1/users/{user_id}/password", json={"password": "and another one!"})
    assert put.status_code == 204
    assert _login(TestClient(app), email, "and another one!") == 303
    moved = owner.post(f"/users/{user_id}/change", follow_redirects=False,
                       data={"role": "viewer", "rep_id": "", "csrf": token})  # fmt: skip
    assert moved.status_code == 303
