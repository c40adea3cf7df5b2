"""Console-managed alert rules: the "Add alert" dialog charts open, and the list of rules.

Rules are written with the `console.admin.metrics` calls the command line makes, run on the
one writer; the runtime evaluates them (`console.services.alert_rules`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from console.admin import metrics as metrics_admin
from console.config import SEVERITY_NAMES
from console.services.alert_rules import Rule, rule_title
from console.views.context import ViewContext

COLUMNS = ("Rule", "Severity", "State")


class AlertRuleDialog(QDialog):
    """Query, operator, threshold, for-duration and severity of a new rule."""

    def __init__(self, query: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add alert")
        self.query = QLineEdit(query)
        self.operator = QComboBox()
        self.operator.addItems(metrics_admin.OPERATORS)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(-1e15, 1e15)
        self.threshold.setDecimals(4)
        self.duration = QLineEdit("5m")
        self.severity = QComboBox()
        self.severity.addItems(SEVERITY_NAMES)
        self.error = QLabel()
        self.error.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Query", self.query)
        form.addRow("Operator", self.operator)
        form.addRow("Threshold", self.threshold)
        form.addRow("For", self.duration)
        form.addRow("Severity", self.severity)
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.on_ok: Callable[[], None] | None = None

    def _ok(self) -> None:
        if self.on_ok is None:
            self.accept()
        else:
            self.on_ok()

    def save_in(self, session: Session) -> int:
        """Add the rule (AdminError when a field is refused); its id."""
        return metrics_admin.add_rule(
            session,
            self.query.text(),
            self.operator.currentText(),
            self.threshold.value(),
            duration=self.duration.text(),
            severity=self.severity.currentText(),
        ).id


def add_alert(ctx: ViewContext, query: str, parent: QWidget | None = None) -> AlertRuleDialog:
    """Open the dialog for `query`; on OK the rule is saved on the writer (errors shown)."""
    dialog = AlertRuleDialog(query, parent)

    def done(_result: object, error: BaseException | None) -> None:
        if error is None:
            dialog.done(QDialog.DialogCode.Accepted)
        else:
            dialog.error.setText(str(error))

    def submit() -> None:
        ctx.actions.run(dialog.save_in, done)

    dialog.on_ok = submit
    dialog.open()
    return dialog


class AlertRulesView(QWidget):
    """Every rule with its state; pause, resume and delete."""

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ids: list[int] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.add_button = QPushButton("Add alert…")
        self.pause_button = QPushButton("Pause / resume")
        self.delete_button = QPushButton("Delete")
        self.error = QLabel()
        bar = QHBoxLayout()
        for button in (self.add_button, self.pause_button, self.delete_button):
            bar.addWidget(button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        self.add_button.clicked.connect(lambda: add_alert(self.ctx, "", self))
        self.pause_button.clicked.connect(self.toggle_pause)
        self.delete_button.clicked.connect(self.delete)
        ctx.updates.changed.connect(lambda *_: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        """Re-read the rules."""
        with self.ctx.store.read() as session:
            rules = [
                (r.id, rule_title(Rule(r.id, r.query, r.operator, r.threshold, r.for_seconds, "")),
                 r.severity, r.paused)
                for r in metrics_admin.list_rules(session)
            ]  # fmt: skip
        self.ids = [rule_id for rule_id, *_ in rules]
        self.table.setRowCount(len(rules))
        for row, (_, title, severity, paused) in enumerate(rules):
            for column, text in enumerate((title, severity, "paused" if paused else "active")):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def selected(self) -> int | None:
        """The id of the selected rule."""
        row = self.table.currentRow()
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def _done(self, _result: object, error: BaseException | None) -> None:
        self.error.setText("" if error is None else str(error))
        self.refresh()

    def toggle_pause(self) -> None:
        """Pause an active rule, resume a paused one."""
        rule_id = self.selected()
        if rule_id is None:
            return

        def toggle(session: Session) -> None:
            rule = metrics_admin.get_rule(session, rule_id)
            rule.paused = not rule.paused

        self.ctx.actions.run(toggle, self._done)

    def delete(self) -> None:
        """Delete the selected rule (its alert resolves at the next evaluation)."""
        rule_id = self.selected()
        if rule_id is not None:
            self.ctx.actions.run(lambda s: metrics_admin.delete_rule(s, rule_id), self._done)
