"""Reads of the store on a worker thread, answered on the GUI thread.

For reads a view repeats while alerts arrive (the feed's tab counts): the GUI thread only
hands the function over and later receives the result, and SQLite does the counting on the
other core while the GUI thread paints. One thread, so reads run in the order given; a read
given while another of the same `key` waits replaces it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from sqlalchemy.orm import Session

from console.store import Store
from console.views.callbacks import alive

log = logging.getLogger(__name__)

Answer = Callable[[Any], None]


class StoreReader(QObject):
    """Runs `fn(session)` on its thread; `done(result)` follows on the GUI thread."""

    _answered = Signal(object, object)

    def __init__(self, store: Store, parent: QObject) -> None:
        # A parent owns the Qt object, so releasing the Python one on the worker thread
        # (where a read may hold the last reference) never destroys it there.
        super().__init__(parent)
        self.store = store
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-reader")
        self.destroyed.connect(partial(self._worker.shutdown, wait=False, cancel_futures=True))
        self._waiting: dict[str, tuple[Callable[[Session], Any], weakref.WeakMethod[Answer]]] = {}
        self._lock = threading.Lock()
        self._answered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def submit(self, key: str, fn: Callable[[Session], Any], done: Answer) -> None:
        """Read `fn` soon; a read of the same `key` still waiting is dropped for this one.

        `done` must be a bound method; it is held weakly, for the same reason as the parent.
        """
        with self._lock:
            queued = key in self._waiting
            self._waiting[key] = (fn, weakref.WeakMethod(done))
        if not queued:
            with contextlib.suppress(RuntimeError):  # closed
                self._worker.submit(self._read, key, weakref.ref(self))

    @staticmethod
    def _read(key: str, owner: weakref.ref[StoreReader]) -> None:
        # Only a weak reference crosses threads: the reader must never be released here.
        reader = owner()
        if reader is None:
            return
        with reader._lock:
            fn, done = reader._waiting.pop(key)
        try:
            with reader.store.read() as session:
                result = fn(session)
        except Exception:  # the store went away (closing), or the read failed
            log.exception("a background read of the store failed")
            return
        with contextlib.suppress(RuntimeError):  # the reader is gone
            reader._answered.emit(done, result)

    def _deliver(self, done: weakref.WeakMethod[Answer], result: Any) -> None:
        method = done()
        if alive(method):
            assert method is not None
            method(result)

    def close(self) -> None:
        """Stop reading."""
        self._worker.shutdown(wait=False, cancel_futures=True)
