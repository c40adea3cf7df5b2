"""The one writer: commits submissions in batches (group commit) on the ingest event loop.

Requests hand their submission to `submit` and wait for the commit of the batch it joined;
only then does the listener answer 2xx. A flush is scheduled on the loop when the first
submission arrives and takes everything queued by then, so under load one commit (and one
WAL sync) serves every request that arrived meanwhile, and under light load a submission
commits at once, with no timer in the way.

Why on the loop and not on a thread of its own: the sqlite3 module releases the GIL around
every statement step, and a writer thread then waits up to a whole switch interval (5 ms)
to get it back from the busy HTTP thread, hundreds of times per batch. Measured here, that
convoy capped ingest at about 3,000 requests/s with the CPU half idle; doing the work on
the loop thread, between reads, removes the hand-offs entirely.

Only the COMMIT leaves the loop: it is where the WAL is synced to disk (synchronous=FULL),
a wait of its own in which the GIL is free, so it runs on a small committer thread while
the loop goes on reading and parsing the next requests (about a seventh of the time was
spent waiting in that sync). The next batch starts when the commit is in, and requests are
answered only then: every 2xx is still durable.

The queue is bounded by alerts, not requests: when it is full `submit` raises `Overloaded`
and the listener answers 503, which Alertmanager retries (it drops a 4xx for good).
Other threads (the window) write through `session_future`/`call_future`, which run on the
same loop in their own transactions.

When several `serve` workers share one SQLite store (`shared`), a batch is written and
committed only while this worker holds the workers' write lock, and its WAL sync follows
after the lock is let go (see console/engine/shared_writes.py): requests are still answered
only once their batch is on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, RootTransaction
from sqlalchemy.orm import Session

from console.engine.pipeline import (
    AlertResult,
    Submission,
    prepare,
    process_batch,
    read_settings,
)
from console.engine.shared_writes import (
    BACKSTOP_CHECKPOINT_PAGES,
    RETRY_SECONDS,
    SharedWrites,
)
from console.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_MAX_PENDING = 20_000
DEFAULT_MAX_BATCH = 2_000
# Settings apply to batches committed at most this long after they were changed.
SETTINGS_MAX_AGE_SECONDS = 1.0


class Overloaded(Exception):
    """The writer's queue is full; try again shortly."""


class WriterStopped(Exception):
    """The writer is not accepting work (not started, or shutting down)."""


@dataclass(frozen=True, slots=True)
class BatchStats:
    """What one committed batch held, for metrics and change notification."""

    submissions: int
    alerts: int
    seconds: float
    alert_iids: tuple[int, ...]
    incident_iids: tuple[int, ...]
    # What happened to each alert (new, repeat, recovery, incident opened or closed), for
    # observers such as notifications.
    results: tuple[AlertResult, ...] = ()


@dataclass(slots=True)
class _Ingest:
    submission: Submission
    future: asyncio.Future[list[AlertResult]]
    size: int


@dataclass(slots=True)
class _Call:
    fn: Callable[[Connection], Any]
    future: Future[Any]


