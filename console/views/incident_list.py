"""The incident list: open / closed / all tabs with counts, a severity filter and search.

`IncidentListModel` reads pages from the store as the view scrolls (fetchMore), so the list
costs what the screen shows. It refreshes when ingestion reports incidents, and every few
seconds compares a cheap fingerprint of the table, which catches changes made elsewhere
(the command line, another console, this window's own edits).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.config import SEVERITY_NAMES
from console.incident_queries import (
    INCIDENT_STATES,
    IncidentFilter,
    IncidentRow,
    count_incidents,
    incident_rows,
    incidents_version,
)
from console.store import Store
from console.text import one_line
from console.views.context import ViewContext
from console.views.theme import SEVERITY_COLOURS, SEVERITY_GLYPHS

PAGE = 100
POLL_MS = 3000
IID_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("#", "Severity", "Status", "Title", "Alerts", "Labels", "Assignees", "Opened")

Index = QModelIndex | QPersistentModelIndex


def _cell(row: IncidentRow, column: int) -> str:
    if column == 0:
        return f"#{row.iid}"
    if column == 1:
        return f"{SEVERITY_GLYPHS.get(row.severity, '?')} {row.severity}"
    if column == 2:
        return row.status
    if column == 3:
        return one_line(row.title)  # a row is one line: line breaks would be clipped
    if column == 4:
        return str(row.alert_count)
    if column == 5:
        return ", ".join(row.labels)
    if column == 6:
        return ", ".join(row.assignees)
    return row.created_at.astimezone().strftime("%Y-%m-%d %H:%M")


class IncidentListModel(QAbstractTableModel):
    """Filtered incidents, newest first, loaded a page at a time."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = IncidentFilter()
        self.rows: list[IncidentRow] = []
        self.total = 0
        self.reload()

    def set_filter(self, flt: IncidentFilter) -> None:
        """Show another selection, starting again from the first page."""
        self.filter = flt
        self.reload()

    def reload(self) -> None:
        """Read the first page again."""
        with self.store.read() as session:
            total = count_incidents(session, self.filter)
            rows = incident_rows(session, self.filter, 0, PAGE)
        self.beginResetModel()
        self.total, self.rows = total, rows
        self.endResetModel()

    def refresh(self) -> None:
        """Re-read the loaded rows; keeps rows (and selection) when only their content changed."""
        with self.store.read() as session:
            total = count_incidents(session, self.filter)
            rows = incident_rows(session, self.filter, 0, max(len(self.rows), PAGE))
        if [r.iid for r in rows] != [r.iid for r in self.rows]:
            self.beginResetModel()
            self.total, self.rows = total, rows
            self.endResetModel()
            return
        self.total = total
        for number, (old, new) in enumerate(zip(self.rows, rows, strict=True)):
            if old != new:
                self.rows[number] = new
                self.dataChanged.emit(self.index(number, 0), self.index(number, len(COLUMNS) - 1))

    def iid_at(self, row: int) -> int | None:
        """The incident number shown on `row`."""
        return self.rows[row].iid if 0 <= row < len(self.rows) else None

    def row_of(self, iid: int) -> int | None:
        """Where incident `iid` is shown, if loaded."""
        return next((n for n, row in enumerate(self.rows) if row.iid == iid), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: Index) -> None:
        if parent.isValid():
            return
        with self.store.read() as session:
            more = incident_rows(session, self.filter, len(self.rows), PAGE)
        # Rows already shown may have shifted when incidents arrived; never show one twice.
        shown = {row.iid for row in self.rows}
        more = [row for row in more if row.iid not in shown]
        if not more:
            self.total = len(self.rows)
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
        self.rows.extend(more)
        self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return _cell(row, index.column())
        if role == IID_ROLE:
            return row.iid
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            return QColor(SEVERITY_COLOURS.get(row.severity, "#888888"))
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None


class IncidentListWidget(QWidget):
    """Tabs, filters and the table; Enter or double-click emits `open_incident(iid)`."""

    open_incident = Signal(int)

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = IncidentListModel(ctx.store, self)
        self.tabs = QTabBar()
        for state in INCIDENT_STATES:
            self.tabs.addTab(state.capitalize())
        self.severity = QComboBox()
        self.severity.addItem("All severities", None)
        for name in SEVERITY_NAMES:
            self.severity.addItem(f"{SEVERITY_GLYPHS[name]} {name}", name)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title and description, or #number")
        self.search.setClearButtonEnabled(True)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

        bar = QHBoxLayout()
        bar.addWidget(self.tabs)
        bar.addStretch(1)
        bar.addWidget(self.severity)
        bar.addWidget(self.search, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table)

        self._search_delay = QTimer(self)
        self._search_delay.setSingleShot(True)
        self._search_delay.setInterval(200)
        self._search_delay.timeout.connect(self.apply_filter)
        self._refresh_soon = QTimer(self)
        self._refresh_soon.setSingleShot(True)
        self._refresh_soon.setInterval(100)
        self._refresh_soon.timeout.connect(self.refresh)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_for_changes)
        self._poll.start()
        self._version: tuple[int, int, str] | None = None

        self.tabs.currentChanged.connect(lambda _n: self.apply_filter())
        self.severity.currentIndexChanged.connect(lambda _n: self.apply_filter())
        self.search.textChanged.connect(lambda _t: self._search_delay.start())
        self.table.activated.connect(self._activated)
        ctx.updates.changed.connect(self._on_changed)
        self._update_counts()

    def current_filter(self) -> IncidentFilter:
        """The filter the controls describe."""
        state = INCIDENT_STATES[max(0, self.tabs.currentIndex())]
        return IncidentFilter(state, self.severity.currentData(), self.search.text())

    def apply_filter(self) -> None:
        """Show what the controls ask for."""
        self.model.set_filter(self.current_filter())
        self._update_counts()

    def refresh(self) -> None:
        """Re-read from the store (rows, then tab counts)."""
        self.model.refresh()
        self._update_counts()

    def select_incident(self, iid: int) -> bool:
        """Select incident `iid` if it is in the list."""
        row = self.model.row_of(iid)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _update_counts(self) -> None:
        base = self.current_filter()
        with self.ctx.store.read() as session:
            counts = {
                state: count_incidents(session, IncidentFilter(state, base.severity, base.search))
                for state in INCIDENT_STATES
            }
            self._version = incidents_version(session)
        for number, state in enumerate(INCIDENT_STATES):
            self.tabs.setTabText(number, f"{state.capitalize()}  {counts[state]}")

    def _on_changed(self, _alerts: list[int], incidents: list[int]) -> None:
        if incidents and not self._refresh_soon.isActive():
            self._refresh_soon.start()

    def _check_for_changes(self) -> None:
        with self.ctx.store.read() as session:
            version = incidents_version(session)
        if version != self._version:
            self.refresh()

    def _activated(self, index: QModelIndex) -> None:
        iid = self.model.iid_at(index.row())
        if iid is not None:
            self.open_incident.emit(iid)
