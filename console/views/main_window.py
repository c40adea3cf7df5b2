"""The main window: where the listener listens, and the newest alerts as they arrive."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QMainWindow, QTableView, QVBoxLayout, QWidget

from console.queries import alert_json, list_alerts
from console.store import Store
from console.views.live_updates import LiveUpdates

COLUMNS = (
    ("iid", "#"),
    ("severity", "Severity"),
    ("status", "Status"),
    ("events", "Events"),
    ("title", "Alert"),
    ("started_at", "Started"),
)
RECENT = 200

Index = QModelIndex | QPersistentModelIndex


class RecentAlertsModel(QAbstractTableModel):
    """The newest alerts, reloaded when the store changes."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.rows: list[dict[str, Any]] = []
        self.reload()

    def reload(self) -> None:
        with self.store.read() as session:
            rows = [alert_json(a) for a in list_alerts(session, limit=RECENT)]
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        value = self.rows[index.row()][COLUMNS[index.column()][0]]
        return "" if value is None else str(value)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1]
        return None


class MainWindow(QMainWindow):
    """The console's main window."""

    def __init__(self, store: Store, listen_url: str, updates: LiveUpdates) -> None:
        super().__init__()
        self.setWindowTitle("Incident Console")
        self.resize(1100, 700)
        self.model = RecentAlertsModel(store)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.listening = QLabel(f"Listening for alerts on {listen_url}")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.listening)
        layout.addWidget(self.table)
        self.setCentralWidget(body)
        updates.changed.connect(lambda _alerts, _incidents: self.model.reload())