def _settle_call(future: Future[Any], result: Any = None, error: Exception | None = None) -> None:
    """Tell a call's caller how it went, unless it has been told already."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class GroupCommitWriter:
    """Owns every write to the store in this process; lives on one asyncio loop."""

    def __init__(
        self,
        store: Store,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        max_batch: int = DEFAULT_MAX_BATCH,
        on_commit: Callable[[BatchStats], None] | None = None,
        shared: SharedWrites | None = None,
    ) -> None:
        self.store = store
        self.shared = shared
        self.max_pending = max_pending
        self.max_batch = max_batch
        self.on_commit = on_commit
        self._ingest: deque[_Ingest] = deque()
        self._calls: deque[_Call] = deque()
        self._pending = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._accepting = False
        self._scheduled = False
        self._conn: Connection | None = None
        # The COMMIT in flight on the committer thread; the connection is its until it ends.
        self._committing: asyncio.Future[None] | None = None
        self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="committer")
        self._settings: dict[str, Any] | None = None
        self._settings_read_at = 0.0
        # Shared mode: what to tell submitters once the WAL sync after a commit is done
        # (None outside a locked write).
        self._settle: list[Callable[[], None]] | None = None

    @property
    def pending(self) -> int:
        """Alerts waiting for a commit (the queue depth)."""
        return self._pending

    @property
    def running(self) -> bool:
        """Whether the writer accepts work."""
        return self._accepting

    def start(self) -> None:
        """Bind the writer to the running event loop and accept work."""
        self._loop = asyncio.get_running_loop()
        self._accepting = True

    def _connection(self) -> Connection:
        """The writer's own connection, kept open: checking one out of the pool for every
        batch cost a pool round trip and a rollback-on-return per commit."""
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self.store.write_engine.connect()
            if self.shared is not None:
                # The WAL is synced after the lock is let go, and checkpointed by worker 0's
                # checkpointer, not in a COMMIT (shared_writes explains both).
                # On the driver's connection: outside a transaction, as SQLite requires.
                driver = self._conn.connection.driver_connection
                assert driver is not None
                driver.execute("PRAGMA synchronous=NORMAL")
                driver.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
        return self._conn

    def _release_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def close(self) -> None:
        """Refuse new work and commit everything already accepted."""
        self._accepting = False
        while self._ingest or self._calls or self._committing is not None:
            if self._committing is not None:
                with contextlib.suppress(Exception):  # its submitters have been told
                    await asyncio.shield(self._committing)
            elif not self._scheduled:
                self._flush()
            else:  # waiting for another worker to let go of the write lock
                await asyncio.sleep(RETRY_SECONDS)
            await asyncio.sleep(0)
        self._release_connection()
        if self.shared is not None:
            self.shared.close()
        self._committer.shutdown(wait=False)

    def _schedule(self) -> None:
        # While a commit is in flight the connection is busy: its end schedules the next.
        if not self._scheduled and self._committing is None and self._loop is not None:
            self._scheduled = True
            # Two hops: the flush runs after the loop has read and parsed one more round of
            # requests, so a busy listener commits larger batches (one sync for more acks).
            self._loop.call_soon(self._loop.call_soon, self._flush)

    async def submit(self, submission: Submission) -> list[AlertResult]:
        """Queue a submission and wait for its commit (raises Overloaded when full)."""
        if not self._accepting or self._loop is None:
            raise WriterStopped("the writer is not accepting alerts")
        size = max(1, len(submission.alerts))
        if self._pending + size > self.max_pending and self._pending > 0:
            raise Overloaded(f"{self._pending} alerts are waiting to be committed")
        # Rows that do not depend on the store are built now, not under the write lock.
        prepare(submission)
        future: asyncio.Future[list[AlertResult]] = self._loop.create_future()
        self._ingest.append(_Ingest(submission, future, size))
        self._pending += size
        self._schedule()
        return await future

    def call_future(self, fn: Callable[[Connection], T]) -> Future[T]:
        """Run `fn(connection)` in its own transaction on the writer's loop (any thread)."""
        future: Future[T] = Future()
        loop = self._loop
        if not self._accepting or loop is None:
            future.set_exception(WriterStopped("the writer is not accepting changes"))
            return future

        def enqueue() -> None:
            self._calls.append(_Call(fn, future))
            self._schedule()

        loop.call_soon_threadsafe(enqueue)
        return future

    def session_future(self, fn: Callable[[Session], T]) -> Future[T]:
        """Run `fn(session)` on the writer; committed when it returns, rolled back if it
        raises. This is how a process that runs a writer makes manual changes."""

        def in_session(conn: Connection) -> T:
            with Session(bind=conn) as session:
                result = fn(session)
                session.flush()
                return result

        return self.call_future(in_session)

    def _take(self) -> tuple[list[_Ingest], int]:
        """The next batch off the queue, and its size in alerts."""
        taken: list[_Ingest] = []
        size = 0
        while self._ingest and (not taken or size + self._ingest[0].size <= self.max_batch):
            job = self._ingest.popleft()
            taken.append(job)
            size += job.size
        return taken, size

    def _flush(self) -> None:
        self._scheduled = False
        if self._committing is not None:
            return  # the commit's end flushes again
        if self.shared is not None:
            self._flush_shared(self.shared)
            return
        while self._calls:
            self._run_call(self._calls.popleft())
        taken, size = self._take()
        if taken:
            try:
                committing = self._begin_commit(taken)
            except BaseException:
                self._pending -= size
                raise
            if committing is None:  # done already: it failed
                self._pending -= size
            else:
                committing.add_done_callback(lambda _done: self._committed(size))
        if self._ingest and self._committing is None:
            self._schedule()

    def _flush_shared(self, shared: SharedWrites) -> None:
        """Write and commit the next batch while holding the workers' lock, then sync the
        WAL off the loop and answer. Another worker holding the lock: try again shortly,
        reading requests meanwhile (so the next batch is larger, not later)."""
        assert self._loop is not None
        if not (self._calls or self._ingest):
            return
        if not shared.try_acquire():
            self._scheduled = True
            self._loop.call_later(RETRY_SECONDS, self._flush)
            return
        settle: list[Callable[[], None]] = []
        self._settle = settle
        taken: list[_Ingest] = []
        calls: list[_Call] = []
        size = 0
        try:
            while self._calls:
                calls.append(self._calls.popleft())
                self._run_call(calls[-1])
            taken, size = self._take()
            if taken:
                self._commit(taken)
        finally:
            self._settle = None
            shared.release()
            self._pending -= size
        # Like a commit in flight: the next batch forms meanwhile and is written after it.
        syncing = self._loop.run_in_executor(self._committer, shared.sync_wal)
        self._committing = syncing

        def synced(done: asyncio.Future[None]) -> None:
            self._committing = None
            if done.cancelled() or done.exception() is not None:
                # Not on disk for sure: nobody may be told it is.
                error = done.exception() if not done.cancelled() else WriterStopped("stopped")
                log.error("could not sync the store's WAL: %s", error)
                failure = OSError(f"could not sync the store: {error}")
                for job in taken:
                    if not job.future.done():
                        job.future.set_exception(failure)
                for call in calls:
                    _settle_call(call.future, error=failure)
            for action in settle:
                action()
            if self._ingest or self._calls:
                self._schedule()

        syncing.add_done_callback(synced)

    def _committed(self, size: int) -> None:
        self._pending -= size
        self._committing = None
        if self._ingest or self._calls:
            self._schedule()

    def _run_call(self, call: _Call) -> None:
        if not call.future.set_running_or_notify_cancel():
            return
        try:
            conn = self._connection()
            with conn.begin():
                result = call.fn(conn)
        except Exception as exc:  # reported to the caller, who decides
            self._then(functools.partial(_settle_call, call.future, error=exc))
        else:
            self._then(functools.partial(_settle_call, call.future, result))

    def _then(self, action: Callable[[], None]) -> None:
        """Tell a submitter now, or (shared mode) once the batch's WAL sync is done."""
        if self._settle is not None:
            self._settle.append(action)
        else:
            action()

    def _begin_commit(self, jobs: list[_Ingest]) -> asyncio.Future[None] | None:
        """Write the batch on the loop, then COMMIT it on the committer thread (the future
        of that commit; None if the batch failed before it)."""
        assert self._loop is not None
        started = time.perf_counter()
        transaction: RootTransaction | None = None
        try:
            # Opening the store can fail too (a missing disk, a full one): its submitters
            # must hear of it, not wait for an answer forever.
            conn = self._connection()
            transaction = conn.begin()
            results = process_batch(
                conn, [job.submission for job in jobs], self._current_settings(conn)
            )
        except Exception as exc:
            if transaction is not None:
                with contextlib.suppress(Exception):
                    transaction.rollback()
            self._failed(jobs, exc)
            return None
        committing = self._loop.run_in_executor(
            self._committer, self._commit_transaction, transaction
        )
        self._committing = committing

        def finished(done: asyncio.Future[None]) -> None:
            if done.cancelled() or done.exception() is not None:
                exc = done.exception() if not done.cancelled() else WriterStopped("cancelled")
                assert exc is not None
                with contextlib.suppress(Exception):
                    transaction.rollback()
                self._failed(jobs, exc)
                return
            self._answer(jobs, results, started)

        committing.add_done_callback(finished)
        return committing

    @staticmethod
    def _commit_transaction(transaction: RootTransaction) -> None:
        """On the committer thread: COMMIT (the WAL sync happens here)."""
        transaction.commit()

    def _commit(self, jobs: list[_Ingest]) -> None:
        """Write and commit the batch on the loop (after a failed batch, one by one)."""
        started = time.perf_counter()
        try:
            conn = self._connection()
            with conn.begin():
                results = process_batch(
                    conn, [job.submission for job in jobs], self._current_settings(conn)
                )
        except Exception as exc:
            self._failed(jobs, exc)
            return
        self._answer(jobs, results, started)

    def _failed(self, jobs: list[_Ingest], exc: BaseException) -> None:
        self._release_connection()  # a failed connection is not reused
        if len(jobs) > 1:
            # Keep one bad submission from failing the others: commit them one by one.
            log.warning("batch of %d failed (%s); committing one by one", len(jobs), exc)
            for job in jobs:
                self._commit([job])
            return
        log.error("could not commit a submission: %s", exc)
        future = jobs[0].future
        self._then(lambda: None if future.done() else future.set_exception(exc))

    def _answer(
        self, jobs: list[_Ingest], results: list[list[AlertResult]], started: float
    ) -> None:
        if self._settle is not None:
            self._settle.append(lambda: self._answer(jobs, results, started))
            return
        for job, result in zip(jobs, results, strict=True):
            if not job.future.done():  # the request may have been cancelled meanwhile
                job.future.set_result(result)
        if self.on_commit is not None:
            self._report(jobs, results, time.perf_counter() - started)

    def _current_settings(self, conn: Connection) -> dict[str, Any]:
        """Settings re-read at most once a second (a change from anywhere applies within 1 s)."""
        now = time.monotonic()
        if self._settings is None or now - self._settings_read_at > SETTINGS_MAX_AGE_SECONDS:
            self._settings = read_settings(conn)
            self._settings_read_at = now
        return self._settings

    def _report(
        self, jobs: list[_Ingest], results: list[list[AlertResult]], seconds: float
    ) -> None:
        assert self.on_commit is not None
        flat = [r for batch in results for r in batch]
        stats = BatchStats(
            submissions=len(jobs),
            alerts=len(flat),
            seconds=seconds,
            alert_iids=tuple(r.alert_iid for r in flat if r.alert_iid is not None),
            incident_iids=tuple(r.incident_iid for r in flat if r.incident_iid is not None),
            results=tuple(flat),
        )
        try:
            self.on_commit(stats)
        except Exception:  # an observer of commits must never stop the writer
            log.exception("commit observer failed")
