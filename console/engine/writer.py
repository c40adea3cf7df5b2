"""The one writer: a thread that commits submissions in batches (group commit).

Requests hand their submission to `submit` and wait for the commit of the batch it joined;
only then does the listener answer 2xx. While one batch commits (and the WAL is synced), new
submissions queue up and form the next batch, so under load one sync serves many requests
and under light load a submission commits at once, with no timer in the way.

The queue is bounded by alerts, not requests: when it is full `submit` raises `Overloaded`
and the listener answers 503, which Alertmanager retries (it drops a 4xx for good).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from console.engine.pipeline import AlertResult, Submission, process_batch
from console.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_MAX_PENDING = 20_000
DEFAULT_MAX_BATCH = 2_000


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


@dataclass(slots=True)
class _Job:
    submission: Submission | None
    call: Callable[[Connection], Any] | None
    future: Future[Any]
    size: int


class GroupCommitWriter:
    """Owns every write to the store in this process."""

    def __init__(
        self,
        store: Store,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        max_batch: int = DEFAULT_MAX_BATCH,
        on_commit: Callable[[BatchStats], None] | None = None,
    ) -> None:
        self.store = store
        self.max_pending = max_pending
        self.max_batch = max_batch
        self.on_commit = on_commit
        self._jobs: deque[_Job] = deque()
        self._pending = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._accepting = False

    @property
    def pending(self) -> int:
        """Alerts waiting for a commit (the queue depth)."""
        return self._pending

    @property
    def running(self) -> bool:
        """Whether the writer thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the writer thread."""
        if self.running:
            return
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name="group-commit-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Refuse new work, commit everything already accepted, then end the thread."""
        with self._cond:
            self._accepting = False
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _enqueue(self, job: _Job) -> None:
        with self._cond:
            if not self._accepting:
                raise WriterStopped("the writer is shutting down")
            if self._pending + job.size > self.max_pending and self._pending > 0:
                raise Overloaded(f"{self._pending} alerts are waiting to be committed")
            self._pending += job.size
            self._jobs.append(job)
            self._cond.notify()

    def submit_future(self, submission: Submission) -> Future[list[AlertResult]]:
        """Queue a submission; the future completes once it is committed."""
        future: Future[list[AlertResult]] = Future()
        self._enqueue(_Job(submission, None, future, max(1, len(submission.alerts))))
        return future

    async def submit(self, submission: Submission) -> list[AlertResult]:
        """Queue a submission and wait for its commit (raises Overloaded when full)."""
        return await asyncio.wrap_future(self.submit_future(submission))

    def call_future(self, fn: Callable[[Connection], T]) -> Future[T]:
        """Run `fn(connection)` in its own transaction on the writer thread."""
        future: Future[T] = Future()
        self._enqueue(_Job(None, fn, future, 1))
        return future

    def session_future(self, fn: Callable[[Session], T]) -> Future[T]:
        """Run `fn(session)` on the writer thread; committed when it returns, rolled back if
        it raises. This is how a process that runs a writer makes manual changes."""

        def in_session(conn: Connection) -> T:
            with Session(bind=conn) as session:
                result = fn(session)
                session.flush()
                return result

        return self.call_future(in_session)

    def _take(self) -> list[_Job] | None:
        with self._cond:
            while not self._jobs:
                if not self._accepting:
                    return None
                self._cond.wait()
            taken: list[_Job] = []
            size = 0
            while self._jobs and (not taken or size + self._jobs[0].size <= self.max_batch):
                job = self._jobs.popleft()
                taken.append(job)
                size += job.size
            return taken

    def _release(self, jobs: list[_Job]) -> None:
        with self._cond:
            self._pending -= sum(job.size for job in jobs)

    def _run(self) -> None:
        while (jobs := self._take()) is not None:
            calls = [job for job in jobs if job.call is not None]
            ingest = [job for job in jobs if job.submission is not None]
            for job in calls:
                self._run_call(job)
            if ingest:
                self._commit_ingest(ingest)
            self._release(jobs)

    def _run_call(self, job: _Job) -> None:
        assert job.call is not None
        try:
            with self.store.write_engine.begin() as conn:
                result = job.call(conn)
        except Exception as exc:  # reported to the caller, who decides
            job.future.set_exception(exc)
        else:
            job.future.set_result(result)

    def _commit_ingest(self, jobs: list[_Job]) -> None:
        started = time.perf_counter()
        submissions = [job.submission for job in jobs if job.submission is not None]
        try:
            with self.store.write_engine.begin() as conn:
                results = process_batch(conn, submissions)
        except Exception as exc:
            if len(jobs) > 1:
                # Keep one bad submission from failing the others: commit them one by one.
                log.warning("batch of %d failed (%s); committing one by one", len(jobs), exc)
                for job in jobs:
                    self._commit_ingest([job])
                return
            log.error("could not commit a submission: %s", exc)
            jobs[0].future.set_exception(exc)
            return
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)
        if self.on_commit is not None:
            flat = [r for batch in results for r in batch]
            stats = BatchStats(
                submissions=len(jobs),
                alerts=len(flat),
                seconds=time.perf_counter() - started,
                alert_iids=tuple(r.alert_iid for r in flat if r.alert_iid is not None),
                incident_iids=tuple(r.incident_iid for r in flat if r.incident_iid is not None),
            )
            try:
                self.on_commit(stats)
            except Exception:  # a listener of commits must never stop the writer
                log.exception("commit observer failed")
