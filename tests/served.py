"""A real server in a child process (`python -m salesmetrics serve`) for browser and crash
tests, and what a browser test counts as a problem on a page."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("SALESMETRICS_TEST_SKIP_BROWSER") == "1",
    reason="no chromium and SALESMETRICS_TEST_SKIP_BROWSER=1",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    db: Path, port: int, log: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Serve `db` on `port`; returns once /healthz answers (fails the test if it never does)."""
    with log.open("ab") as out:  # the child keeps its own copy of the handle
        proc = subprocess.Popen(
            [sys.executable, "-m", "salesmetrics", "serve", "--db", str(db), "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=db.parent, env={**os.environ, **(env or {})},
        )  # fmt: skip
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"the server did not start: {log.read_text(errors='replace')[-2000:]}")


DEMO_PASSWORD = "demo-sales-2026"  # the demo accounts' documented password
TOKENS: dict[str, str] = {}  # base URL -> an owner's API token for that server
OWNERS: dict[str, str] = {}  # base URL -> the e-mail of that owner (password: PASSWORD)


def auth(base: str) -> dict[str, str]:
    """The Authorization header of an owner of the server at `base` (see `serving`)."""
    return {"Authorization": f"Bearer {TOKENS[base]}"}


def sign_in(page: Page, base: str, email: str | None = None, password: str | None = None) -> None:
    """Sign in through the sign-in page, as a person does (the owner `serving` made, unless
    told who)."""
    from signed_in import PASSWORD

    page.goto(f"{base}/login")
    page.fill("input[name=email]", email or OWNERS[base])
    page.fill("input[name=password]", password or PASSWORD)
    page.click("[data-testid=sign-in]")
    page.wait_for_url(lambda url: "/login" not in url)


@contextmanager
def browsing(base: str, size: tuple[int, int] = (1280, 900),
             **options: Any) -> Iterator[tuple[Page, list[str]]]:  # fmt: skip
    """A signed-in page of Debian's Chromium on `base`, and the problems `watch` collects."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": size[0], "height": size[1]}, **options)
            sign_in(page, base)
            yield page, watch(page)
        finally:
            browser.close()


@contextmanager
def serving_demo(folder: Path) -> Iterator[str]:
    """`serving` on a new small demo workspace (seed 5, as of today) in `folder`."""
    from datetime import date

    from salesmetrics.domain.enums import DemoSize
    from salesmetrics.services.demo import create_demo_workspace

    key = date.today().isoformat()
    if key not in _DEMOS:  # one demo per test process, copied for each module
        template = Path(tempfile.mkdtemp(prefix="sm-served-demo-"))
        atexit.register(shutil.rmtree, template, True)
        create_demo_workspace(
            str(template / "demo.duckdb"), DemoSize.SMALL, seed=5, as_of=date.today()
        )
        _DEMOS[key] = template
    for item in _DEMOS[key].iterdir():
        if item.is_file():
            shutil.copyfile(item, folder / item.name)
    with serving(folder / "demo.duckdb") as base:
        yield base


_DEMOS: dict[str, Path] = {}  # day -> folder of the demo workspace made for it


@contextmanager
def serving(db: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """The base URL of a server on `db` for the duration of the block; `auth(base)` is the
    header of an owner's token made before it started."""
    from salesmetrics.domain.access import LOCAL
    from salesmetrics.services.access import users
    from salesmetrics.services.workspace import workspace
    from signed_in import person

    with workspace(str(db)) as ws:
        email = person(ws)
        token = users.create_token(ws, LOCAL, email).secret
    port = free_port()
    proc = start(db, port, db.parent / "serve.log", env)
    base = f"http://127.0.0.1:{port}"
    TOKENS[base], OWNERS[base] = token, email
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def watch(page: Page) -> list[str]:
    """Console errors, failed requests and 4xx/5xx answers on `page`, as they happen.

    The failures not counted: the live stream, which the browser cuts when it leaves a page, and
    a live part's refetch that the page's own navigation cuts short (both ERR_ABORTED)."""
    problems: list[str] = []
    live = ("/api/v1/live", "/targets/live", "/team/leaderboard", "/fragments/")

    def failed(url: str, failure: str | None) -> None:
        if not (any(p in url for p in live) and failure == "net::ERR_ABORTED"):
            problems.append(f"failed: {url} ({failure})")

    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: failed(r.url, r.failure))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}")
            if r.status >= 400 else None)  # fmt: skip
    return problems
