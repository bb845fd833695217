"""The server's alert loop: the rules are checked every SALESMETRICS_ALERT_CHECK_MINUTES (15) and
within half a minute of a data change (an imported file, an event); due deliveries go out; a
daily or weekly digest (SALESMETRICS_ALERT_DIGEST=daily|weekly; off by default) is sent at
SALESMETRICS_ALERT_DIGEST_HOUR (8) local time, weekly ones on Mondays; the weekly report digest
goes out at SALESMETRICS_REPORT_DIGEST (`mon 08:00`; services/reports/digest.py). The same loop
keeps the stored customer segments current: at each new day and half a minute after a data change.
SALESMETRICS_ALERTS=off stops the loop (alerts can still be checked with `salesmetrics alerts
check`, segments refreshed with `salesmetrics segments refresh`)."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from salesmetrics.domain.errors import ConfigError
from salesmetrics.services.alerts import service
from salesmetrics.services.live import data_version
from salesmetrics.services.pipeline import forecast
from salesmetrics.services.reports import digest as report_digest
from salesmetrics.services.segments import refresh as segments
from salesmetrics.services.workspace import Workspace

log = logging.getLogger(__name__)
POLL_SECONDS = 15.0
AFTER_CHANGE_SECONDS = 30.0
# Several server processes on one PostgreSQL workspace: one of them runs this loop (a lock the
# database holds for it while it lives; another process takes over within a tick when it ends).
LOOP_ROLE = "alert-loop"


def _minutes() -> float:
    text = os.environ.get("SALESMETRICS_ALERT_CHECK_MINUTES", "15").strip()
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"SALESMETRICS_ALERT_CHECK_MINUTES='{text}' is not a number") from None
    if not 0.1 <= value <= 1440:
        raise ConfigError("SALESMETRICS_ALERT_CHECK_MINUTES must be 0.1 to 1440")
    return value


def enabled() -> bool:
    return os.environ.get("SALESMETRICS_ALERTS", "on").strip().lower() not in ("off", "0", "no")


class Scheduler:
    """One daemon thread per server process; it works while this process leads the loop."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.every = _minutes() * 60
        self.digest = os.environ.get("SALESMETRICS_ALERT_DIGEST", "off").strip().lower()
        if self.digest not in ("off", *service.DIGESTS):
            raise ConfigError(f"SALESMETRICS_ALERT_DIGEST='{self.digest}': off, daily or weekly")
        self.digest_hour = int(os.environ.get("SALESMETRICS_ALERT_DIGEST_HOUR", "8") or 8) % 24
        self.segments = segments.Keeper(ws, AFTER_CHANGE_SECONDS)
        self.reports = report_digest.Clock(report_digest.Schedule.from_env())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        last_check, last_version = time.monotonic(), data_version(self.ws)
        while not self._stop.wait(POLL_SECONDS):
            try:
                if not self.ws.store.lead(LOOP_ROLE):  # another server process runs it
                    continue
                version = data_version(self.ws)
                self.segments.tick(version)
                since = time.monotonic() - last_check
                changed = version != last_version and since >= AFTER_CHANGE_SECONDS
                if since >= self.every or changed:
                    forecast.weekly_snapshots(self.ws)  # before the check: it reads none
                    service.check(self.ws)
                    last_check, last_version = time.monotonic(), version
                self._digest()
                service.send_due(self.ws)
                self.reports.tick(self.ws)
            except Exception:  # the loop outlives a bad check; the log says why
                log.exception("alert check failed")

    def _digest(self) -> None:
        if self.digest == "off":
            return
        now = datetime.now(UTC)
        local = now.astimezone(ZoneInfo(self.ws.settings.time_zone))
        if local.hour < self.digest_hour or (self.digest == "weekly" and local.weekday() != 0):
            return
        service.digest(self.ws, self.digest, now)
