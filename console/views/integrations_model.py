"""The integrations table: a Qt model over `console.admin.integrations.list_all`.

A handful of rows, read whole. `refresh` keeps rows (and the selection) when only their
content changed, e.g. the last alert received, and resets the model when integrations were
added, removed or renamed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from console.admin import integrations as integrations_admin
from console.store import Store

COLUMNS = ("Name", "Type", "Active", "URL", "Created", "Last alert received")
TYPE_NAMES = {"http": "HTTP endpoint", "prometheus": "Prometheus"}
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
URL_COLUMN = 3
INACTIVE_COLOUR = "#8b9098"

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class IntegrationRow:
    """What the table shows of one integration (never its token)."""

    name: str
    type: str
    active: bool
    identifier: str
    path: str
    created_at: datetime
    last_alert_at: datetime | None
    mapping: dict[str, str]


def _when(moment: datetime | None, missing: str = "never") -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else missing


class IntegrationsModel(QAbstractTableModel):
    """Every integration, oldest first; `base_url` makes the full URL of each."""

    def __init__(self, store: Store, base_url: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.base_url = base_url
        self.rows: list[IntegrationRow] = []
        self.refresh()

    def _read(self) -> list[IntegrationRow]:
        with self.store.read() as session:
            return [
                IntegrationRow(
                    i.name,
                    i.type,
                    i.active,
                    i.identifier,
                    i.url_path,
                    i.created_at,
                    i.last_alert_at,
                    dict(i.mapping or {}),
                )
                for i in integrations_admin.list_all(session)
            ]

    def refresh(self) -> None:
        """Read the integrations again."""
        rows = self._read()
        if [r.identifier for r in rows] != [r.identifier for r in self.rows]:
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()
            return
        for number, (old, new) in enumerate(zip(self.rows, rows, strict=True)):
            if old != new:
                self.rows[number] = new
                self.dataChanged.emit(self.index(number, 0), self.index(number, len(COLUMNS) - 1))

    def set_base_url(self, base_url: str) -> None:
        """The listener moved: every URL changes."""
        if base_url != self.base_url:
            self.base_url = base_url
            if self.rows:
                last = len(self.rows) - 1
                self.dataChanged.emit(self.index(0, URL_COLUMN), self.index(last, URL_COLUMN))

    def url(self, row: IntegrationRow) -> str:
        """Where `row` takes alerts."""
        return self.base_url + row.path

    def row_at(self, number: int) -> IntegrationRow | None:
        """The integration shown on row `number`."""
        return self.rows[number] if 0 <= number < len(self.rows) else None

    def row_of(self, identifier: str) -> int | None:
        """Where the integration with `identifier` is shown."""
        return next((n for n, r in enumerate(self.rows) if r.identifier == identifier), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (
                row.name,
                TYPE_NAMES.get(row.type, row.type),
                "Active" if row.active else "Inactive",
                self.url(row),
                _when(row.created_at),
                _when(row.last_alert_at),
            )[column]
        if role == NAME_ROLE:
            return row.name
        if role == Qt.ItemDataRole.ForegroundRole and not row.active:
            return QColor(INACTIVE_COLOUR)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None
