"""Copyable read-only fields, and the dialog that shows an integration's token once.

Tokens are stored hashed, so this dialog is the only time a token can be read: it says so,
and offers to copy the URL and the token.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

ONCE_NOTE = (
    "Copy the token now: it is shown only once and stored hashed. Senders authenticate with "
    "`Authorization: Bearer <token>`, or Basic auth with an empty user and the token as "
    "password."
)


def copy_text(text: str) -> None:
    """Put `text` on the clipboard."""
    QGuiApplication.clipboard().setText(text)


class CopyField(QWidget):
    """A read-only line with a Copy button beside it."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = QLineEdit(text)
        self.line.setReadOnly(True)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.copy_button)

    def copy(self) -> None:
        """Put the text on the clipboard."""
        copy_text(self.line.text())

    def set_text(self, text: str) -> None:
        """Show `text` (and copy that)."""
        self.line.setText(text)
        self.line.setCursorPosition(0)


class TokenDialog(QDialog):
    """An integration's URL and its new token, each with Copy."""

    def __init__(self, name: str, url: str, token: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Token of {name}")
        self.resize(640, 220)
        self.url = CopyField(url)
        self.token = CopyField(token)
        note = QLabel(ONCE_NOTE)
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("URL:", self.url)
        form.addRow("Token:", self.token)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
