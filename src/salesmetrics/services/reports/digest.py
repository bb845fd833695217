"""The weekly e-mail digest: last week's headline KPIs against the week before, where the
targets stand, the top insights when the insights service is there, and a link to the app;
HTML and plain text, to each owner and manager (SALESMETRICS_REPORT_DIGEST_ROLES) with their own
view, through the alerts' SMTP server (services/alerts/channels.py). The alerts loop sends it at
SALESMETRICS_REPORT_DIGEST (default `mon 08:00`, the workspace's time zone; `off` stops it),
once a week per person: each sending is kept in the audit log, which is what is checked."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from salesmetrics.domain.access import Principal, Role
from salesmetrics.domain.errors import ConfigError, SalesmetricsError
from salesmetrics.services.access.audit import record
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.alerts.channels import Channels, deliver
from salesmetrics.services.reports import sales, strategy
from salesmetrics.services.reports.build import context, scope_label
from salesmetrics.services.reports.fmt import cell, signed_percent
from salesmetrics.services.reports.model import Kind
from salesmetrics.services.reports.pdf import TEMPLATES
from salesmetrics.services.reports.texts import say
from salesmetrics.services.targets.status import status
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.repositories import access as people

log = logging.getLogger(__name__)
KPIS = ("revenue", "orders", "new_customers", "win_rate", "avg_deal_size", "nps")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WHEN = "mon 08:00"
DEFAULT_ROLES = frozenset({Role.OWNER, Role.MANAGER})
DEFAULT_LINK = "http://127.0.0.1:8000/"
TOP_TARGETS, TOP_INSIGHTS = 5, 3
PERIOD = "last_week"
RETRY = timedelta(minutes=10)
AUDIT_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Schedule:
    """When the digest goes out (None: never), to which roles, with which link."""

    weekday: int | None = 0
    at: time = time(8)
    roles: frozenset[Role] = DEFAULT_ROLES
    link: str = DEFAULT_LINK

    @classmethod
    def from_env(cls) -> Schedule:
        when = os.environ.get("SALESMETRICS_REPORT_DIGEST", DEFAULT_WHEN).strip().lower()
        roles = os.environ.get("SALESMETRICS_REPORT_DIGEST_ROLES", "").strip()
        link = os.environ.get("SALESMETRICS_PUBLIC_URL", "").strip() or DEFAULT_LINK
        try:
            chosen = frozenset(Role(r.strip()) for r in roles.split(",")) if roles else None
        except ValueError:
            raise ConfigError(f"SALESMETRICS_REPORT_DIGEST_ROLES='{roles}': use owner, manager, "
                              "rep, viewer (comma-separated)") from None  # fmt: skip
        day, at = parse_when(when)
        return cls(day, at, chosen or DEFAULT_ROLES, link)


def parse_when(text: str) -> tuple[int | None, time]:
    """`off`, or a weekday and a local time: `mon 08:00`."""
    if text in ("off", "0", "no", ""):
        return None, time(8)
    day, _, clock = text.partition(" ")
    try:
        return DAYS.index(day[:3]), time.fromisoformat(clock.strip() or "08:00")
    except ValueError:
        raise ConfigError(f"SALESMETRICS_REPORT_DIGEST='{text}': write a weekday and a time, "
                          "e.g. 'mon 08:00', or off") from None  # fmt: skip


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    lang: str
    figures: dict[str, float | None] = field(default_factory=dict)  # metric -> value (stored)


@cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def compose(ws: Workspace, who: Principal, to: str, *, as_of: date | None = None,
            lang: str | None = None, link: str = DEFAULT_LINK) -> Mail:  # fmt: skip
    """Last week's digest as `who` sees it."""
    c = context(ws, who, PERIOD, None, lang, as_of)
    head = sales.headline(c).tables[0]
    kpis, figures = [], {}
    for r, row in enumerate(head.rows):
        if row[0] in KPIS:
            figures[str(row[0])] = None if row[2] is None else float(str(row[2]))
            kpis.append(
                (
                    str(row[1]),
                    cell(row[2], head.kind(r, 2), c.currency, c.lang),
                    signed_percent(row[4] if isinstance(row[4], float) else None, c.lang),
                )
            )
    goals = []
    for s in status(ws, who, c.today)[:TOP_TARGETS]:
        label = ws.metrics.catalog.get(s.target.metric).label
        name = s.target.scope_name or say(c.lang, "company_target")
        goals.append(
            f"{name}, {label.uk if c.lang == 'uk' else label.en} {s.period}: "
            f"{cell(s.pace.attainment, Kind.PERCENT, c.currency, c.lang)} → "
            f"{cell(s.pace.projected_attainment, Kind.PERCENT, c.currency, c.lang)}"
        )
    insights = strategy.top_insights(ws, who, c.lang, c.today, TOP_INSIGHTS)
    subject = say(c.lang, "digest_subject", period=str(c.period))
    values: dict[str, Any] = {
        "lang": c.lang, "subject": subject, "kpis": kpis, "targets": goals,
        "insights": insights, "link": link,
        "hello": say(c.lang, "digest_hello", name=who.name or to),
        "intro": say(c.lang, "digest_intro", period=str(c.period),
                     scope=scope_label(c.scope, c.lang, who)),
        "targets_title": say(c.lang, "digest_targets"),
        "insights_title": say(c.lang, "digest_insights"),
        "link_text": say(c.lang, "digest_link"), "foot": say(c.lang, "digest_foot"),
    }  # fmt: skip
    html = _env().get_template("digest.html").render(values)
    return Mail(to, f"[salesmetrics] {subject}", _text(values), html, c.lang, figures)


