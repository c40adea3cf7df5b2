"""A question before a destructive action, asked without blocking the window.

`Confirmation` opens window-modal (`open`, not `exec`) and emits `confirmed` only when the
action's own button is clicked; Cancel, Escape and closing the box do nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


class Confirmation(QMessageBox):
    """ "Delete X?" with a Delete button (the action) and Cancel (the default)."""

    confirmed = Signal()

    def __init__(self, action: str, question: str, parent: QWidget | None = None) -> None:
        super().__init__(QMessageBox.Icon.Question, action, question, parent=parent)
        self.action_button = self.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.cancel_button)
        self.buttonClicked.connect(self._answered)

    def _answered(self, clicked: QAbstractButton) -> None:
        if clicked is self.action_button:
            self.confirmed.emit()
