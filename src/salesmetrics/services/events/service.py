"""The events use case: commit to the inbox before replying, apply in the background, replay.

Requests hand their events to one inbox thread, which commits everything that arrived
meanwhile in one transaction (group commit) and only then lets the requests reply. One applier
thread drains pending events in batches through the single writer, retries every waiting event
(page by page) once the data changed since it last did, and refreshes the rollups once events
stop for a moment.
On start it drains what a previous process left pending, so a kill after a reply loses nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from salesmetrics.domain.env import positive
from salesmetrics.domain.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    SalesmetricsError,
    StorageError,
)
from salesmetrics.services.events.apply import Batch, Outcome
from salesmetrics.services.events.model import MAX_EVENTS
from salesmetrics.services.metrics import keep_rollups_fresh, refresh_rollups, warm_up
from salesmetrics.services.workspace import Workspace
from salesmetrics.storage.dialect import Dialect
from salesmetrics.storage.open import open_store
from salesmetrics.storage.protocol import Store, WriteTx
from salesmetrics.storage.repositories import events as repo
from salesmetrics.storage.repositories import maintenance
from salesmetrics.storage.repositories import rollups as rollups_repo

log = logging.getLogger(__name__)
STATUSES = ("pending", "applied", "waiting", "failed")
MAX_BYTES = 5_000_000  # per request body, unless SALESMETRICS_EVENTS_MAX_BYTES says otherwise
COMMIT_TIMEOUT = 30.0  # seconds a request waits for the inbox commit before a 503
PACE = 0.25  # seconds between the starts of two drains while events keep coming
IDLE_CHECKPOINT = 5.0  # seconds without an applied event before the log is checkpointed


def max_body_bytes() -> int:
    """The largest events request body accepted (SALESMETRICS_EVENTS_MAX_BYTES, default 5 MB)."""
    return positive("SALESMETRICS_EVENTS_MAX_BYTES", MAX_BYTES, int, "bytes")


@dataclass(frozen=True, slots=True)
class Receipt:
    id: str
    status: str  # accepted, duplicate


@dataclass(frozen=True, slots=True)
class Drained:
    batches: int
    applied: int
    waiting: int
    failed: int


@dataclass
class _Submission:
    events: list[Any]
    done: Future[list[Receipt]]


class EventsService:
    """Events of one workspace. `start()` runs the threads a server needs; without it (the CLI,
    tests) `receive` commits directly and `drain` applies in the caller's thread."""

    def __init__(self, ws: Workspace, *, batch_size: int = 500) -> None:
        self.ws = ws
        self.batch_size = batch_size
        self._queue: queue.Queue[_Submission | None] = queue.Queue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._apply_lock = threading.Lock()
        self._dirty = False
        self._last_applied = 0.0
        self._refresh_cost = 0.0
        self._waiting_seen: int | None = None  # data version of the last retry of waiting ones
        self._drained_at = 0.0  # when the applier last started a drain (monotonic)
        self._checkpointed_at = 0.0  # monotonic; events applied after it are only in the log
        self._inbox: Store = ws.store

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> EventsService:
        self._inbox = _side_store(self.ws.store)
        for target, name in (
            (self._inbox_loop, "events-inbox"),
            (self._apply_loop, "events-apply"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._wake.set()  # apply whatever a previous run left pending
        return self

    def stop(self) -> None:
        self._stop.set()
        self._queue.put(None)
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()
        if self._inbox is not self.ws.store:
            self._inbox.close()
            self._inbox = self.ws.store

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._stop.is_set()

    # ---------------------------------------------------------------- receiving

    def receive(self, events: Sequence[Any]) -> list[Receipt]:
        """Commit events to the inbox (a repeated id is a duplicate); returns once committed."""
        if len(events) > MAX_EVENTS:
            raise InputError(f"{len(events)} events in one request; send at most {MAX_EVENTS}")
        if not events:
            return []
        if not self.running:
            receipts = self.ws.store.write(lambda tx: _insert(tx, [list(events)])[0],
                                           changes_data=False)  # fmt: skip
            return receipts
        sub = _Submission(list(events), Future())
        self._queue.put(sub)
        try:
            return sub.done.result(timeout=COMMIT_TIMEOUT)
        except TimeoutError:
            raise _too_slow() from None

    async def receive_async(self, events: Sequence[Any]) -> list[Receipt]:
        """`receive` for an event loop: waits for the group commit without holding a thread."""
        if len(events) > MAX_EVENTS or not events or not self.running:
            return await asyncio.to_thread(self.receive, events)
        sub = _Submission(list(events), Future())
        self._queue.put(sub)
        # a cancelled request cancels the Future: the inbox then skips it (never acknowledged)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(sub.done), COMMIT_TIMEOUT)
        except TimeoutError:
            raise _too_slow() from None

    def _inbox_loop(self) -> None:
        while (first := self._queue.get()) is not None:
            group: list[_Submission] = []
            try:
                if first.done.set_running_or_notify_cancel():  # False: its request is gone
                    group.append(first)
                size = len(first.events)
                while size < 2000:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        self._queue.put(None)
                        break
                    if more.done.set_running_or_notify_cancel():
                        group.append(more)
                        size += len(more.events)
                if group:
                    self._commit(group)
            except BaseException as exc:  # the inbox thread must outlive anything
                log.exception("committing events to the inbox failed")
                for sub in group:
                    if not sub.done.done():
                        sub.done.set_exception(exc)

    def _commit(self, group: list[_Submission]) -> None:
        events = [s.events for s in group]
        try:
            try:  # most ids are new: insert at once; the unique index tells of a repeat
                receipts = self._inbox.write(
                    lambda tx: _insert(tx, events, check=False), changes_data=False
                )
            except InputError:  # an id seen before (or a bad row): ask which, then insert
                receipts = self._inbox.write(lambda tx: _insert(tx, events), changes_data=False)
        except Exception as exc:  # every waiting request hears of it
            for sub in group:
                sub.done.set_exception(exc)
            return
        for sub, got in zip(group, receipts, strict=True):
            sub.done.set_result(got)
        self._wake.set()

    # ---------------------------------------------------------------- applying

    def _apply_loop(self) -> None:
        try:  # only a warm-up: the applier must run without it
            warm_up(self.ws.settings.time_zone, self.ws.store.dialect.value)
        except Exception:
            log.exception("warming up the metric compiler failed; applying events anyway")
        while not self._stop.is_set():
            self._wake.wait(timeout=0.5)
            # While events keep coming, a drain starts at most every PACE seconds: each batch
            # has a fixed cost (the rollups' day rebuild), so fewer, larger batches apply more
            # events per second of the writer. A lone event after a pause goes at once.
            self._stop.wait(max(0.0, self._drained_at + PACE - time.monotonic()))
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                started = time.monotonic()
                if self.drain(paced=True).batches:  # an idle tick does not hold the next back
                    self._drained_at = started
                self._maybe_refresh()
                self._maybe_checkpoint()
            except Exception:  # the loop must survive anything; the inbox keeps the events
                log.exception("applying events failed; will retry")
                time.sleep(1)

    def drain(self, *, paced: bool = False) -> Drained:
        """Apply pending events batch by batch until none is left (`paced`: until a batch is
        not full, the rest being for the next drain); then, if the data changed since waiting
        events were last tried (a batch applied something, an import, a restart), try every
        waiting event again, page by page, until a pass applies nothing more."""
        with self._apply_lock:
            batches = applied = failed = 0
            left: dict[int, str] = {}  # inbox id -> status, of the events this drain handled

            def run(rows: list[repo.InboxRow]) -> None:
                nonlocal batches, applied, failed
                outcomes = self._apply(rows)
                batches += 1
                done = sum(o.status == "applied" for o in outcomes.values())
                applied += done
                failed += sum(o.status == "failed" for o in outcomes.values())
                left.update((i, o.status) for i, o in outcomes.items())
                if done:
                    self._last_applied = time.monotonic()
                    self._waiting_seen = None  # something arrived: the waiting may go now

            while True:
                rows = repo.next_batch(self.ws.store, ("pending",), self.batch_size)
                if rows:
                    run(rows)
                    if not paced or len(rows) == self.batch_size:
                        continue
                version = rollups_repo.state(self.ws.store)[0]
                if version == self._waiting_seen:
                    break  # an idle tick: nothing is read or rewritten
                self._waiting_seen = version
                after = 0
                while page := repo.next_batch(
                    self.ws.store, ("waiting",), self.batch_size, after=after
                ):
                    after = page[-1].id
                    run(page)
            waiting = sum(status == "waiting" for status in left.values())
            return Drained(batches, applied, waiting, failed)

    def _apply(self, rows: list[repo.InboxRow]) -> dict[int, Outcome]:
        settings = self.ws.settings
        base, zone = settings.base_currency, settings.time_zone

        def work(tx: WriteTx, rows: list[repo.InboxRow]) -> dict[int, Outcome]:
            batch = repo.claim(tx, rows)  # without those another process applied meanwhile
            if not batch:
                return {}
            applying = Batch(tx, self.ws.store.dialect, base)
            outcomes = applying.run(batch)
            applied = any(o.status == "applied" for o in outcomes.values())
            # the data version moves on here, with the rollups (no multi-second rebuild)
            if applied and not keep_rollups_fresh(tx, zone, applying.changed()):
                self._dirty = True  # some rollup was stale already: rebuilt when quiet
            # last, so that applied_at is when the batch, rollups included, is about to commit
            # a waiting event still waiting for the same record is left as it is (no rewrite)
            changed = [r for r in batch if r.id in outcomes and not _same(r, outcomes[r.id])]
            repo.set_outcomes(tx, _outcome_table(changed, outcomes))
            return outcomes

        try:
            return self.ws.store.write(lambda tx: work(tx, rows), changes_data=False)
        except Exception:  # find the event at fault: each alone, in its own transaction
            log.warning("a batch of %d events failed; applying them one by one", len(rows))
        out: dict[int, Outcome] = {}  # one bad event must not hold the rest back
        for row in rows:
            try:
                out.update(self.ws.store.write(lambda tx, r=row: work(tx, [r]), changes_data=False))  # type: ignore[misc]
            except Exception as exc:  # a poison event must not stop the applier
                if not _is_data_error(exc):
                    raise  # the database, not the event: stays pending, the loop retries
                reason = exc.message if isinstance(exc, SalesmetricsError) else f"{exc}"
                one = {row.id: Outcome("failed", reason)}
                self.ws.store.write(
                    lambda tx, r=row, o=one: repo.set_outcomes(tx, _outcome_table([r], o)),  # type: ignore[misc]
                    changes_data=False,
                )
                out.update(one)
        return out

    def _maybe_refresh(self) -> None:
        """Rebuild the rollups once events pause (quiet for twice what a rebuild costs), when
        applying could not keep them fresh (one was stale already: never built, or data was
        imported since and its rebuild has not run)."""
        quiet = max(1.0, 2 * self._refresh_cost)
        if not self._dirty or time.monotonic() - self._last_applied < quiet:
            return
        start = time.monotonic()
        refresh_rollups(self.ws)
        self._refresh_cost = time.monotonic() - start
        self._dirty = False

    def _maybe_checkpoint(self) -> None:
        """Once events pause, write the log into the database file (DuckDB's CHECKPOINT), so
        that the automatic one, which a commit waits for, seldom falls in the middle of a
        burst (its threshold is raised for that: SALESMETRICS_DUCKDB_CHECKPOINT_MB)."""
        now = time.monotonic()
        if (
            self._last_applied <= self._checkpointed_at
            or now - self._last_applied < IDLE_CHECKPOINT
        ):
            return
        self._checkpointed_at = now
        maintenance.checkpoint(self.ws.store)

    # ---------------------------------------------------------------- inspecting, replaying

    def page(self, status: str | None, limit: int, offset: int) -> tuple[list[repo.InboxRow], int]:
        if status is not None and status not in STATUSES:
            raise InputError(f"status '{status}' is not one of {', '.join(STATUSES)}")
        return repo.listing(self.ws.store, status, limit, offset)

    def get(self, event_id: str) -> repo.InboxRow:
        row = repo.one(self.ws.store, event_id)
        if row is None:
            raise NotFoundError(f"no event '{event_id}' in the inbox")
        return row

    def counts(self) -> dict[str, int]:
        return {s: repo.counts(self.ws.store).get(s, 0) for s in STATUSES}

    def replay(self, event_ids: Sequence[str] | None, *, wait: float = 5.0) -> list[repo.InboxRow]:
        """Send failed or waiting events (those named, or every failed one) through again."""
        if event_ids is not None:
            for event_id in event_ids:
                row = self.get(event_id)
                if row.status == "applied":
                    raise InputError(
                        f"event '{event_id}' is already applied: it is never applied twice"
                    )
                if row.status == "pending":
                    raise ConflictError(
                        f"event '{event_id}' is pending: it will be applied shortly"
                    )
        statuses = ("failed", "waiting") if event_ids is not None else ("failed",)
        names = self.ws.store.write(
            lambda tx: repo.requeue(tx, event_ids, statuses), changes_data=False
        )
        if self.running:
            self._wake.set()
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and any(
                self.get(n).status == "pending" for n in names
            ):
                time.sleep(0.02)
        else:
            self.drain()
            if self._dirty:
                refresh_rollups(self.ws)
                self._dirty = False
        return [self.get(n) for n in names]


def _is_data_error(exc: Exception) -> bool:
    """An error of the event itself (bad or impossible data), as opposed to the database or
    its driver failing (a lock, a lost connection, a full disk), which is worth retrying."""
    if isinstance(exc, SalesmetricsError):
        return not isinstance(exc, StorageError)
    if isinstance(exc, ValueError | KeyError | TypeError):
        return True
    # a value out of range or a broken constraint (DB-API classes both drivers share) is the
    # event's data too: retrying it would stall every event behind it
    return any(c.__name__ in _DATA_ERRORS for c in type(exc).__mro__)


_DATA_ERRORS = frozenset({"DataError", "IntegrityError"})


def _too_slow() -> StorageError:
    return StorageError(
        f"the event inbox did not commit within {COMMIT_TIMEOUT:.0f} s; send the events again "
        "(ids already received are acknowledged as duplicates)"
    )


def _side_store(store: Store) -> Store:
    """Where the inbox commits. DuckDB runs one transaction at a time per connection: a second
    connection to the same file commits the inbox while the applier's transaction runs (its
    appends never touch the rows the applier updates), so a reply never waits for a batch to
    be applied. PostgreSQL's transactions already run side by side."""
    if store.dialect is Dialect.DUCKDB and store.url != ":memory:":
        return open_store(store.url)
    return store


def _insert(tx: WriteTx, groups: list[list[Any]], *, check: bool = True) -> list[list[Receipt]]:
    """Inbox rows for the events not seen before; a receipt per event, per submission.
    Without `check` the inbox is not asked first: a repeated id then fails the insert on the
    unique index (and the caller asks)."""
    ids = [e.id for events in groups for e in events]
    seen = repo.known_event_ids(tx, ids) if check else set()
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    out: list[list[Receipt]] = []
    for events in groups:
        receipts = []
        for e in events:
            if e.id in seen:
                receipts.append(Receipt(e.id, "duplicate"))
                continue
            seen.add(e.id)
            payload = e.model_dump(mode="json", exclude_unset=True)
            payload.update(type=e.type, source=e.source)
            rows.append({"event_id": e.id, "type": e.type, "source": e.source,
                         "occurred_at": e.occurred_at, "received_at": now,
                         "payload": json.dumps(payload, ensure_ascii=False)})  # fmt: skip
            receipts.append(Receipt(e.id, "accepted"))
        out.append(receipts)
    if rows:
        repo.add(tx, pa.Table.from_pylist(rows))
    return out


def _same(row: repo.InboxRow, outcome: Outcome) -> bool:
    """Whether an outcome only repeats what the inbox row already says (still waiting for
    the same record)."""
    return row.status == outcome.status == "waiting" and row.waiting_for == (
        outcome.error or ""
    ).removeprefix("waiting for ")


def _outcome_table(rows: list[repo.InboxRow], outcomes: dict[int, Outcome]) -> pa.Table:
    now = datetime.now(UTC)
    picked = [(r, outcomes[r.id]) for r in rows if r.id in outcomes]
    waiting = [o.status == "waiting" for _, o in picked]
    return pa.table(
        {
            "id": pa.array([r.id for r, _ in picked], pa.int64()),
            "status": pa.array([o.status for _, o in picked], pa.string()),
            "error": pa.array(
                [None if w else o.error for (_, o), w in zip(picked, waiting, strict=True)],
                pa.string(),
            ),
            "waiting_for": pa.array(
                [
                    o.error.removeprefix("waiting for ") if w and o.error else None
                    for (_, o), w in zip(picked, waiting, strict=True)
                ],
                pa.string(),
            ),
            "attempts": pa.array([r.attempts + 1 for r, _ in picked], pa.int32()),
            "applied_at": pa.array(
                [now if o.status == "applied" else None for _, o in picked],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
