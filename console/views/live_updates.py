"""Store changes made on the ingest thread, delivered to the GUI thread in coalesced batches.

The writer thread only appends ids to a locked buffer; a GUI-thread timer drains it every
50 ms and emits one signal per drain, never one per alert, so an alert storm costs the
window a few signals a second.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QTimer, Signal

from console.engine.writer import BatchStats

COALESCE_MS = 50


class LiveUpdates(QObject):
    """Emits `changed(alert_iids, incident_iids)` at most every 50 ms; empty lists after
    `touch()` mean "something changed": refresh what is shown."""

    changed = Signal(list, list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._alerts: set[int] = set()
        self._incidents: set[int] = set()
        self._touched = False
        self._timer = QTimer(self)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self._drain)
        self._timer.start()

    def push(self, stats: BatchStats) -> None:
        """Record a commit (called on the writer thread)."""
        with self._lock:
            self._alerts.update(stats.alert_iids)
            self._incidents.update(stats.incident_iids)

    def touch(self) -> None:
        """Record a change whose ids are unknown (a manual edit): views refresh what they show."""
        with self._lock:
            self._touched = True

    def _drain(self) -> None:
        with self._lock:
            if not self._alerts and not self._incidents and not self._touched:
                return
            alerts, incidents = sorted(self._alerts), sorted(self._incidents)
            self._alerts.clear()
            self._incidents.clear()
            self._touched = False
        self.changed.emit(alerts, incidents)
