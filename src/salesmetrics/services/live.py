"""The change feed: one watcher per process notices every data change and tells subscribers.

Every write that changes data bumps the workspace's data version in the same transaction (events,
imports, reverts, demo), so watching that one number catches every change, from this process or
another one (a second server on the same PostgreSQL). The watcher reads it every ~100 ms with
one tiny query; subscribers (SSE streams) wait on an in-memory signal and never touch the
database, so hundreds of open streams cost nothing per stream.

On PostgreSQL, several server processes may share the workspace: each listens on the database's
change channel (LISTEN/NOTIFY: every transaction that moves the data version notifies it at
commit), reads the version as soon as it hears, and otherwise only every LISTEN_POLL_SECONDS in
case a notice was lost while reconnecting.

Each subscriber hears at most one notice per `min_gap` seconds and always the latest version:
a burst of a thousand events a second reaches a page as about four refreshes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from salesmetrics.domain.env import positive
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.protocol import ChangeListener
from salesmetrics.storage.repositories import rollups as rollups_repo

log = logging.getLogger(__name__)

MAX_SECONDS_ENV = "SALESMETRICS_LIVE_MAX_SECONDS"
MAX_STREAMS_ENV = "SALESMETRICS_LIVE_MAX_STREAMS"
POLL_SECONDS = 0.1
MIN_GAP_SECONDS = 0.25
LISTEN_POLL_SECONDS = 2.0  # while listening: a read at least this often all the same
LISTEN_SLICE_SECONDS = 0.25
RETRY_SECONDS = 1.0  # between reads while the database does not answer
DEFAULT_MAX_SECONDS = 300.0
DEFAULT_MAX_STREAMS = 500


class TooManyStreams(SalesmetricsError):
    """The server already holds as many live streams as it allows."""

    exit_code = 5
    http_status = 503


@dataclass(frozen=True, slots=True)
class Notice:
    """What a subscriber hears: `hello` first, then `change` after each (coalesced) change."""

    kind: str
    version: int
    at: datetime

    def as_dict(self) -> dict[str, object]:
        return {"version": self.version, "at": self.at.isoformat(timespec="milliseconds")}


@dataclass(frozen=True, slots=True)
class LiveLimits:
    """How long one stream lives and how many may be open at once (from the environment)."""

    max_seconds: float = DEFAULT_MAX_SECONDS
    max_streams: int = DEFAULT_MAX_STREAMS

    @classmethod
    def from_env(cls) -> LiveLimits:
        return cls(
            positive(MAX_SECONDS_ENV, float(DEFAULT_MAX_SECONDS), float, "seconds"),
            positive(MAX_STREAMS_ENV, DEFAULT_MAX_STREAMS, int, "streams"),
        )


def data_version(ws: Workspace) -> int:
    """The workspace's data version now (one tiny read)."""
    return rollups_repo.state(ws.store)[0]


class ChangeFeed:
    """The latest data version and a signal that fires when it moves."""

    def __init__(
        self, read_version: Callable[[], int], *, poll_seconds: float = POLL_SECONDS,
        limits: LiveLimits | None = None, listener: ChangeListener | None = None,
    ) -> None:  # fmt: skip
        self._read = read_version
        self._listener = listener
        self.poll_seconds = poll_seconds
        self.limits = limits or LiveLimits()
        self.version = 0
        self.at = datetime.now(UTC)
        self.streams = 0
        self._signal = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pool: ThreadPoolExecutor | None = None

    async def start(self) -> None:
        """Read the version now and start watching (call inside the server's event loop)."""
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="salesmetrics-live")
        self._signal = asyncio.Event()  # bound to this loop (a test client may start a new one)
        self.version = await self._poll()
        self._task = asyncio.create_task(self._watch(), name="salesmetrics-live")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # one tiny read or a wait of <= 0.25 s in flight
            self._pool = None
        if self._listener is not None:
            self._listener.close()

    async def _poll(self) -> int:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._read)

    async def _pause(self, failing: bool) -> bool:
        """Until it is time to read the version again: a notice heard (True), or the poll
        interval (False)."""
        if failing:
            await asyncio.sleep(RETRY_SECONDS)
            return False
        if self._listener is None:
            await asyncio.sleep(self.poll_seconds)
            return False
        # in slices, so that stopping never waits long for the thread
        loop, wait = asyncio.get_running_loop(), self._listener.wait
        deadline = time.monotonic() + LISTEN_POLL_SECONDS
        while time.monotonic() < deadline:
            if await loop.run_in_executor(self._pool, wait, LISTEN_SLICE_SECONDS):
                return True
        return False

    async def _watch(self) -> None:
        failing = False
        while True:
            try:
                heard = await self._pause(failing)
                version = await self._poll()
            except Exception:  # a database hiccup must not end the feed: say so once, retry
                if not failing:
                    log.warning("live: cannot read the data version", exc_info=True)
                failing = True
                continue
            failing = False
            if version != self.version:
                if not heard and self._listener is not None:
                    # a change the listener missed: its link may be dead; listen anew
                    log.info("live: a change came unannounced; reconnecting the listener")
                    self._listener.close()
                self.publish(version)

    def publish(self, version: int) -> None:
        """Record a new version and wake every waiting subscriber."""
        self.version, self.at = version, datetime.now(UTC)
        signal, self._signal = self._signal, asyncio.Event()
        signal.set()

    async def wait_change(self, seen: int, timeout: float) -> int | None:
        """The version once it differs from `seen`; None when `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        while self.version == seen:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                await asyncio.wait_for(self._signal.wait(), left)
            except TimeoutError:
                return None
        return self.version

    def open_stream(self) -> Slot:
        """Reserve a place for one stream, or refuse when all are taken."""
        if self.streams >= self.limits.max_streams:
            raise TooManyStreams(
                f"the server already holds {self.streams} live streams, its limit "
                f"({MAX_STREAMS_ENV}); the page will retry by itself"
            )
        self.streams += 1
        return Slot(self)


class Slot:
    """One reserved stream; `release` is safe to call more than once."""

    def __init__(self, feed: ChangeFeed) -> None:
        self._feed: ChangeFeed | None = feed

    def release(self) -> None:
        if self._feed is not None:
            self._feed.streams -= 1
            self._feed = None


async def notices(
    feed: ChangeFeed, *, last_seen: int | None = None, max_seconds: float | None = None,
    min_gap: float = MIN_GAP_SECONDS,
) -> AsyncIterator[Notice]:  # fmt: skip
    """`hello` with the current version, then a `change` per change, at most one per `min_gap`
    seconds and always the newest; ends after `max_seconds` (the client reconnects).

    A client that comes back with the version it saw last (`last_seen`) hears at once whether
    it missed a change while it was away."""
    lifetime = feed.limits.max_seconds if max_seconds is None else max_seconds
    end = time.monotonic() + lifetime
    seen = feed.version
    yield Notice("hello", seen, feed.at)
    if last_seen is not None and last_seen != seen:
        yield Notice("change", seen, feed.at)
    quiet_until = 0.0
    while (left := end - time.monotonic()) > 0:
        if await feed.wait_change(seen, left) is None:
            return
        pause = min(quiet_until, end) - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)  # changes that land meanwhile fold into this notice
        seen = feed.version
        yield Notice("change", seen, feed.at)
        quiet_until = time.monotonic() + min_gap
