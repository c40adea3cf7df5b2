"""Keeps the alert search index caught up, a chunk at a time, on the one writer.

Ingestion does not index (see `console.feed_search`: it would cost every alert about 50 µs);
this timer does, in chunks of 1,000 alerts (about 12 ms each) queued on the writer
between ingest batches, so searches stay fast without delaying a single alert. It does
nothing on stores without the index (PostgreSQL).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from console import feed_search
from console.engine.writer import WriterStopped
from console.store import Store
from console.views.actions import ActionRunner
from console.views.callbacks import weak_done

log = logging.getLogger(__name__)

IDLE_MS = 2000
BEHIND_MS = 50


class SearchIndexer(QObject):
    """Indexes new alerts every two seconds, and back to back while it is behind."""

    caught_up = Signal()

    def __init__(self, store: Store, actions: ActionRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.actions = actions
        self._busy = False
        with store.read() as session:
            self.enabled = feed_search.has_index(session)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.run_once)
        if self.enabled:
            self._timer.start(0)

    def run_once(self) -> None:
        """Index the next chunk now (unless a chunk is already on its way)."""
        if self._busy or not self.enabled:
            return
        self._busy = True
        self.actions.run(feed_search.index_pending, weak_done(self._done))

    def _done(self, indexed: int | None, error: BaseException | None) -> None:
        self._busy = False
        if isinstance(error, WriterStopped):  # shutting down
            self.enabled = False
        if not self.enabled:
            return
        if error is not None:
            log.warning("indexing alerts for search failed: %s", error)
        behind = error is None and indexed == feed_search.INDEX_CHUNK
        if not behind and error is None:
            self.caught_up.emit()
        self._timer.start(BEHIND_MS if behind else IDLE_MS)

    def stop(self) -> None:
        """Stop indexing (the window is closing)."""
        self.enabled = False
        self._timer.stop()
