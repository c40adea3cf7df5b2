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
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

LOCK_SUFFIX = ".write-lock"
QUEUE_SUFFIX = ".write-queue"
WAL_SUFFIX = "-wal"
# How soon a worker that found the lock taken tries again; it reads requests meanwhile.
RETRY_SECONDS = 0.0003


class SharedWrites:
    """The lock and the WAL of one SQLite store, as one worker process sees them."""

    def __init__(self, database: str | Path) -> None:
        self.database = Path(database)
        self._fd = os.open(f"{self.database}{LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
        self._queue_fd = os.open(f"{self.database}{QUEUE_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
        self.held = False
        self.waiting = False

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
            return False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._wait_in_turn()
            return False
        self.held = True
        if self.waiting:
            self.waiting = False
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        return True

    def release(self) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def sync_wal(self) -> None:
        """Sync the store's WAL file to disk (every frame written before the call).

        Opened anew each time: the file can be recreated when every connection to the
        store has closed, and a descriptor kept across that would sync the old one.
        """
        try:
            fd = os.open(f"{self.database}{WAL_SUFFIX}", os.O_RDONLY)
        except FileNotFoundError:
            return  # no WAL: everything committed is already in the database file
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        self.release()
        for fd in (self._fd, self._queue_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
