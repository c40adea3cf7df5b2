"""Pieces of the wall display: severity tiles, the open-alert model that flashes, the rate
chart, and a reader that runs slow store reads off the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from console.incident_queries import WallAlert
from console.views.theme import SEVERITY_COLOURS, SEVERITY_GLYPHS

log = logging.getLogger(__name__)
Index = QModelIndex | QPersistentModelIndex
WALL_COLUMNS = ("Severity", "Alert", "Status", "Age")
DIM = "#15181d"


def age(started: datetime, now: datetime) -> str:
    """`42 s`, `12 min`, `3 h`, `2 d`: how long an alert has been open."""
    seconds = max(0, int((now - started).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


class SeverityTile(QFrame):
    """A large count with its severity name; coloured while the count is not zero."""

    def __init__(self, severity: str, label: str | None = None) -> None:
        super().__init__()
        self.setObjectName("wallTile")
        self.severity = severity
        self.count = QLabel("0")
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        glyph = SEVERITY_GLYPHS.get(severity, "")
        self.name = QLabel(label or f"{glyph} {severity.upper()}")
        self.name.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.count, 1)
        layout.addWidget(self.name)
        self.set_count(0)

    def set_count(self, count: int) -> None:
        self.count.setText(str(count))
        colour = SEVERITY_COLOURS.get(self.severity, "#ffffff")
        if count:
            # Dark text on the bright severity colours keeps contrast high (WCAG > 7:1 mostly).
            self.setStyleSheet(
                f"QFrame#wallTile {{ background: {colour}; border: 2px solid {colour}; }}"
                "QFrame#wallTile QLabel { color: #000000; }"
            )
        else:
            self.setStyleSheet(
                "QFrame#wallTile { background: #15181d; border: 2px solid #2c3038; }"
                "QFrame#wallTile QLabel { color: #8d939c; }"
            )

    def set_fonts(self, number_pt: float, label_pt: float) -> None:
        for label, size in ((self.count, number_pt), (self.name, label_pt)):
            font = QFont(label.font())
            font.setPointSizeF(size)
            font.setBold(True)
            label.setFont(font)


class WallAlertsModel(QAbstractTableModel):
    """The most urgent open alerts; unacknowledged rows flash when `flash_on` toggles."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[WallAlert] = []
        self.flash_on = False
        self.now = datetime.now(UTC)

    def set_rows(self, rows: list[WallAlert], now: datetime) -> None:
        self.now = now
        if [r.iid for r in rows] == [r.iid for r in self.rows]:
            self.rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, 3))
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def toggle_flash(self) -> None:
        """Flip the flash and repaint only the unacknowledged rows."""
        self.flash_on = not self.flash_on
        flashing = [n for n, row in enumerate(self.rows) if row.status == "triggered"]
        if flashing:
            self.dataChanged.emit(
                self.index(flashing[0], 0),
                self.index(flashing[-1], len(WALL_COLUMNS) - 1),
                [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole],
            )

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(WALL_COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        flashing = row.status == "triggered" and self.flash_on
        colour = SEVERITY_COLOURS.get(row.severity, "#ffffff")
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{SEVERITY_GLYPHS.get(row.severity, '?')} {row.severity.upper()}   "
            if column == 1:
                where = " · ".join(part for part in (row.service, row.hosts) if part)
                return f"#{row.iid}  {row.title}" + (f"   ({where})" if where else "")
            if column == 2:
                return "UNACK" if row.status == "triggered" else "ack"
            return age(row.started_at, self.now)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(colour) if flashing else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if flashing:
                return QColor("#000000")
            return QColor(colour) if column == 0 else QColor("#ffffff")
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return WALL_COLUMNS[section] if 0 <= section < len(WALL_COLUMNS) else None
        return None


class RateChart(pg.PlotWidget):  # type: ignore[misc]  # pyqtgraph has no type hints
    """Alerts per minute over the last hour, as bars."""

    def __init__(self) -> None:
        super().__init__(background="#0c0e11")
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#3e9bff", pen=None)
        self.addItem(self.bars)
        self.setXRange(-60, 0, padding=0.02)
        self.getPlotItem().showGrid(y=True, alpha=0.25)
        self.setLabel("bottom", "minutes ago")
        self.setLabel("left", "alerts / min")

    def set_counts(self, counts: list[int]) -> None:
        minutes = len(counts)
        self.bars.setOpts(x=[n - minutes + 0.5 for n in range(minutes)], height=counts)
        self.setYRange(0, max([*counts, 1]) * 1.15, padding=0)

    def set_font_size(self, point_size: float) -> None:
        font = QFont()
        font.setPointSizeF(point_size)
        for name in ("bottom", "left"):
            axis = self.getPlotItem().getAxis(name)
            axis.setStyle(tickFont=font)
            axis.setTextPen("#d0d4da")
            axis.setPen("#6b7078")
            axis.label.setFont(font)


class BackgroundReader(QObject):
    """Runs reads on one worker thread; `callback(result)` runs later on the GUI thread.

    Used for reads whose cost grows with the store (the alert rate) or that may wait on a
    network (store health on PostgreSQL), so the wall's animation never stalls.
    """

    _done = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wall-read")
        self._busy: set[str] = set()
        self._again: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {}
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def submit(self, name: str, read: Callable[[], Any], callback: Callable[[Any], None]) -> None:
        """Run `read`; while a read of the same name runs, run once more after it instead."""
        if name in self._busy:
            self._again[name] = (read, callback)
            return
        self._busy.add(name)
        future = self._pool.submit(read)
        future.add_done_callback(lambda f: self._done.emit((name, callback), f))

    def _deliver(self, job: tuple[str, Callable[[Any], None]], future: Future[Any]) -> None:
        name, callback = job
        self._busy.discard(name)
        error = future.exception()
        if error is not None:
            log.warning("wall: reading %s failed: %s", name, error)
        else:
            callback(future.result())
        if name in self._again:
            self.submit(name, *self._again.pop(name))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def set_point_size(widget: QWidget, point_size: float, *, bold: bool = False) -> None:
    """Give `widget` a font of `point_size` points."""
    font = QFont(widget.font())
    font.setPointSizeF(point_size)
    font.setBold(bold)
    widget.setFont(font)
