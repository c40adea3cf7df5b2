"""Writing one SQLite store from several `serve` worker processes at once.

SQLite lets one transaction write at a time; `BEGIN IMMEDIATE` keeps the workers correct
(every batch decides against what the others committed), but a worker that finds the store
busy waits in SQLite's busy handler, asleep for whole milliseconds with its event loop
stopped. So the workers also share an advisory file lock beside the store: a worker tries
it without waiting, and when another worker holds it, it goes on reading and parsing
requests and tries again a moment later. Only the holder of the lock begins a transaction.

The WAL sync leaves the lock: the holder commits with `synchronous=NORMAL` (the frames are
written to the WAL, not yet synced), lets go of the lock, then syncs the WAL file itself
before any request of the batch is answered. Every 2xx is as durable as with FULL, while the
next worker writes its batch during this one's sync. One sync covers every frame written
before it, so the workers' syncs also cover each other's commits.

Checkpoints leave the lock too. SQLite's automatic checkpoint runs inside the COMMIT that
crosses 1,000 WAL pages: copying the WAL into the database and syncing it, every few tenths
of a second under a storm, while the lock is held. The workers' connections move that
threshold far away (a backstop) and `WalCheckpointer`, a thread in worker 0, checkpoints
every 0.2 s on its own connection (PASSIVE: it never blocks a writer), so the WAL stays
small and is reused from its start.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)
LOCK_SUFFIX = ".write-lock"
QUEUE_SUFFIX = ".write-queue"
WAL_SUFFIX = "-wal"
# How soon a worker that found the lock taken tries again; it reads requests meanwhile.
RETRY_SECONDS = 0.0003
CHECKPOINT_SECONDS = 0.2
# The workers' own automatic checkpoint, only if the checkpointer falls behind (40 MB).
BACKSTOP_CHECKPOINT_PAGES = 10_000


class SharedWrites:
    """The lock and the WAL of one SQLite store, as one worker process sees them."""

    def __init__(self, database: str | Path) -> None:
        self.database = Path(database)
        self._fd = os.open(f"{self.database}{LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
        self._queue_fd = os.open(f"{self.database}{QUEUE_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
        self.held = False
        self.waiting = False
        # For /metrics: how long this worker has held the lock, and how often it found
        # it taken (the lock's share of the workers' time says how much they contend).
        self.held_seconds = 0.0
        self.busy = 0
        # And how long its WAL syncs took: its requests wait for them (read from the loop,
        # added to on the committer thread).
        self.sync_seconds = 0.0
        self._acquired_at = 0.0

    def _others_waiting(self) -> bool:
        """Whether another worker found the lock taken and waits for its turn."""
        try:
            fcntl.flock(self._queue_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        return False

    def _wait_in_turn(self) -> None:
        if not self.waiting:
            fcntl.flock(self._queue_fd, fcntl.LOCK_SH)  # shared: any number may wait
            self.waiting = True

    def try_acquire(self) -> bool:
        """Take the lock if no other worker holds it or waits for it; never waits.

        Turns are fair: a worker that just had the lock lets one that found it taken go
        first (without this, the worker that just let go could take it again and again
        while the other's requests wait)."""
        if not self.waiting and self._others_waiting():
            self._wait_in_turn()
            self.busy += 1
            return False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._wait_in_turn()
            self.busy += 1
            return False
        self.held = True
        self._acquired_at = time.perf_counter()
        if self.waiting:
            self.waiting = False
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        return True

    def release(self) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            self.held_seconds += time.perf_counter() - self._acquired_at

    def sync_wal(self) -> None:
        """Sync the store's WAL file to disk (every frame written before the call).

        Opened anew each time: the file can be recreated when every connection to the
        store has closed, and a descriptor kept across that would sync the old one.
        """
        started = time.perf_counter()
        try:
            fd = os.open(f"{self.database}{WAL_SUFFIX}", os.O_RDONLY)
        except FileNotFoundError:
            return  # no WAL: everything committed is already in the database file
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
            self.sync_seconds += time.perf_counter() - started

    def close(self) -> None:
        self.release()
        for fd in (self._fd, self._queue_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class WalCheckpointer:
    """Checkpoints the store's WAL every `CHECKPOINT_SECONDS` on a thread of its own."""

    def __init__(self, database: str | Path, interval: float = CHECKPOINT_SECONDS) -> None:
        self.database = Path(database)
        self.interval = interval
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        conn = sqlite3.connect(self.database, isolation_level=None, check_same_thread=False)
        try:
            # NORMAL: the checkpoint syncs the WAL before copying it and the database after.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=1000")
            while not self._stop.wait(self.interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # busy or away for a moment: next time
                    log.debug("WAL checkpoint skipped: %s", exc)
        finally:
            conn.close()
