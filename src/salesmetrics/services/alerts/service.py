"""Alerts: checking the rules, keeping each condition once, showing each alert to those who see
its rep or team, and delivering it (e-mail per person, webhook, Telegram) after quiet hours.

Who sees an alert is the one rule of domain.access: an alert about a rep goes to the people who
see that rep's records; about a team, to its manager; company-wide ones to owners and viewers.
E-mail follows the same rule per recipient; the webhook and the Telegram chat are the owner's
and get every alert.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from salesmetrics.domain.access import Principal, Scope
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.alerts import channels as ch
from salesmetrics.services.alerts.rules import CHECKS, RULES, Settings
from salesmetrics.services.alerts.texts import say
from salesmetrics.services.targets.status import managed_teams
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import WriteTx
from salesmetrics.storage.repositories import access as people
from salesmetrics.storage.repositories import alerts as repo
from salesmetrics.storage.repositories.alerts import AlertRow, NewAlert

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
STUCK = timedelta(minutes=10)  # a delivery claimed this long ago by a process that died
DIGESTS = {"daily": 1, "weekly": 7}


def sees(scope: Scope, managed: frozenset[int], a: AlertRow) -> bool:
    if scope.everything:
        return True
    if a.rep_id is not None:
        return a.rep_id in (scope.reps or frozenset())
    if a.team_id is not None:
        return a.team_id in managed
    return False


def _managed(ws: Workspace, who: Principal) -> frozenset[int]:
    return managed_teams(ws, who)


def visible(ws: Workspace, who: Principal, *, days: int = 30, limit: int = 200) -> list[AlertRow]:
    """The alerts of the last `days` days that `who` sees, newest first."""
    since = datetime.now(UTC) - timedelta(days=days)
    managed = _managed(ws, who)
    return [a for a in repo.alerts(ws.store, since=since, limit=limit * 5)
            if sees(who.scope, managed, a)][:limit]  # fmt: skip


# ---------------------------------------------------------------- checking


@dataclass(frozen=True, slots=True)
class Checked:
    found: int  # conditions met now
    new: list[int]  # alerts fired by this check (the others had fired before)


def _recipients(ws: Workspace, c: ch.Channels) -> list[tuple[str, Principal]]:
    if not c.smtp_host:
        return []
    out = []
    for u in people.users(ws.store):
        if u.active and u.role in c.email_roles:
            out.append((u.email, as_person(ws, u.email)))
    return out


Readers = Sequence[tuple[str, Principal]]


def _deliveries(ws: Workspace, c: ch.Channels, a: AlertRow,
                readers: Readers) -> list[tuple[str, str | None]]:  # fmt: skip
    out: list[tuple[str, str | None]] = [(name, None) for name in c.outward()]
    for email, who in readers:
        if sees(who.scope, _managed(ws, who), a):
            out.append(("email", email))
    return out


def record(ws: Workspace, found: Sequence[NewAlert], now: datetime,
           c: ch.Channels | None = None) -> list[int]:  # fmt: skip
    """Keep the conditions not kept before, each with its deliveries (due after quiet hours)."""
    c = c or ch.Channels.from_env()
    readers = _recipients(ws, c)
    due = ch.after_quiet(now, c.quiet, ZoneInfo(ws.settings.time_zone))

    def work(tx: WriteTx) -> list[int]:
        new = []
        by_rule: dict[str, list[NewAlert]] = {}
        for a in found:
            by_rule.setdefault(a.rule, []).append(a)
        for rule, items in by_rule.items():
            known = repo.known_keys(tx, rule, [a.key for a in items])
            for a in items:
                if a.key in known:
                    continue
                known.add(a.key)
                alert_id = repo.insert_alert(tx, a, now)
                row = repo.alert(tx, alert_id)
                assert row is not None
                for channel, to in _deliveries(ws, c, row, readers):
                    repo.insert_delivery(tx, alert_id, channel, to, due)
                new.append(alert_id)
        return new

    return ws.store.write(work, changes_data=False)


def check(ws: Workspace, day: date | None = None, now: datetime | None = None, *,
          rules: Sequence[str] = RULES, settings: Settings | None = None,
          c: ch.Channels | None = None) -> Checked:  # fmt: skip
    """Run the rules on `day` (today) and keep what they find; an old condition fires no more."""
    s = settings or Settings.from_env()
    day = day or ws.metrics.today()
    found: list[NewAlert] = []
    for rule in rules:
        try:
            found += CHECKS[rule](ws, day, s)
        except Exception:  # one rule failing must not silence the others
            log.exception("alert rule %s failed", rule)
    return Checked(len(found), record(ws, found, now or datetime.now(UTC), c))


def digest(ws: Workspace, period: str, now: datetime | None = None,
           c: ch.Channels | None = None) -> int | None:  # fmt: skip
    """One company-wide message listing the alerts of the last day or week (once per day);
    the new digest's id, or None (nothing to tell, or already sent today)."""
    now = now or datetime.now(UTC)
    days = DIGESTS[period]
    fired = [a for a in repo.alerts(ws.store, since=now - timedelta(days=days), limit=500)
             if a.rule != "digest"]  # fmt: skip
    if not fired:
        return None
    local = now.astimezone(ZoneInfo(ws.settings.time_zone)).date()
    lines = "\n".join(f"- {a.fired_at:%Y-%m-%d}: {a.title}" for a in reversed(fired))
    locale = ws.settings.locale
    title = say(locale, "digest_title", period=say(locale, period), n=len(fired))
    made = record(ws, [NewAlert("digest", f"{period}:{local}", "info", title, lines)], now, c)
    return made[0] if made else None


# ---------------------------------------------------------------- sending


def send_due(ws: Workspace, now: datetime | None = None, c: ch.Channels | None = None) -> int:
    """Send what is due; a failure is retried later (1, 2, 4, 8 minutes), then given up.
    How many were sent."""
    now = now or datetime.now(UTC)
    c = c or ch.Channels.from_env()
    sent = 0
    for d in repo.due(ws.store, now, stuck_before=now - STUCK):
        a = repo.alert(ws.store, d.alert_id)
        if a is None or not ws.store.write(
            partial(repo.claim, d.id, now, now - STUCK), changes_data=False
        ):
            continue  # another process took it
        try:
            if d.channel == "email":
                ch.send_email(c, d.recipient or "", a)
            elif d.channel == "webhook":
                ch.send_webhook(c, a)
            else:
                ch.send_telegram(c, a)
        except Exception as exc:  # a channel down must not stop the others
            _failed(ws, d, now, str(exc), c)
            continue
        ws.store.write(partial(_mark_sent, d.id, now), changes_data=False)
        sent += 1
    return sent


def _mark_sent(delivery_id: int, now: datetime, tx: WriteTx) -> None:
    repo.mark(tx, delivery_id, "sent", now)


def _failed(ws: Workspace, d: repo.DeliveryRow, now: datetime, error: str,
            c: ch.Channels) -> None:  # fmt: skip
    final = d.attempts + 1 >= MAX_ATTEMPTS
    tz = ZoneInfo(ws.settings.time_zone)
    again = None if final else ch.after_quiet(now + timedelta(minutes=2**d.attempts), c.quiet, tz)

    def work(tx: WriteTx) -> None:
        repo.mark(tx, d.id, "failed" if final else "pending", now, error=error[:500],
                  retry_at=again)  # fmt: skip

    ws.store.write(work, changes_data=False)
