"""Screenshots of every page for the docs, made from a fresh demo so they stay current.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Builds the small demo (fixed seed and date) in a temporary folder, serves it, and saves each
page in Ukrainian and English at desktop width, and the Overview at phone width, through
Debian's Chromium. The sign-in page is shot first; then each browser page signs in as the
demo's owner (owner@demo.example, the demo accounts' documented password). docs/screenshots.md
shows them."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx2 as httpx
from playwright.sync_api import Page, sync_playwright

from salesmetrics.domain.enums import DemoSize
from salesmetrics.services.access.demo_accounts import DOMAIN, PASSWORD
from salesmetrics.services.alerts import service as alerts
from salesmetrics.services.alerts.channels import Channels
from salesmetrics.services.demo import create_demo_workspace
from salesmetrics.services.workspace import workspace

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
AS_OF = date.today()  # the server pages "today": a demo that ends today shows this month
EMAIL = f"owner@{DOMAIN}"  # a demo account; PASSWORD is theirs
SIGN_IN = "/login"  # shot before signing in (signed in, it is not what a visitor sees)
PAGES = {
    "overview": "/",
    "explore": "/explore?metric=win_rate&by=channel&grain=quarter&compare=previous",
    "team": "/team",
    "rep": None,  # the first rep linked from /team
    "targets": "/targets",
    "pipeline": "/pipeline",
    "leads": "/leads",
    "customers": "/customers",
    "feedback": "/feedback",
    "channels": "/channels",
    "plan": "/plan?reps=%2B1&leads%3AInstagram=%2B20",
    "forecast": "/forecast",
    "insights": "/insights",
    "reports": "/reports",
    "alerts": "/alerts?days=366",
    "records": "/records?kind=deals",
    "search": "/search?q=%D0%BE%D0%BB%D0%B5%D0%BD",
    "data": "/data",
    "workspace": "/workspace",
}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def _sign_in(page: Page, base: str) -> None:
    """Through the sign-in page, as a person does; the session cookie stays in the page's
    context."""
    page.goto(f"{base}{SIGN_IN}")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=sign-in]")
    page.wait_for_url(lambda url: "/login" not in url)


def _first_rep(page: Page, base: str) -> str:
    page.goto(f"{base}/team")
    link = page.locator("a[href*='/team/rep/']").first
    href = link.get_attribute("href") or "/team"
    return href.split("?")[0]


def _shoot(page: Page, url: str, path: Path) -> None:
    page.goto(url)
    if "/login" in page.url and "/login" not in url:
        raise SystemExit(f"{url} sent the browser to the sign-in page: not signed in")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)  # plotly's transitions
    page.screenshot(path=str(path), full_page=True)
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", default=None, metavar="PAGE",
                        help=f"shoot only these pages (of: {', '.join(PAGES)})")  # fmt: skip
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        create_demo_workspace(str(db), DemoSize.SMALL, seed=7, as_of=AS_OF)
        with workspace(str(db)) as ws:  # what the server's alert loop would have found by then
            alerts.check(ws, AS_OF, c=Channels())
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "salesmetrics", "serve", "--db", str(db), "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM)
                page = browser.new_page(viewport=DESKTOP)
                for lang in ("uk", "en") if args.only is None or "login" in args.only else ():
                    _shoot(page, f"{base}{SIGN_IN}?lang={lang}", args.out / f"login-{lang}.png")
                _sign_in(page, base)
                chosen = {k: v for k, v in PAGES.items() if args.only is None or k in args.only}
                pages = {k: v or _first_rep(page, base) for k, v in chosen.items()}
                for name, path in pages.items():
                    for lang in ("uk", "en"):
                        sep = "&" if "?" in path else "?"
                        _shoot(
                            page, f"{base}{path}{sep}lang={lang}", args.out / f"{name}-{lang}.png"
                        )
                phone = browser.new_page(viewport=PHONE, device_scale_factor=2)  # own context
                _sign_in(phone, base)
                if args.only is None or "overview-phone" in args.only:
                    _shoot(phone, f"{base}/?lang=uk", args.out / "overview-phone-uk.png")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
