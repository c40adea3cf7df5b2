"""Changing the status of many alerts: chunks on the one writer, with progress and a stop.

Each chunk of `CHUNK` alerts is one writer call (one transaction); the next is queued only
when the previous is committed, so alerts arriving meanwhile are ingested between chunks and
the window stays responsive. The writer runs on the ingest loop, so a call holds ingestion
for as long as it takes: `set_alert_status` costs about 0.7 ms per alert on a million-alert
store (200 alerts: 140 ms), hence 25 per call, about 20 ms.

An alert that refuses the change (for instance, reopening one whose fingerprint is open
again) is reported and the rest go on. Every committed chunk is reported by `committed`,
which the feed announces on `ctx.updates` (the channel ingest commits use), so every view
shows the change. A run of more than `PROGRESS_ABOVE` alerts shows a progress dialog whose
button stops after the current chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget
from sqlalchemy.orm import Session

from console.admin import AdminError
from console.engine.lifecycle import STATUS_NAMES, set_alert_status
from console.engine.writer import BatchStats
from console.views.actions import ActionRunner
from console.views.callbacks import weak_done

CHUNK = 25
PROGRESS_ABOVE = 200
VERBS = {
    "acknowledged": "Acknowledging",
    "resolved": "Resolving",
    "ignored": "Ignoring",
    "triggered": "Reopening",
}


@dataclass(slots=True)
class ChunkResult:
    """What one chunk did."""

    changed: list[int] = field(default_factory=list)
    incidents: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def change_chunk(session: Session, iids: list[int], status: str, author: str) -> ChunkResult:
    """Set `status` on each of `iids` in one transaction (on the writer)."""
    result = ChunkResult()
    for iid in iids:
        try:
            alert = set_alert_status(session, iid, status, author)
        except AdminError as exc:  # refused before anything changed; go on with the rest
            result.failures.append(f"#{iid}: {exc}")
            continue
        result.changed.append(iid)
        if alert.incident_iid is not None:
            result.incidents.append(alert.incident_iid)
    return result


class BulkStatusChange(QObject):
    """One run; `progressed(done, total)` after each chunk, then `finished(changed, failures)`."""

    progressed = Signal(int, int)
    committed = Signal(object)
    finished = Signal(list, list)

    def __init__(
        self,
        actions: ActionRunner,
        author: str,
        iids: list[int],
        status: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if status not in STATUS_NAMES:
            raise ValueError(f"unknown status {status!r}")
        self.actions = actions
        self.author = author
        self.iids = list(dict.fromkeys(iids))
        self.status = status
        self.done = 0
        self.running = False
        self.changed: list[int] = []
        self.failures: list[str] = []
        self._stopped = False
        self.progress: QProgressDialog | None = None
        if len(self.iids) > PROGRESS_ABOVE:
            verb = VERBS.get(status, "Changing")
            self.progress = QProgressDialog(
                f"{verb} {len(self.iids):,} alerts…", "Stop", 0, len(self.iids), parent
            )
            self.progress.setWindowTitle("Changing alerts")
            self.progress.setWindowModality(Qt.WindowModality.WindowModal)
            self.progress.setMinimumDuration(0)
            self.progress.setAutoClose(True)
            self.progress.canceled.connect(self.stop)

    def start(self) -> None:
        """Queue the first chunk."""
        self.running = True
        if self.progress is not None:
            self.progress.setValue(0)
        self._next()

    def stop(self) -> None:
        """Stop after the chunk being written."""
        self._stopped = True

    def _next(self) -> None:
        if self._stopped or self.done >= len(self.iids):
            self._finish()
            return
        chunk = self.iids[self.done : self.done + CHUNK]
        status, author = self.status, self.author
        self.actions.run(
            lambda s: change_chunk(s, chunk, status, author), weak_done(self._chunk_done)
        )

    def _chunk_done(self, result: ChunkResult | None, error: BaseException | None) -> None:
        chunk = self.iids[self.done : self.done + CHUNK]
        self.done += len(chunk)
        if error is not None or result is None:
            self.failures.append(f"{len(chunk)} alerts: {error}")
        else:
            self.changed += result.changed
            self.failures += result.failures
            if result.changed:
                self.committed.emit(
                    BatchStats(
                        submissions=0,
                        alerts=len(result.changed),
                        seconds=0.0,
                        alert_iids=tuple(result.changed),
                        incident_iids=tuple(result.incidents),
                    )
                )
        self.progressed.emit(self.done, len(self.iids))
        if self.progress is not None and not self._stopped:
            self.progress.setValue(self.done)
        self._next()

    def _finish(self) -> None:
        self.running = False
        if self.progress is not None:
            self.progress.reset()
        self.finished.emit(self.changed, self.failures)
