"""A small dialog that asks for a name (and optionally a kind), checked as it is typed.

The check is the admin function's own (`check_name` of integrations or templates, plus
whatever the caller knows, like names already taken); OK stays disabled while the reason
line says why the name is refused. It opens window-modal without blocking (`open`), and
reports through `chosen(name, kind)`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.admin import AdminError

# Returns why a name is refused, or None.
NameCheck = Callable[[str], str | None]


class NameDialog(QDialog):
    """Asks for a name; emits `chosen(name, kind)` on OK."""

    chosen = Signal(str, str)

    def __init__(
        self,
        title: str,
        label: str,
        check: NameCheck,
        *,
        initial: str = "",
        kinds: list[tuple[str, str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.check = check
        self.name = QLineEdit(initial)
        self.kind = QComboBox()
        for text, value in kinds or []:
            self.kind.addItem(text, value)
        self.error = QLabel()
        self.error.setObjectName("errorLine")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        form = QFormLayout()
        form.addRow(label, self.name)
        if kinds:
            form.addRow("Type:", self.kind)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self.validate)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.name.selectAll()
        self.validate()

    def validate(self) -> str | None:
        """Check the name; show the reason; enable OK only for an acceptable one."""
        reason = self.check(self.name.text())
        self.error.setText(reason or "")
        self.error.setVisible(bool(reason))
        self.ok_button.setEnabled(reason is None)
        return reason

    def _accept(self) -> None:
        if self.validate() is None:
            self.chosen.emit(self.name.text().strip(), str(self.kind.currentData() or ""))
            self.accept()


def name_check(admin_check: Callable[[str], object], taken: Callable[[], set[str]]) -> NameCheck:
    """A NameCheck from an admin `check_name` (raising AdminError) and the names in use."""

    def check(name: str) -> str | None:
        try:
            admin_check(name)
        except AdminError as exc:
            return str(exc)
        if name.strip() in taken():
            return f"the name {name.strip()!r} is taken"
        return None

    return check
