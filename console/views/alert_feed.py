"""The live alert feed: tabs with counts, search, the table, keyboard and bulk status changes.

Keys on the table: A acknowledge, R resolve, I ignore (every selected alert), Enter opens the
current alert (`open_alert`), `/` goes to the search box (Escape or Down comes back). F11
belongs to the main window.

Changes are written by the one writer (`ctx.actions`) in small chunks, one chunk per call, so
ingestion goes on between chunks; a long run shows a progress dialog that can stop it (see
`console.views.bulk_status`). Each finished chunk is announced on `ctx.updates`, like an ingest
commit, so every view updates the same way.

Live: `ctx.updates.changed` moves rows in place (selection and current row stay on their
alerts) and refreshes the tab counts, read on a worker thread, at most every 250 ms. At the
top of the list new alerts come into view; further down, the rows on screen stay put and a
button counts the new alerts above.

"Seen": a new alert stops being highlighted when it is selected, or once it has been on
screen in a visible window for `SEEN_AFTER_S` seconds.

The table paints its rows itself (`console.views.feed_painter`): Qt's per-cell paint was too
slow to scroll a million-row feed within a frame.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.feed import TABS, FeedQuery, TabCounter
from console.models import AlertStatus
from console.views.alert_feed_model import AlertFeedModel
from console.views.bulk_status import BulkStatusChange
from console.views.context import ViewContext
from console.views.feed_painter import FeedRowPainter
from console.views.search_indexer import SearchIndexer
from console.views.store_reader import StoreReader

log = logging.getLogger(__name__)

TAB_LABELS = {
    "open": "Open",
    "triggered": "Triggered",
    "acknowledged": "Acknowledged",
    "resolved": "Resolved",
    "all": "All",
}
COLUMN_WIDTHS = (110, 150, 0, 70, 80, 110)  # 0: the Alert column takes the rest
COUNTS_EVERY_MS = 250
SEEN_AFTER_S = 3.0
SEEN_CHECK_MS = 500
STATUS_KEYS = {
    Qt.Key.Key_A: AlertStatus.ACKNOWLEDGED.value,
    Qt.Key.Key_R: AlertStatus.RESOLVED.value,
    Qt.Key.Key_I: AlertStatus.IGNORED.value,
}


class FeedTable(QTableView):
    """The feed's table: fixed row heights and column widths, keys for status changes, and
    rows painted by `FeedRowPainter` (a failed paint is logged once, never raised)."""

    status_requested = Signal(str)
    open_requested = Signal()
    search_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        self._painter = FeedRowPainter()
        self._paint_failed = False  # logged once until a paint succeeds again

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        if not isinstance(model, AlertFeedModel):
            super().paintEvent(event)
            return
        try:
            self._painter.paint(self, model, event.rect())
        except Exception:  # a paint must never take the window down (a store read failed)
            if not self._paint_failed:
                log.exception("painting the alert feed failed")
            self._paint_failed = True
        else:
            self._paint_failed = False

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._painter.forget()
        super().changeEvent(event)

    def fix_columns(self) -> None:
        """Fixed widths (never sized to contents: that would read every row)."""
        header = self.horizontalHeader()
        for column, width in enumerate(COLUMN_WIDTHS):
            if width:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(column, width)
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if plain and key in STATUS_KEYS:
            self.status_requested.emit(STATUS_KEYS[Qt.Key(key)])
        elif plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_requested.emit()
        elif key == Qt.Key.Key_Slash:
            self.search_requested.emit()
        else:
            super().keyPressEvent(event)

    def rows_in_view(self) -> range:
        """The rows on screen now."""
        top = self.rowAt(0)
        if top < 0:
            return range(0)
        bottom = self.rowAt(self.viewport().height() - 1)
        if bottom < 0:
            bottom = self.model().rowCount() - 1
        return range(top, bottom + 1)


class AlertFeedWidget(QWidget):
    """The alert feed; emits `open_alert(iid)` when the user opens an alert."""

    open_alert = Signal(int)
    counts_changed = Signal(dict)

    def __init__(
        self, ctx: ViewContext, parent: QWidget | None = None, *, index_search: bool = True
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = AlertFeedModel(ctx.store, FeedQuery(), self)
        self.counts: dict[str, int] = dict.fromkeys(TABS, 0)
        self.bulk: BulkStatusChange | None = None
        self._counter = TabCounter()  # used on the reader's thread only
        self._reader = StoreReader(ctx.store, self)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.timeout.connect(self.refresh_counts)
        self._on_screen: dict[int, float] = {}
        self._new_above = 0
        self._build()
        self.indexer = SearchIndexer(ctx.store, ctx.actions, self) if index_search else None
        ctx.updates.changed.connect(self._on_store_changed)
        self._seen_timer = QTimer(self)
        self._seen_timer.timeout.connect(self._check_seen)
        self._seen_timer.start(SEEN_CHECK_MS)
        self.refresh_counts()

    def _build(self) -> None:
        self.tabs = QTabBar()
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        for tab in TABS:
            self.tabs.addTab(TAB_LABELS[tab])
        self.tabs.currentChanged.connect(self._tab_chosen)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, description, service, tool  ( / )")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search_changed)
        self.search.installEventFilter(self)
        self.matches = QLabel()
        self.new_above = QPushButton()
        self.new_above.setVisible(False)
        self.new_above.clicked.connect(self.scroll_to_top)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.table = FeedTable()
        self.table.setModel(self.model)
        self.table.fix_columns()
        header = self.table.horizontalHeader()
        header.setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.status_requested.connect(self.set_status_of_selection)
        self.table.open_requested.connect(self.open_current)
        self.table.search_requested.connect(self.focus_search)
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.rowsInserted.connect(self._rows_inserted)
        self.model.rowsRemoved.connect(self._rows_removed)
        self.model.loading_changed.connect(lambda _busy: self._show_matches())
        self.model.settled.connect(self._show_matches)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)

        top = QHBoxLayout()
        # Every tab shown whole (with its count); the search box takes what is left.
        top.addWidget(self.tabs)
        top.addWidget(self.new_above)
        top.addWidget(self.matches)
        top.addWidget(self.search, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)

    # -- query -----------------------------------------------------------------------------

    @property
    def tab(self) -> str:
        """The tab shown."""
        return TABS[self.tabs.currentIndex()]

    def show_tab(self, tab: str) -> None:
        """Switch to `tab` (one of `console.feed.TABS`)."""
        self.tabs.setCurrentIndex(TABS.index(tab))

    def _tab_chosen(self, index: int) -> None:
        self.model.set_query(replace(self.model.query, tab=TABS[index]))
        self._new_above = 0
        self._show_new_above()

    def _search_changed(self, text: str) -> None:
        self.model.set_query(replace(self.model.query, search=text))

    def focus_search(self) -> None:
        """Put the cursor in the search box (the `/` key)."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.search
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Down)
        ):
            if event.key() == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
            self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        return super().eventFilter(watched, event)

    def _show_matches(self) -> None:
        if not self.model.query.term:
            self.matches.setText("")
        elif self.model.loading:
            self.matches.setText("searching…")
        else:
            found = self.model.rowCount()
            self.matches.setText(f"{found:,} match" + ("" if found == 1 else "es"))

    # -- live ------------------------------------------------------------------------------

    def _on_store_changed(self, alert_iids: list[int], _incident_iids: list[int]) -> None:
        self.model.apply_changes(alert_iids)
        if not self._counts_timer.isActive():
            self._counts_timer.start(COUNTS_EVERY_MS)

    def refresh_counts(self) -> None:
        """Recount the tabs (on the reader thread; see `console.feed.TabCounter`)."""
        self._reader.submit("counts", self._counter.refresh, self._show_counts)

    def _show_counts(self, counts: dict[str, int]) -> None:
        self.counts = counts
        for index, tab in enumerate(TABS):
            self.tabs.setTabText(index, f"{TAB_LABELS[tab]}  {self.counts[tab]:,}")
        self.counts_changed.emit(dict(self.counts))

    def _rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        bar = self.table.verticalScrollBar()
        top = bar.value()
        if top > 0 and first <= top:
            # Keep the alerts on screen where they are; count the arrivals above instead.
            added = last - first + 1
            bar.setMaximum(bar.maximum() + added)
            bar.setValue(top + added)
            self._new_above += added
            self._show_new_above()

    def _rows_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        bar = self.table.verticalScrollBar()
        top = bar.value()
        if top > 0 and last < top:
            bar.setValue(top - (last - first + 1))

    def _scrolled(self, value: int) -> None:
        if value == 0 and self._new_above:
            self._new_above = 0
            self._show_new_above()

    def _show_new_above(self) -> None:
        self.new_above.setVisible(self._new_above > 0)
        self.new_above.setText(f"↑ {self._new_above:,} new")

    def scroll_to_top(self) -> None:
        """Show the top of the feed (the newest alerts in the default order)."""
        self.table.scrollToTop()
        self._new_above = 0
        self._show_new_above()

    def _check_seen(self) -> None:
        if not self.isVisible() or self.window().isMinimized() or not self.model.new_count:
            self._on_screen.clear()
            return
        now = time.monotonic()
        visible: dict[int, float] = {}
        for row in self.table.rows_in_view():
            iid = self.model.iid_at(row)
            if iid is not None and self.model.is_new(iid):
                visible[iid] = self._on_screen.get(iid, now)
        self._on_screen = visible
        self.model.mark_seen([iid for iid, since in visible.items() if now - since >= SEEN_AFTER_S])

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        current = self.table.currentIndex()
        seen = self.selected_iids()
        if current.isValid() and (iid := self.model.iid_at(current.row())) is not None:
            seen.append(iid)
        self.model.mark_seen(seen)

    # -- actions ---------------------------------------------------------------------------

    def selected_iids(self) -> list[int]:
        """The alerts selected (rows not read yet are left out)."""
        iids: list[int] = []
        selection = self.table.selectionModel().selection()
        for n in range(selection.count()):
            span = selection.at(n)
            for row in range(span.top(), span.bottom() + 1):
                iid = self.model.iid_at(row)
                if iid is not None:
                    iids.append(iid)
        return iids

    def open_current(self) -> None:
        """Open the current alert (Enter)."""
        current = self.table.currentIndex()
        if current.isValid():
            self._open_row(current.row())

    def _open_row(self, row: int) -> None:
        iid = self.model.iid_at(row)
        if iid is not None:
            self.model.mark_seen([iid])
            self.open_alert.emit(iid)

    def set_status_of_selection(self, status: str) -> None:
        """Give every selected alert `status` (the A, R and I keys)."""
        self.set_status(self.selected_iids(), status)

    def set_status(self, iids: list[int], status: str) -> BulkStatusChange | None:
        """Change the status of `iids` on the writer, in chunks, with progress when long."""
        if not iids or (self.bulk is not None and self.bulk.running):
            return None
        self.message.setVisible(False)
        self.bulk = BulkStatusChange(self.ctx.actions, self.ctx.user, iids, status, self)
        self.bulk.committed.connect(self.ctx.updates.push)
        self.bulk.finished.connect(self._bulk_finished)
        self.bulk.start()
        return self.bulk

    def _bulk_finished(self, changed: list[int], failures: list[str]) -> None:
        if failures:
            shown = "; ".join(failures[:3]) + ("; …" if len(failures) > 3 else "")
            self.message.setText(f"{len(failures)} not changed: {shown}")
            self.message.setVisible(True)
        self.refresh_counts()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop background reading and indexing (called when the widget closes)."""
        self.model.close()
        self._reader.close()
        if self.indexer is not None:
            self.indexer.stop()
        self._seen_timer.stop()
