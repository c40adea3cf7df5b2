"""Console dashboards: define groups of panels (title, query, y label, unit), copy links.

One table row per panel, with its group; "Copy link" puts the selected panel's embed link
(`incident-console://metrics?dashboard=…`) on the clipboard, to paste into a description.
Saving runs `console.admin.metrics.save_dashboard` on the writer.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from console.admin import metrics as metrics_admin
from console.models import Dashboard
from console.views.context import ViewContext

COLUMNS = ("Group", "Title", "Query", "Y label", "Unit")


class DashboardsView(QWidget):
    """Pick or name a dashboard, edit its panels, save, copy a panel's link."""

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.boards: dict[str, list[dict[str, Any]]] = {}
        self.picker = QComboBox()
        self.picker.setEditable(True)
        self.picker.setPlaceholderText("Dashboard name")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.add_button = QPushButton("Add panel")
        self.remove_button = QPushButton("Remove panel")
        self.save_button = QPushButton("Save")
        self.copy_button = QPushButton("Copy link")
        self.message = QLabel()
        self.message.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.picker, 1)
        for button in (self.add_button, self.remove_button, self.save_button, self.copy_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.picker.currentTextChanged.connect(self.show_board)
        self.add_button.clicked.connect(lambda: self.add_row({}))
        self.remove_button.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        self.save_button.clicked.connect(self.save)
        self.copy_button.clicked.connect(self.copy_link)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the dashboards."""
        with self.ctx.store.read() as session:
            self.boards = {d.name: d.groups for d in metrics_admin.list_dashboards(session)}
        current = self.picker.currentText()
        self.picker.blockSignals(True)
        self.picker.clear()
        self.picker.addItems(sorted(self.boards))
        self.picker.setEditText(current)
        self.picker.blockSignals(False)
        self.show_board(current)

    def show_board(self, name: str) -> None:
        """Show the panels of dashboard `name` (none for a new name)."""
        self.table.setRowCount(0)
        for group in self.boards.get(name, []):
            for panel in group.get("panels") or []:
                self.add_row({"group": group.get("group", ""), **panel})

    def add_row(self, values: dict[str, Any]) -> None:
        """Append a panel row."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, key in enumerate(("group", "title", "query", "y_label", "unit")):
            self.table.setItem(row, column, QTableWidgetItem(str(values.get(key, ""))))

    def groups(self) -> list[dict[str, Any]]:
        """The table as dashboard groups, in order of first appearance."""
        found: dict[str, list[dict[str, str]]] = {}
        for row in range(self.table.rowCount()):
            cells = [self._cell(row, column) for column in range(len(COLUMNS))]
            if not any(cells):
                continue
            group, title, query, y_label, unit = cells
            panel = {"title": title, "query": query, "y_label": y_label, "unit": unit}
            found.setdefault(group, []).append(panel)
        return [{"group": g, "panels": p} for g, p in found.items()]

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def save(self) -> None:
        """Save the dashboard on the writer; refusals show below the table."""
        name, groups = self.picker.currentText().strip(), self.groups()

        def write(session: Session) -> str:
            return metrics_admin.save_dashboard(session, name, groups).name

        def done(saved: object, error: BaseException | None) -> None:
            self.message.setText(f"Saved {saved}." if error is None else str(error))
            if error is None:
                self.refresh()

        self.ctx.actions.run(write, done)

    def copy_link(self) -> None:
        """Put the selected panel's embed link on the clipboard."""
        row = self.table.currentRow()
        name = self.picker.currentText().strip()
        if row < 0 or name not in self.boards:
            self.message.setText("Save the dashboard and select a panel first.")
            return
        board = Dashboard(name=name, groups=self.boards[name])
        try:
            link = metrics_admin.panel_link(board, self._cell(row, 0), self._cell(row, 1))
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        QGuiApplication.clipboard().setText(link)
        self.message.setText(f"Copied {link}")
