"""Where alerts go besides the app, configured from the environment: e-mail through an SMTP
server, a signed webhook, a Telegram chat through the Bot API; and quiet hours, when they wait.

| variable | meaning |
|---|---|
| SALESMETRICS_SMTP_HOST, _PORT (25), _FROM, _USER, _PASSWORD, _STARTTLS (0/1) | e-mail |
| SALESMETRICS_ALERT_EMAIL_ROLES | roles e-mailed (owner,manager,rep), each only what they see |
| SALESMETRICS_ALERT_WEBHOOK_URL, SALESMETRICS_ALERT_WEBHOOK_SECRET (whsec_…) | webhook |
| SALESMETRICS_TELEGRAM_TOKEN, SALESMETRICS_TELEGRAM_CHAT_ID, SALESMETRICS_TELEGRAM_API | Telegram |
| SALESMETRICS_ALERT_QUIET_HOURS | e.g. 22:00-08:00 in the workspace's time zone |
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import time as clock
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from salesmetrics.domain.access import Role
from salesmetrics.domain.errors import ConfigError
from salesmetrics.services.events.signatures import secret_key, sign
from salesmetrics.storage.repositories.alerts import AlertRow

TELEGRAM_API = "https://api.telegram.org"
TIMEOUT = 10.0
DEFAULT_FROM = "salesmetrics@localhost"
DEFAULT_ROLES = frozenset({Role.OWNER, Role.MANAGER, Role.REP})


@dataclass(frozen=True, slots=True)
class Channels:
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = DEFAULT_FROM
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    email_roles: frozenset[Role] = DEFAULT_ROLES
    webhook_url: str | None = None
    webhook_key: bytes | None = None
    telegram_token: str | None = None
    telegram_chat: str | None = None
    telegram_api: str = TELEGRAM_API
    quiet: tuple[time, time] | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Channels:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        port = get("SALESMETRICS_SMTP_PORT") or "25"
        if not port.isdecimal() or not 0 < int(port) < 65536:
            raise ConfigError(f"SALESMETRICS_SMTP_PORT='{port}' is not a port number")
        roles = get("SALESMETRICS_ALERT_EMAIL_ROLES")
        try:
            chosen = frozenset(Role(r.strip()) for r in roles.split(",")) if roles else None
        except ValueError:
            raise ConfigError(f"SALESMETRICS_ALERT_EMAIL_ROLES='{roles}': use owner, manager, "
                              "rep, viewer (comma-separated)") from None  # fmt: skip
        secret = get("SALESMETRICS_ALERT_WEBHOOK_SECRET")
        return cls(
            smtp_host=get("SALESMETRICS_SMTP_HOST"), smtp_port=int(port),
            smtp_from=get("SALESMETRICS_SMTP_FROM") or DEFAULT_FROM,
            smtp_user=get("SALESMETRICS_SMTP_USER"),
            smtp_password=get("SALESMETRICS_SMTP_PASSWORD"),
            smtp_starttls=get("SALESMETRICS_SMTP_STARTTLS") in ("1", "true", "yes"),
            email_roles=chosen or DEFAULT_ROLES,
            webhook_url=get("SALESMETRICS_ALERT_WEBHOOK_URL"),
            webhook_key=secret_key(secret) if secret else None,
            telegram_token=get("SALESMETRICS_TELEGRAM_TOKEN"),
            telegram_chat=get("SALESMETRICS_TELEGRAM_CHAT_ID"),
            telegram_api=(get("SALESMETRICS_TELEGRAM_API") or TELEGRAM_API).rstrip("/"),
            quiet=parse_quiet(get("SALESMETRICS_ALERT_QUIET_HOURS")),
        )  # fmt: skip

    def outward(self) -> list[str]:
        """The workspace-wide channels that are set up (e-mail goes per person)."""
        return [name for name, on in (("webhook", self.webhook_url),
                                      ("telegram", self.telegram_token and self.telegram_chat))
                if on]  # fmt: skip


def parse_quiet(text: str | None) -> tuple[time, time] | None:
    if not text:
        return None
    try:
        first, last = (time.fromisoformat(p.strip()) for p in text.split("-"))
    except ValueError:
        raise ConfigError(
            f"SALESMETRICS_ALERT_QUIET_HOURS='{text}': write it as 22:00-08:00"
        ) from None
    return first, last


def after_quiet(now: datetime, quiet: tuple[time, time] | None, tz: ZoneInfo) -> datetime:
    """`now`, or the end of the quiet hours it falls in (they may run past midnight)."""
    if quiet is None or quiet[0] == quiet[1]:
        return now
    local = now.astimezone(tz)
    start, end = quiet
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return now
    ends = datetime.combine(local.date(), end, tz)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


# ---------------------------------------------------------------- sending


def text_of(a: AlertRow) -> str:
    return f"{a.title}\n\n{a.body or ''}".strip()


def send_email(c: Channels, to: str, a: AlertRow) -> None:
    if not c.smtp_host:
        raise ConfigError("no SMTP server: set SALESMETRICS_SMTP_HOST")
    msg = EmailMessage()
    msg["Subject"] = f"[salesmetrics] {a.title}"
    msg["From"], msg["To"] = c.smtp_from, to
    msg.set_content(text_of(a))
    deliver(c, msg)


def deliver(c: Channels, msg: EmailMessage) -> None:
    """Hand one message to the configured SMTP server (STARTTLS and login when set)."""
    if not c.smtp_host:
        raise ConfigError("no SMTP server: set SALESMETRICS_SMTP_HOST")
    with smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=TIMEOUT) as smtp:
        if c.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if c.smtp_user:
            smtp.login(c.smtp_user, c.smtp_password or "")
        smtp.send_message(msg)


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    every = {"Content-Type": "application/json", **headers}
    request = urllib.request.Request(url, data=body, method="POST", headers=every)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
        if not 200 <= answer.status < 300:
            raise OSError(f"{url} answered {answer.status}")


def alert_json(a: AlertRow) -> dict[str, Any]:
    """An alert as the API, the CLI and the webhook show it."""
    return {"id": a.id, "rule": a.rule, "key": a.key, "fired_at": a.fired_at.isoformat(),
            "severity": a.severity, "title": a.title, "body": a.body, "rep_id": a.rep_id,
            "team_id": a.team_id, "data": a.data}  # fmt: skip


def payload(a: AlertRow) -> dict[str, Any]:
    return {"type": "alert", **alert_json(a)}


def send_webhook(c: Channels, a: AlertRow) -> None:
    """A POST of the alert as JSON; with a secret, signed the Standard Webhooks way."""
    if not c.webhook_url:
        raise ConfigError("no webhook: set SALESMETRICS_ALERT_WEBHOOK_URL")
    body = json.dumps(payload(a), ensure_ascii=False, default=str).encode()
    msg_id, stamp = f"alert_{a.id}_{uuid.uuid4().hex[:8]}", int(clock.time())
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(stamp)}
    if c.webhook_key:
        headers["webhook-signature"] = sign(c.webhook_key, msg_id, stamp, body)
    _post(c.webhook_url, body, headers)


def send_telegram(c: Channels, a: AlertRow) -> None:
    """sendMessage of the Bot API to the configured chat."""
    if not (c.telegram_token and c.telegram_chat):
        raise ConfigError("no Telegram chat: set SALESMETRICS_TELEGRAM_TOKEN and _CHAT_ID")
    body = json.dumps({"chat_id": c.telegram_chat, "text": text_of(a),
                       "disable_web_page_preview": True}).encode()  # fmt: skip
    _post(f"{c.telegram_api}/bot{c.telegram_token}/sendMessage", body, {})