def _text(v: Mapping[str, Any]) -> str:
    lines = [str(v["hello"]), "", str(v["intro"]), ""]
    lines += [f"  {a}: {b} ({d})" for a, b, d in v["kpis"]]
    for title, key in (("targets_title", "targets"), ("insights_title", "insights")):
        if v[key]:
            lines += ["", str(v[title]), *(f"  - {x}" for x in v[key])]
    lines += ["", f"{v['link_text']}: {v['link']}", "", str(v["foot"])]
    return "\n".join(lines)


def recipients(ws: Workspace, roles: frozenset[Role] = DEFAULT_ROLES,
               to: str | None = None) -> list[tuple[str, Principal]]:  # fmt: skip
    """The active users of these roles (or the one user `to`), each with their view."""
    if to:
        return [(to.strip().lower(), as_person(ws, to))]
    return [(u.email, as_person(ws, u.email)) for u in people.users(ws.store)
            if u.active and u.role in roles]  # fmt: skip


def send_mail(c: Channels, m: Mail) -> None:
    """One digest through the alerts' SMTP server, as text with an HTML alternative."""
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = m.subject, c.smtp_from, m.to
    msg.set_content(m.text)
    msg.add_alternative(m.html, subtype="html")
    deliver(c, msg)


def week_key(day: date) -> str:
    """The digest's week: the Monday of `day`'s week."""
    return (day - timedelta(days=day.weekday())).isoformat()


def sent_this_week(ws: Workspace, day: date) -> set[str]:
    """Who got this week's digest (from the audit log, read back to the week's start: report
    downloads are audited as exports too, so a busy week holds many other entries)."""
    week = week_key(day)
    start = date.fromisoformat(week) - timedelta(days=1)  # a day's margin for time zones
    out: set[str] = set()
    before: int | None = None
    while True:
        rows = people.audit(ws.store, AUDIT_PAGE, before, "export")
        for r in rows:
            if r.object_type == "digest" and (r.object_id or "").startswith(f"{week}:"):
                out.add((r.object_id or "").partition(":")[2])
        if len(rows) < AUDIT_PAGE or rows[-1].at.date() < start:
            return out
        before = rows[-1].id


def send(ws: Workspace, *, schedule: Schedule | None = None, to: str | None = None,
         as_of: date | None = None, c: Channels | None = None, lang: str | None = None,
         skip_sent: bool = False) -> list[Mail]:  # fmt: skip
    """Compose and send the digest to each recipient (with `skip_sent`, only those who did
    not get this week's yet); each sending is audited. The mails sent."""
    plan = schedule or Schedule.from_env()
    c = c or Channels.from_env()
    if not c.smtp_host:
        raise ConfigError("no SMTP server: set SALESMETRICS_SMTP_HOST")
    day = as_of or ws.metrics.today()
    done = sent_this_week(ws, day) if skip_sent else set()
    out, failed = [], []
    for email, who in recipients(ws, plan.roles, to):
        if email in done:
            continue
        try:  # one person's failure (a bad address, a refused mail) does not stop the others
            m = compose(ws, who, email, as_of=day, lang=lang, link=plan.link)
            send_mail(c, m)
        except Exception as exc:
            log.warning("weekly report digest to %s failed: %s", email, exc)
            failed.append(f"{email}: {exc}")
            continue
        record(ws, None, "export", object_type="digest", object_id=f"{week_key(day)}:{email}",
               details={"to": email, "period": PERIOD, "lang": m.lang})  # fmt: skip
        out.append(m)
    if failed:
        raise DigestError(len(out), failed)
    return out


class DigestError(SalesmetricsError):
    """Some digests did not go; those that went are audited and not sent again."""

    def __init__(self, sent: int, failed: list[str]) -> None:
        self.sent, self.failed = sent, failed
        super().__init__(f"the digest went to {sent}, not to {len(failed)}: {'; '.join(failed)}")


class Clock:
    """The alerts loop's part: is the digest due now, and was this week's sent."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self.done_week: str | None = None  # sent (or found sent) this week: no more reads
        self.retry_at: datetime | None = None  # after a failure (the SMTP server down)

    def tick(self, ws: Workspace, now: datetime | None = None,
             c: Channels | None = None) -> int:  # fmt: skip
        """Send the week's digest if it is due and not sent; how many mails went."""
        s = self.schedule
        if s.weekday is None:
            return 0
        now = now or datetime.now(UTC)
        local = now.astimezone(ZoneInfo(ws.settings.time_zone))
        week = week_key(local.date())
        # due from the set moment to the week's end: a server started on Wednesday still sends
        if self.done_week == week or (local.weekday(), local.time()) < (s.weekday, s.at):
            return 0
        if self.retry_at is not None and now < self.retry_at:
            return 0
        c = c or Channels.from_env()
        if not c.smtp_host:
            self.done_week = week
            return 0
        try:
            sent = send(ws, schedule=s, as_of=local.date(), c=c, skip_sent=True)
        except Exception:  # those sent are audited; the others are tried again later
            log.exception("weekly report digest failed; trying again in %s", RETRY)
            self.retry_at = now + RETRY
            return 0
        self.done_week = week
        return len(sent)
