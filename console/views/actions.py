"""Store changes requested by the window, run on the one writer, answered on the GUI thread.

The window never writes to the store itself: it hands a function of a session to the
writer thread (so ingestion and manual changes share one writer) and gets the result or the
refusal back through a queued Qt signal, so a click never blocks the window on the store.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from sqlalchemy.orm import Session

from console.engine.writer import GroupCommitWriter
from console.views.live_updates import LiveUpdates

T = TypeVar("T")
Done = Callable[[Any, BaseException | None], None]


class ActionRunner(QObject):
    """Runs `fn(session)` on the writer; calls `done(result, error)` on the GUI thread."""

    _finished = Signal(object, object, object)

    def __init__(
        self,
        writer: GroupCommitWriter,
        updates: LiveUpdates | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.writer = writer
        self.updates = updates
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def run(self, fn: Callable[[Session], T], done: Done | None = None) -> Future[T]:
        """Queue `fn`; `done` receives (result, None) or (None, error) on the GUI thread."""
        try:
            future = self.writer.session_future(fn)
        except Exception as exc:  # the writer refused (overloaded or stopping)
            failed: Future[T] = Future()
            failed.set_exception(exc)
            future = failed
        future.add_done_callback(lambda f: self._finished.emit(done, f, None))
        return future

    def _deliver(self, done: Done | None, future: Future[Any], _unused: object) -> None:
        error = future.exception()
        if error is None and self.updates is not None:
            self.updates.touch()  # every view refreshes after a manual change
        if done is not None:
            done(None if error is not None else future.result(), error)
